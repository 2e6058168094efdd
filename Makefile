# SyncEventStore: `make demo` shows the store at work, `make test` runs the whole test suite.
SHELL := /bin/bash
.PHONY: demo test deps build release

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

# The PostgreSQL conformance tests need a server: scripts/with-postgres.sh installs PostgreSQL when
# missing, starts a throwaway cluster on a free loopback port, runs the tests against it and stops it.
test: deps
	bash scripts/with-postgres.sh swift test

demo: release
	bash scripts/demo.sh
