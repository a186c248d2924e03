# Two commands on a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from requirements-dev.txt on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.txt | cut -c1-12)

export QT_QPA_PLATFORM ?= offscreen
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: venv demo test lint build bench clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Import the sample lesson into a sandbox Anki profile (opens Anki when a display exists).
demo: $(STAMP)
	$(PY) -m tools.demo

## Lint, type-check and run every test (the command CI runs).
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

build: $(STAMP)
	$(PY) -m tools.build

bench: $(STAMP)
	$(PY) -m tools.bench

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
