#!/usr/bin/env bash
# The PostgreSQL store beside the embedded one on the same generated data, in one run (issue 14): the
# list shapes and `q` of Benchmarks/ through `syncevents bench`, then claimDue(limit: 10).
#
#   scripts/with-postgres.sh scripts/postgres-bench.sh [EVENTS]     # default 1000000
#
# Needs SES_POSTGRES_URL (scripts/with-postgres.sh starts a throwaway server). Prints a Markdown table of
# p50 / p99 per shape and backend; the raw lines are kept in .build/pg-bench-EVENTS/.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
repeat=${REPEAT:-200}
url=${SES_POSTGRES_URL:?run it under scripts/with-postgres.sh or set SES_POSTGRES_URL}
bin=.build/release/syncevents
[ -x "$bin" ] || swift build -c release --product syncevents
work=.build/pg-bench-$events
mkdir -p "$work"
if [ ! -s "$work/events.ndjson" ]; then
    "$bin" generate --events "$events" --organizations 2 --instances 600 --targets 6000 --seed 42 > "$work/events.ndjson"
fi
python3 scripts/bench-requests.py "$work/events.ndjson" > "$work/requests.ndjson" 2> "$work/names.txt"
rm -rf "$work/store"
start=$(date +%s)
"$bin" import --store "$work/store" "$work/events.ndjson" > /dev/null
echo "import of $events events into the embedded store: $(($(date +%s) - start)) s"
start=$(date +%s)
"$bin" import --postgres "$url" "$work/events.ndjson" > /dev/null
echo "import of $events events into PostgreSQL: $(($(date +%s) - start)) s"
"$bin" bench --store "$work/store" --queries "$work/requests.ndjson" --repeat "$repeat" > "$work/store.jsonl"
"$bin" bench --postgres "$url" --queries "$work/requests.ndjson" --repeat "$repeat" > "$work/postgres.jsonl"
# Claims change the data: last, and on both.
"$bin" bench --store "$work/store" --claims 200 > "$work/store-claims.jsonl"
"$bin" bench --postgres "$url" --claims 200 > "$work/postgres-claims.jsonl"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
names = open(f"{w}/names.txt").read().split()
rows = lambda f: [json.loads(l) for l in open(f"{w}/{f}") if l.strip()]
store, pg = rows("store.jsonl"), rows("postgres.jsonl")
fmt = lambda us: f"{us:.0f} µs" if us < 1000 else f"{us / 1000:.2f} ms"
print("| shape | items | store p50 / p99 | PostgreSQL p50 / p99 | PostgreSQL / store (p50) |\n|---|---|---|---|---|")
for n, s, p in zip(names, store, pg):
    assert s["items"] == p["items"], (n, s, p)
    print(f"| `{n}` | {s['items']} | {fmt(s['p50_us'])} / {fmt(s['p99_us'])} | {fmt(p['p50_us'])} / {fmt(p['p99_us'])} | {p['p50_us'] / s['p50_us']:.1f}× |")
for s, p in zip(rows("store-claims.jsonl"), rows("postgres-claims.jsonl")):
    print(f"| `claimDue(limit: 10)` | {s.get('claimed', '')} | {fmt(s['p50_us'])} / {fmt(s['p99_us'])} | {fmt(p['p50_us'])} / {fmt(p['p99_us'])} | {p['p50_us'] / s['p50_us']:.1f}× |")
PY
