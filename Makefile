# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing system packages first (apt, as root or through sudo, only when missing).

SWIFT ?= swift
APT_PACKAGES := pkg-config libwebsockets-dev libsqlite3-dev libssl-dev libcurl4 espeak-ng chromium chromium-driver
PORT ?= 8080
# The Python references for bench-vad live outside the clone, in a virtualenv named after its requirements.
JESTRY_CACHE ?= $(HOME)/.cache/jestry
VAD_VENV = $(JESTRY_CACHE)/venv-vad-$(shell sha256sum bench/vad/requirements.txt | cut -c1-16)

.PHONY: run test build setup bench-vad

## Install missing system packages, build, and run the engine on http://localhost:$(PORT).
run: setup
	$(SWIFT) build --product jestry
	$$($(SWIFT) build --show-bin-path)/jestry serve --port $(PORT)

## Install missing system packages and run every test (unit, prompt examples and end-to-end).
test: setup
	$(SWIFT) test

build: setup
	$(SWIFT) build

## Speech detection on the labelled test set beside Silero VAD v6 and webrtcvad: one table (docs/BENCHMARKS.md).
bench-vad: setup
	$(SWIFT) build -c release --product jestry
	@if [ ! -x "$(VAD_VENV)/bin/python" ]; then \
	  echo "Creating $(VAD_VENV)"; rm -rf "$(VAD_VENV).partial"; \
	  python3 -m venv "$(VAD_VENV).partial" \
	    && "$(VAD_VENV).partial/bin/pip" install -q --no-deps -r bench/vad/requirements.txt \
	    && mv "$(VAD_VENV).partial" "$(VAD_VENV)"; \
	fi
	@mixes=$$(mktemp -d); \
	$$($(SWIFT) build -c release --show-bin-path)/jestry bench vad --export "$$mixes" \
	  && "$(VAD_VENV)/bin/python" bench/vad/compare.py "$$mixes"; status=$$?; rm -rf "$$mixes"; exit $$status

setup:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
