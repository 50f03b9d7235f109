# All targets set themselves up on a fresh machine: they create .venv and install the project.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-e2e validate eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	PTB_TIMEDELTA=true $(PY) -m bot run

test: $(STAMP)
	$(PY) -m bot kb validate
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check bot tests bench
	$(PY) -m ruff format --check bot tests bench
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) bench/bench_matcher.py
	$(PY) bench/bench_reload.py

bench-e2e: $(STAMP)
	$(PY) bench/bench_e2e.py
	$(PY) bench/bench_channels.py

validate: $(STAMP)
	$(PY) -m bot kb validate

eval: $(STAMP)
	$(PY) -m bot eval ../shared/eval/dev.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
