"""A real Redis server and real Celery worker processes for the task tests.

Each is started on a free loopback port / as a child process of the test run, and stopped
(by its pid) when the test ends, also when it fails.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from edupulse.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(workdir: Path):
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (make test installs Debian's redis-server)"
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _database_url() -> str:
    """The test database, as a URL a worker process can open."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
        f"{settings['PORT']}/{settings['NAME']}"
    )


@contextlib.contextmanager
def broker_for_this_process(url: str):
    """Send tasks to `url` instead of running them in-process, for the duration."""
    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    _forget_connections()
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    try:
        yield
    finally:
        _forget_connections()
        app.conf.update(saved)


def _forget_connections() -> None:
    app._pool = None
    with contextlib.suppress(AttributeError):
        del app._local.backend
    with contextlib.suppress(AttributeError):
        app.amqp._producer_pool = None


@contextlib.contextmanager
def celery_workers(count: int, broker: str, workdir: Path):
    """`count` worker processes (one task at a time each) on `broker`, sharing the test database."""
    assert connection.vendor != "sqlite" or connection.settings_dict["NAME"] != ":memory:", (
        "workers need a database file they can open"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edupulse.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "PYTHONPATH": str(ROOT),
    }
    celery = Path(sys.executable).parent / "celery"
    processes, logs = [], []
    for n in range(1, count + 1):
        log = workdir / f"worker{n}.log"
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [
                    str(celery),
                    "-A",
                    "edupulse",
                    "worker",
                    "--pool=solo",
                    f"--hostname=w{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                    f"--logfile={log}",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        deadline = time.monotonic() + 90
        while len(app.control.ping(timeout=0.5) or []) < count:
            for process, log in zip(processes, logs, strict=True):
                assert process.poll() is None, f"worker exited:\n{_tail(log)}"
            assert time.monotonic() < deadline, "workers did not answer:\n" + _tail(logs[0])
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _tail(log: Path) -> str:
    return log.read_text()[-3000:] if log.exists() else "(no log)"


def tasks_done_by_worker() -> dict[str, int]:
    """How many tasks each worker has finished, by worker name."""
    stats = app.control.inspect(timeout=2).stats() or {}
    return {name: sum(s.get("total", {}).values()) for name, s in stats.items()}
