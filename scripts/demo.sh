#!/usr/bin/env bash
# The demo: a store on disk, written and read back through the syncevents tool, in under a minute.
# Run it with `make demo` (which builds the release binary first). EVENTS=20000 make demo for a quicker run.
# It ends by serving the store on 127.0.0.1:${PORT:-8080} until Ctrl-C.
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

say "11. Serve the store over HTTP on 127.0.0.1 (Ctrl-C to stop), with a tokens file: an admin and a member"
member_instances=$(grep "\"organizationId\":\"$org\"" "$work/events.ndjson" | head -2000 \
    | grep -o '"connectorInstanceId":"[^"]*"' | cut -d'"' -f4 | sort -u | head -3)
viewer1=$(sed -n 1p <<< "$member_instances"); viewer2=$(sed -n 2p <<< "$member_instances")
editor=$(sed -n 3p <<< "$member_instances")
cat > "$work/tokens.json" <<JSON
{"tokens": {"demo-admin": {"organizationId": "$org", "role": "admin"},
            "demo-member": {"organizationId": "$org", "role": "member",
                            "grants": {"$viewer1": "viewer", "$viewer2": "viewer", "$editor": "editor"}}}}
JSON
printf '%s%s%s\n' "$dim" "$(cat "$work/tokens.json")" "$plain"
port=${PORT:-8080}
"$bin" serve --store "$store" --host 127.0.0.1 --port "$port" --tokens "$work/tokens.json" \
    > "$work/ready" 2> "$work/access.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 0' INT TERM
for _ in $(seq 1 100); do grep -q 'http://' "$work/ready" 2>/dev/null && break; kill -0 $server 2>/dev/null || break; sleep 0.1; done
if ! url=$(grep -o 'http://[^ ]*' "$work/ready"); then
    cat "$work/access.log"; echo "the server did not start (is port $port taken? try PORT=8081 make demo)"; exit 1
fi
cat "$work/ready"
cat <<CURLS

${bold}Try, in another terminal:${plain}
  curl $url/health
  curl -H 'Authorization: Bearer demo-admin' '$url/v1/connector-sync-events?status=failed&limit=3'
  curl -H 'x-api-key: demo-member' '$url/v1/connector-sync-events?limit=2'
  curl -H 'Authorization: Bearer demo-admin' '$url/v1/connector-sync-events/$id'
  curl -H 'x-api-key: demo-member' '$url/v1/connector-sync-events/$id'
  curl -X POST -H 'Authorization: Bearer demo-admin' '$url/v1/connector-sync-events/$id/retry'
  curl -H 'Authorization: Bearer demo-admin' '$url/v1/connector-sync-events?limit=500&status=done'
  curl '$url/v1/connector-sync-events'
  curl $url/openapi.yaml
${dim}Access log: $work/access.log. Ctrl-C stops the server.${plain}

More: $bin --help, and $bin <command> --help for each command's options and examples.
CURLS
wait $server
