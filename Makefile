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

test: deps
	swift test

demo: release
	bash scripts/demo.sh
