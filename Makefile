# Two commands on a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from requirements-dev.txt on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.txt | cut -c1-12)

# Qt goes offscreen for the tests only: `make demo` decides by itself (tools/demo.py opens
# Anki when DISPLAY or WAYLAND_DISPLAY is set, and only imports offscreen otherwise).
export QTWEBENGINE_CHROMIUM_FLAGS ?= --no-sandbox
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: venv demo test lint build bench clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Import the sample lesson into a sandbox Anki profile offscreen, then open Anki on it when
## a display exists (DISPLAY or WAYLAND_DISPLAY set).
demo: $(STAMP)
	$(PY) -m tools.demo

## Lint, type-check and run every test, offscreen (the command CI runs).
test: export QT_QPA_PLATFORM = offscreen
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
