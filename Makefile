# The two commands a new machine needs: `make demo` and `make test`. Both build everything first.
PYTHON ?= python3
VENV   ?= .venv
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml locks/dev.txt | cksum | cut -d' ' -f1)
APT    := $(shell command -v apt-get 2>/dev/null)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The Lambda runtime and its glibc, from template.yaml's Mappings (the one place naming them).
MAPPING = sed -n 's/^ *$(1): *"*\([0-9a-z.]*\)"*.*/\1/p' template.yaml
RUNTIME := $(shell $(call MAPPING,PythonRuntime))
GLIBC   := $(shell $(call MAPPING,Glibc))

.PHONY: venv demo up test check typecheck-target lint bench system-deps clean lock layer notices

venv: $(STAMP)

# Installs exactly what locks/dev.txt pins (hash-checked), then this project without its deps.
$(STAMP): pyproject.toml locks/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r locks/dev.txt
	$(VENV)/bin/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

## lock: re-lock after changing dependencies (kept versions stay); `make lock UPGRADE=1` takes the
## newest. One resolution for every Python from 3.11 picks a single version of each package where
## one fits them all; locks/layer.txt takes it for the Lambda runtime on aarch64 (wheels only, for
## its glibc), locks/dev.txt for Python 3.11 here.
lock: $(STAMP)
	@test -n "$(RUNTIME)" -a -n "$(GLIBC)" || { echo "template.yaml names no PythonRuntime/Glibc"; exit 1; }
	mkdir -p .pressroom/lock
	$(if $(UPGRADE),rm -f .pressroom/lock/shared.txt,cp locks/dev.txt .pressroom/lock/shared.txt)
	$(VENV)/bin/uv pip compile --quiet --universal --fork-strategy fewest --python-version 3.11 \
	  pyproject.toml --extra dev $(if $(UPGRADE),--upgrade) -o .pressroom/lock/shared.txt
	$(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" --generate-hashes \
	  --python-version $(RUNTIME:python%=%) --python-platform aarch64-manylinux_$(subst .,_,$(GLIBC)) \
	  --only-binary :all: -c .pressroom/lock/shared.txt layers/pressroom/requirements.txt -o locks/layer.txt
	$(VENV)/bin/uv pip compile --quiet --custom-compile-command "make lock" --generate-hashes \
	  --python-version 3.11 -c .pressroom/lock/shared.txt pyproject.toml --extra dev -o locks/dev.txt

## layer: the Lambda layer as `sam build` makes it, in .pressroom/layer (no Docker needed)
layer:
	rm -rf .pressroom/layer
	$(MAKE) --no-print-directory -f layers/pressroom/Makefile build-PressroomLayer ARTIFACTS_DIR=$(CURDIR)/.pressroom/layer

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

## typecheck-target: mypy again as the Lambda runtime's Python (template.yaml) sees the code: its
## stubs know what that version removed or changed
typecheck-target: $(STAMP)
	$(VENV)/bin/mypy --python-version $(RUNTIME:python%=%)

## test: the checks, then unit, integration (moto) and end-to-end (local stack, real browser) tests; any skip fails
test: $(STAMP) system-deps check typecheck-target
	PRESSROOM_NO_SKIPS=1 $(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scrub.py

clean:
	rm -rf $(VENV) .pressroom .pytest_cache .hypothesis

## notices: THIRD_PARTY_NOTICES.md for what the layer ships, and the licence allow-list check
notices: $(STAMP)
	$(VENV)/bin/python -m pressroom_local.notices
