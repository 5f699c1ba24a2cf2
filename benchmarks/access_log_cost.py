"""What the record of access costs a page: the student page with and without its entry.

Usage: make bench-access-log [STUDENTS=2000]
   or: DATABASE_URL=postgres://... python benchmarks/access_log_cost.py --students 2000

On PostgreSQL with default (durable) settings: a generated district, an administrator, then
the student page of random students through Django's test client (in-process: the view, its
queries, the template and the middleware, no HTTP), alternating each request between the normal
page (one entry and its student written at the end of the request) and the
same page with `access_log.note` disabled, so both see the same machine load. Prints the median
and p95 of each and their difference, and the cost of `access_log.write` alone.
"""

import argparse
import random
import statistics
import sys
import time

from _common import ROOT, ensure_district, setup_django

setup_django()
sys.path.insert(0, str(ROOT))

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from analytics import access_log  # noqa: E402
from analytics.models import AccessEntry, AccessPage  # noqa: E402
from students.models import Student  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=600, help="of each kind")
    args = parser.parse_args()
    ensure_district(args.students)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-access-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host (DEBUG is off)
    client.force_login(user)
    ids = list(Student.objects.values_list("pk", flat=True))
    rng = random.Random(7)
    real_note = access_log.note
    times = {"with the record of access": [], "without": []}
    for _ in range(50):  # warm up: templates, connections, caches
        client.get(reverse("student_profile", args=[rng.choice(ids)]))
    before = AccessEntry.objects.count()
    for i in range(2 * args.requests):
        kind = "with the record of access" if i % 2 == 0 else "without"
        access_log.note = real_note if i % 2 == 0 else (lambda *a, **k: None)
        url = reverse("student_profile", args=[rng.choice(ids)])
        started = time.perf_counter()
        response = client.get(url)
        times[kind].append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    access_log.note = real_note
    assert AccessEntry.objects.count() - before == args.requests

    writes = []
    for _ in range(500):
        entry = access_log.entry(
            page=AccessPage.STUDENT_PAGE, user=user, path="/x/", students=[rng.choice(ids)]
        )
        started = time.perf_counter()
        access_log.write([entry])
        writes.append((time.perf_counter() - started) * 1000)

    print(f"Student page, {args.requests} requests of each kind, {len(ids):,} students:")
    print(f"{'':28} {'median ms':>10} {'p95 ms':>8}")
    for kind, values in times.items():
        print(f"{kind:28} {statistics.median(values):10.2f} {percentile(values, 0.95):8.2f}")
    with_, without = times.values()
    print(
        f"difference of the medians: {statistics.median(with_) - statistics.median(without):.2f} ms"
    )
    print(
        f"access_log.write of one entry and its student: median "
        f"{statistics.median(writes):.2f} ms, p95 {percentile(writes, 0.95):.2f} ms"
    )


if __name__ == "__main__":
    main()
