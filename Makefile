# The two commands a new machine needs: `make demo` and `make test`. Both build everything first.
PYTHON ?= python3
VENV   ?= .venv
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
APT    := $(shell command -v apt-get 2>/dev/null)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo up test lint bench bench-vision analysis-lock system-deps clean

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

## system-deps: exiftool (the reference for leftover metadata), chromium (browser tests) and the
## DejaVu fonts (the drawn scenes of the image-analysis tests)
system-deps:
	@if ! command -v exiftool >/dev/null || ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
	  if [ -z "$(APT)" ]; then echo "install exiftool, chromium and the DejaVu fonts with your package manager"; exit 1; fi; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libimage-exiftool-perl chromium fonts-dejavu-core >/dev/null; \
	fi

## test: unit, integration (moto) and end-to-end (local stack, real browser) tests; any skip fails
test: $(STAMP) system-deps
	PRESSROOM_NO_SKIPS=1 $(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/scrub.py

## bench-vision: image analysis on ../shared/vision and drawn scenes, beside the rejected alternatives
bench-vision: $(STAMP)
	$(VENV)/bin/python benchmarks/vision.py

## analysis-lock: re-resolve the image-analysis function's lock for python3.14 on arm64 (glibc <= 2.34)
analysis-lock: $(STAMP)
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile analysis/requirements.in --python-version 3.14 \
	  --python-platform aarch64-manylinux_2_28 --only-binary :all: --generate-hashes --no-header \
	  --index-url https://pypi.org/simple -o analysis/requirements.lock

clean:
	rm -rf $(VENV) .pressroom .pytest_cache .hypothesis
