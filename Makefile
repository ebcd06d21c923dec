# The two commands a newcomer needs: `make run` and `make test`.
# Both install missing system packages first (apt, as root or through sudo, only when missing).

SWIFT ?= swift
APT_PACKAGES := pkg-config libwebsockets-dev libsqlite3-dev libssl-dev libcurl4 espeak-ng chromium chromium-driver
PORT ?= 8080

.PHONY: run test build setup

## Install missing system packages, build, and run the engine on http://localhost:$(PORT).
run: setup
	$(SWIFT) build --product jestry
	$$($(SWIFT) build --show-bin-path)/jestry serve --port $(PORT)

## Install missing system packages and run every test: the browser client's JavaScript units, then the Swift tests
## (unit, prompt examples, end-to-end, browser).
test: setup
	node --test Tests/ClientTests/*.test.js
	$(SWIFT) test

build: setup
	$(SWIFT) build

setup:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
