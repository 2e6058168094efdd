#!/usr/bin/env bash
# The hostile-input suite (RELIABILITY.md): libFuzzer on the query parser, the cursor decoder and the
# NDJSON record decoder.
#
#   scripts/fuzz.sh [--runs N | --seconds S] [--jobs J] [target…]     targets: query cursor record (default: all)
#
# Builds `fuzz-inputs` with libFuzzer coverage everywhere and AddressSanitizer in the Swift code (release,
# scratch path .build/fuzz so the ordinary build is untouched; BoringSSL's C code is left without ASan,
# which made the targets that compute cursor MACs ~10x slower), then runs each target from Fuzz/seeds/<target> plus a working corpus in
# .build/fuzz/corpus/<target>. A crash stops the run with a non-zero status and leaves the input in
# .build/fuzz/artifacts/<target>/; replay it with `swift run fuzz-inputs <target> FILE`.
# Prints one summary line per target: `fuzz <target>: N executions in S s, C crashes`.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=""
seconds=""
targets=()
while (($#)); do
    case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    query | cursor | record) targets+=("$1"); shift ;;
    *) echo "usage: $0 [--runs N | --seconds S] [query|cursor|record]…" >&2; exit 2 ;;
    esac
done
((${#targets[@]})) || targets=(query cursor record)
[[ -n "$runs$seconds" ]] || seconds=20

scratch=.build/fuzz
# `--sanitize fuzzer` makes SwiftPM leave `main` to libFuzzer; -Xswiftc adds ASan to the Swift modules.
swift build -c release --scratch-path "$scratch" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -DFUZZING --product fuzz-inputs
binary="$scratch/release/fuzz-inputs"

status=0
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$scratch/artifacts/$target/"
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    limit=()
    if [[ -n "$runs" ]]; then limit+=(-runs="$runs"); else limit+=(-max_total_time="$seconds"); fi
    log="$scratch/$target.log"
    start=$(date +%s)
    set +e
    # Leak checks are off: the fixture store and the Swift runtime's caches live until exit by design.
    # The Swift backtracer is off: ASan and libFuzzer report the crash themselves.
    ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" "$binary" "${limit[@]}" -max_len=4096 -timeout=10 \
        -rss_limit_mb=4096 -detect_leaks=0 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "Fuzz/seeds/$target" >"$log" 2>&1
    code=$?
    set -e
    elapsed=$(($(date +%s) - start))
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    crashes=$(find "$artifacts" -type f | wc -l)
    echo "fuzz $target: ${executions:-?} executions in $elapsed s, $crashes crash files, exit $code"
    if ((code != 0)); then
        status=1
        grep -E "broke a promise|Fatal error|ERROR: |SUMMARY" "$log" | head -5 >&2 || true
    fi
done
exit $status
