#!/usr/bin/env bash
# The demo: a store on disk, written and read back through the syncevents tool, in under a minute.
# Run it with `make demo` (which builds the release binary first). EVENTS=20000 make demo for a quicker run.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/syncevents
events=${EVENTS:-100000}
work=$(mktemp -d "${TMPDIR:-/tmp}/syncevents-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
store=$work/store

if [ -t 1 ]; then bold=$'\033[1m'; dim=$'\033[2m'; plain=$'\033[0m'; else bold=; dim=; plain=; fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }
milliseconds() { date +%s%3N; }

# show CMD…: prints the command, runs it, prints the first 600 bytes of its output, its size, exit
# status and wall time. Output goes to a file first, so a long body never breaks the pipe.
show() {
    printf '%s$' "$dim"; printf ' %q' "$@"; printf '%s\n' "$plain"
    local start end status=0
    start=$(milliseconds)
    "$@" > "$work/out" || status=$?
    end=$(milliseconds)
    head -c 600 "$work/out"
    local size
    size=$(wc -c < "$work/out")
    if [ "$size" -gt 600 ]; then
        printf '%s… (%d bytes in all)%s\n' "$dim" "$size" "$plain"
    elif [ "$size" -gt 0 ] && [ "$(tail -c 1 "$work/out")" != "" ]; then
        printf '\n'
    fi
    printf '%s[exit %d, %d ms]%s\n' "$dim" "$status" $((end - start)) "$plain"
}

say "1. Generate $events realistic sync events as NDJSON (deterministic for a seed)"
show "$bin" generate --events 2 --seed 42
"$bin" generate --events "$events" --seed 42 > "$work/events.ndjson"
org=$(head -1 "$work/events.ndjson" | grep -o '"organizationId":"[^"]*"' | cut -d'"' -f4)
instance=$(head -1 "$work/events.ndjson" | grep -o '"connectorInstanceId":"[^"]*"' | cut -d'"' -f4)
id=$(head -1 "$work/events.ndjson" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)

say "2. Import them: every line is validated first, then written in batches (all or nothing)"
show "$bin" import --store "$store" "$work/events.ndjson"

say "3. What the store holds"
show "$bin" stats --store "$store"

say "4. Query: the 3 newest failed events of organization $org, as its admin sees them"
show "$bin" list --store "$store" --organization "$org" --query 'status=failed&limit=3'
cursor=$(grep -o '"nextCursor":"[^"]*"' "$work/out" | cut -d'"' -f4)

say "   … the next page: pass nextCursor back (it is bound to the filters and the viewer)"
show "$bin" list --store "$store" --organization "$org" --status failed --limit 3 --cursor "$cursor"

say "5. Query: a member who may see one connector instance, its push events"
show "$bin" list --store "$store" --organization "$org" --viewer member --visible-instances "$instance" \
    --query 'eventType=push&limit=2'

say "6. Query: q, a case-insensitive substring of externalEventRef + sourceRevisionRef; q=ZO%C3%8B is 'ZOË' and finds 'Zoë'"
show "$bin" list --store "$store" --organization "$org" --query 'q=ZO%C3%8B&limit=2'

say "7. An invalid request answers the endpoint's 400 body and exits 2"
show "$bin" list --store "$store" --organization "$org" --query 'limit=500&status=done'

say "8. One event, as a member without a grant on its instance (403) and as the admin"
show "$bin" get --store "$store" --organization "$org" --viewer member --visible-instances '' "$id"
show "$bin" get --store "$store" --organization "$org" "$id"

say "9. Timing in process: each request 200 times (parse, plan, execute, encode the body)"
cat > "$work/requests.ndjson" <<EOF
{"organizationId": "$org", "viewer": "admin", "query": "limit=50"}
{"organizationId": "$org", "viewer": "admin", "query": "status=failed&limit=50"}
{"organizationId": "$org", "viewer": {"visibleInstances": ["$instance"]}, "query": "eventType=push&limit=50"}
{"organizationId": "$org", "viewer": "admin", "query": "q=zo%C3%AB&limit=50"}
EOF
show "$bin" bench --store "$store" --queries "$work/requests.ndjson" --repeat 200

say "10. A consistent, compacted backup (writers may keep running), and a check of every index"
show "$bin" backup --store "$store" --to "$work/backup"
show "$bin" verify --store "$work/backup"

say "More: $bin --help, and $bin <command> --help for each command's options and examples."
