# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing system packages first (apt, as root or through sudo, only when missing).

SWIFT ?= swift
APT_PACKAGES := pkg-config libwebsockets-dev libsqlite3-dev libssl-dev libcurl4 espeak-ng chromium chromium-driver python3-venv
PORT ?= 8080

.PHONY: run test build setup bench-load

## Install missing system packages, build, and run the engine on http://localhost:$(PORT).
run: setup
	$(SWIFT) build --product jestry
	$$($(SWIFT) build --show-bin-path)/jestry serve --port $(PORT)

## Install missing system packages and run every test (unit, prompt examples, end-to-end, WebSocket conformance).
test: setup
	$(SWIFT) test
	sh Tests/Conformance/run.sh

build: setup
	$(SWIFT) build

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
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
