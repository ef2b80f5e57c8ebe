# The two commands a new machine needs: `make demo` and `make test`. Both build everything first.
PYTHON ?= python3
VENV   ?= .venv
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
APT    := $(shell command -v apt-get 2>/dev/null)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo up test check lint bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

## demo: run sample photos through the whole pipeline on a local stack (no AWS account needed)
demo: $(STAMP)
	$(VENV)/bin/pressroom local demo

## up: the local stack until Ctrl-C
up: $(STAMP)
	$(VENV)/bin/pressroom local up

## system-deps: exiftool (the reference for leftover metadata) and chromium (browser tests)
system-deps:
	@if ! command -v exiftool >/dev/null || ! command -v chromium >/dev/null; then \
	  if [ -z "$(APT)" ]; then echo "install exiftool and chromium with your package manager"; exit 1; fi; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libimage-exiftool-perl chromium >/dev/null; \
	fi

## check: ruff (lint, import order) and mypy (types) over the package, the dev tools and the tests
check: $(STAMP)
	$(VENV)/bin/ruff check layers devtools functions tests benchmarks
	$(VENV)/bin/mypy

## test: the checks, then unit, integration (moto) and end-to-end (local stack, real browser) tests; any skip fails
test: $(STAMP) system-deps check
	PRESSROOM_NO_SKIPS=1 $(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scrub.py

clean:
	rm -rf $(VENV) .pressroom .pytest_cache .hypothesis
