#!/usr/bin/env bash
# Runs a command (default: `swift test`) with SES_POSTGRES_URL pointing at a throwaway PostgreSQL
# cluster: installs PostgreSQL from Debian's packages when missing, creates the cluster in a temporary
# folder, starts it on a free loopback port, and stops and removes it on exit, even when the command fails.
# With SES_POSTGRES_URL already set, runs the command against that server instead.
set -euo pipefail
[[ $# -gt 0 ]] || set -- swift test

if [[ -n "${SES_POSTGRES_URL:-}" ]]; then exec "$@"; fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(pg_bin)
if [[ -z "$bin" || ! -x "$bin/initdb" || -z "$(ls /usr/share/postgresql/*/extension/pg_trgm.control 2>/dev/null)" ]]; then
    echo "with-postgres: installing postgresql and postgresql-contrib" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    bin=$(pg_bin)
fi

# initdb refuses to run as root: run the cluster as the `postgres` user then (CI runs as root).
if [[ $(id -u) -eq 0 ]]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/ses-postgres.XXXXXX")
chmod 755 "$dir"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"

port=""
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[[ -n "$port" ]] || { echo "with-postgres: no free port found" >&2; exit 1; }

stop() {
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT INT TERM

as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)" >&2

export SES_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
set +e
"$@"
status=$?
exit $status
