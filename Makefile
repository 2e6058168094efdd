# SyncEventStore: `make demo` shows the store at work, `make test` runs the whole test suite.
SHELL := /bin/bash
.PHONY: demo test contract-test load deps build release

# liblmdb-dev provides lmdb.h, liblmdb.so and lmdb.pc; install it when pkg-config cannot find it.
deps:
	@if ! pkg-config --exists lmdb 2>/dev/null; then \
		echo "installing liblmdb-dev"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq liblmdb-dev pkg-config; \
	fi

build: deps
	swift build

release: deps
	swift build -c release --product syncevents

# The unit and CLI tests, then the contract test: the built server against the OpenAPI file with
# schemathesis (installs python3-venv when missing, and schemathesis into .venv-schemathesis/).
test: deps
	swift test
	bash scripts/contract-test.sh

contract-test: deps
	bash scripts/contract-test.sh

# Load test of the release server over loopback with wrk (installed when missing); EVENTS=1000000 by default.
load: release
	bash scripts/load-test.sh

demo: release
	bash scripts/demo.sh
