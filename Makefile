# SyncEventStore: `make demo` shows the store at work, `make test` runs the whole test suite.
SHELL := /bin/bash
.PHONY: demo test contract-test load deps build release fuzz crash processes

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

# The unit and CLI tests (with a throwaway PostgreSQL for the conformance suite: scripts/with-postgres.sh
# installs PostgreSQL when missing, starts a cluster on a free loopback port and stops it), then the
# contract test: the built server against the OpenAPI file with schemathesis (installs python3-venv when
# missing, and schemathesis into .venv-schemathesis/). The fuzz targets' saved inputs replay inside
# `swift test` (FuzzRegressionTests); a libFuzzer run needs a second, sanitized full build (~5-10 min on
# 2 cores), so it is off here to keep `make test` within its 20 minutes: `make test FUZZ_SMOKE_SECONDS=10`
# adds 10 s per target, `make fuzz` is the full run.
FUZZ_SMOKE_SECONDS ?= 0
test: deps
	bash scripts/with-postgres.sh swift test
	bash scripts/contract-test.sh
	@if [ "$(FUZZ_SMOKE_SECONDS)" != 0 ]; then scripts/fuzz.sh --seconds $(FUZZ_SMOKE_SECONDS); fi

contract-test: deps
	bash scripts/contract-test.sh

# Load test of the release server over loopback with wrk (installed when missing); EVENTS=1000000 by default.
load: release
	bash scripts/load-test.sh

# The reliability suites' full runs (RELIABILITY.md).
fuzz: deps
	scripts/fuzz.sh --runs 10000000

crash: deps
	CRASH_KILLS=200 swift test --filter CrashSuiteTests

processes: deps
	PROCESSES_SECONDS=60 swift test --filter OtherProcessesTests

demo: release
	bash scripts/demo.sh
