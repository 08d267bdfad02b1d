# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.pbm-installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml tools/ensure_venv.py
	$(PYTHON) tools/ensure_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,distributed]'
	touch $@

## run: install into .venv if needed, then run the main job on the bundled sample year
run: $(STAMP)
	$(BIN)/pbm run

## test: install into .venv if needed, then lint and run the whole test suite
test: $(STAMP)
	tools/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .

## bench: run every benchmark (prints timings and ratios against in-process baselines)
bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
