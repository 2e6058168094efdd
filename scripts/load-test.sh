#!/usr/bin/env bash
# Load test of `syncevents serve` (release build) over loopback with wrk: requests/s and p99 latency for
# GET /health, the list with no filter (admin), the list as a member with a status filter, and the list
# with a q that matches nothing. Run it with `make load`; EVENTS (1000000), DURATION (10s), CONNECTIONS (16)
# and THREADS (2) change the run. The store is generated once and kept in .build/load-store-$EVENTS.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-1000000}
duration=${DURATION:-10s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-2}
bin=.build/release/syncevents
store=.build/load-store-$events

if ! command -v wrk > /dev/null; then
    echo "installing wrk"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
[ -x "$bin" ] || swift build -c release --product syncevents

work=$(mktemp -d "${TMPDIR:-/tmp}/syncevents-load.XXXXXX")
pid=
stop() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true; fi
    rm -rf "$work"
}
trap stop EXIT

if [ ! -f "$store/data.mdb" ] || [ ! -f "$store.first.ndjson" ]; then
    echo "generating and importing $events events into $store (once)"
    rm -rf "$store"
    "$bin" generate --events "$events" --seed 42 > "$work/events.ndjson"
    head -2000 "$work/events.ndjson" > "$store.first.ndjson"
    "$bin" import --store "$store" "$work/events.ndjson" > /dev/null
    rm "$work/events.ndjson"
fi
org=$(head -1 "$store.first.ndjson" | grep -o '"organizationId":"[^"]*"' | cut -d'"' -f4)
grants=$(grep "\"organizationId\":\"$org\"" "$store.first.ndjson" | grep -o '"connectorInstanceId":"[^"]*"' \
    | cut -d'"' -f4 | sort -u | head -3 | sed 's/.*/"&": "viewer"/' | paste -sd, -)
cat > "$work/tokens.json" <<JSON
{"tokens": {"load-admin": {"organizationId": "$org", "role": "admin"},
            "load-member": {"organizationId": "$org", "role": "member", "grants": {$grants}}}}
JSON

"$bin" serve --store "$store" --port 0 --tokens "$work/tokens.json" > "$work/ready" 2> "$work/access.log" &
pid=$!
for _ in $(seq 1 300); do grep -q 'http://' "$work/ready" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/ready")

# The server's CPU time so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# run NAME TOKEN PATH: one wrk run; prints a table row: requests/s, p50, p99, and the server's CPU time
# per request (user + system, µs), which other processes on a shared machine do not inflate.
run() {
    local name=$1 token=$2 path=$3 out before after
    local auth=()
    [ -n "$token" ] && auth=(-H "Authorization: Bearer $token")
    before=$(cpu_ticks)
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "${auth[@]}" "$url$path")
    after=$(cpu_ticks)
    local rps p50 p99 non2xx requests cpu
    rps=$(awk '/^Requests\/sec/ {print $2}' <<< "$out")
    p50=$(awk '$1 == "50%" {print $2}' <<< "$out")
    p99=$(awk '$1 == "99%" {print $2}' <<< "$out")
    requests=$(awk '/requests in/ {print $1}' <<< "$out")
    cpu=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')
    non2xx=$(awk '/Non-2xx/ {print $5}' <<< "$out")
    printf '| %s | `%s` | %s | %s | %s | %s |%s\n' "$name" "$path" "$rps" "$p50" "$p99" "$cpu" \
        "${non2xx:+ non-2xx: $non2xx}"
}

echo "wrk -t$threads -c$connections -d$duration, $events events, $(nproc) cores, server: $bin; $(uptime)"
echo
echo "| scenario | request | requests/s | p50 | p99 | server CPU µs/request |"
echo "|---|---|---:|---:|---:|---:|"
run "health" "" "/health"
run "list, admin, no filter" load-admin "/v1/connector-sync-events"
run "list, member (3 grants), status=failed" load-member "/v1/connector-sync-events?status=failed"
run "list, admin, q matching nothing" load-admin "/v1/connector-sync-events?q=no-such-delivery-zzzz"
