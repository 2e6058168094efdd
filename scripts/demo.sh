#!/usr/bin/env bash
# The demo: a store on disk, written and read back through the syncevents tool.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/syncevents
"$bin" --help || true
