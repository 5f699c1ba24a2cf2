#!/usr/bin/env bash
# Install what EduPulse needs to run: uv, then the locked Python 3.12 packages into .venv.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "==> Installing uv (Python package manager)"
    python3 -m pip install --quiet --disable-pip-version-check uv
fi

# uv does not find pyenv's Python 3.12 through the shim; point it at the interpreter itself.
if [ -z "${UV_PYTHON:-}" ] && command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.12*/bin/python3.12; do
        [ -x "$candidate" ] && export UV_PYTHON="$candidate"
    done
fi

python3 -m uv sync --frozen --quiet
mkdir -p var  # the SQLite database and test artifacts live here
