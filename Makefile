# The two set-up commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
# Some machines set PYTHONDONTWRITEBYTECODE: every command would then compile Django, pandas and
# XGBoost afresh (10-20 s each). Let Python cache its bytecode in .venv and the project.
unexport PYTHONDONTWRITEBYTECODE
PY := .venv/bin/python

.PHONY: install demo test lint format backup restore bench-access-log bench-import bench-generate bench-features bench-feature-writes bench-model bench-messy bench-pages bench-attendance

install:  ## uv and the locked Python packages (only what is missing)
	@bash scripts/bootstrap.sh

demo: install  ## the product on SQLite with in-process tasks, served on 127.0.0.1:8000
	@bash scripts/demo.sh

test: install  ## the whole suite on SQLite, then on a throwaway PostgreSQL 15
	@bash scripts/test.sh $(PYTEST_ARGS)

lint: install  ## ruff check, ruff format --check, makemigrations --check
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

OUT ?=
INTO ?=
backup: install  ## back up DATABASE_URL's database: pg_dump (custom format) or SQLite's backup API; OUT=path, default var/backups/
	@$(PY) scripts/backup.py backup $(if $(OUT),--out "$(OUT)")

restore: install  ## restore FILE=... into a new database (INTO=name or file); the live one is not touched
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/... [INTO=...]"; exit 2; }
	@$(PY) scripts/backup.py restore "$(FILE)" $(if $(INTO),--into "$(INTO)")

STUDENTS ?=
bench-import: install  ## import_csv speed against a bare COPY (throwaway PostgreSQL)
	@bash scripts/bench.sh benchmarks/import_speed.py $(if $(STUDENTS),--students $(STUDENTS))

YEARS ?=
bench-generate: install  ## generate and load a 100,000-student, 3-year district (throwaway PostgreSQL)
	@bash scripts/bench.sh benchmarks/generate_load.py $(if $(STUDENTS),--students $(STUDENTS)) $(if $(YEARS),--years $(YEARS))

bench-features: install  ## weekly features for a 100,000-student district against PostgreSQL's floor
	@apt-get install -y -qq redis-server >/dev/null 2>&1 || true
	@bash scripts/bench.sh benchmarks/features_speed.py $(if $(STUDENTS),--students $(STUDENTS))

bench-feature-writes: install  ## what PostgreSQL spends per feature row written, with and without keys, indexes and jsonb
	@bash scripts/bench.sh benchmarks/feature_writes.py $(if $(STUDENTS),--students $(STUDENTS))

bench-model: install  ## risk model quality against the ABC rules and the truth, training and scoring speed
	@bash scripts/bench.sh benchmarks/model_quality.py $(if $(STUDENTS),--students $(STUDENTS))

bench-messy: install  ## a messy district (no attendance feed, harsh course, pass mark 40, October year) against a tidy one
	@bash scripts/bench.sh benchmarks/messy_district.py $(if $(STUDENTS),--students $(STUDENTS))

bench-pages:  install  ## dashboard and student pages, 8 clients for 60 s, 100,000 students (throwaway PostgreSQL)
	@bash scripts/bench.sh benchmarks/pages_load.py $(if $(STUDENTS),--students $(STUDENTS))

bench-attendance: install  ## the attendance trends page uncached, from the records and from the weekly summary (the demo's SQLite district)
	@$(PY) benchmarks/attendance_page.py

bench-access-log: install  ## the student page with and without its record of access (throwaway PostgreSQL)
	@bash scripts/bench.sh benchmarks/access_log_cost.py $(if $(STUDENTS),--students $(STUDENTS))
