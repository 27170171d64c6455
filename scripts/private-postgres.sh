#!/usr/bin/env bash
# A private PostgreSQL cluster for runs that restart the server (`choreo chaos --faults
# ...,pg-restart`): never the machine's shared server.
#
#   scripts/private-postgres.sh start DIR PORT    initdb in DIR when empty, start on 127.0.0.1:PORT
#   scripts/private-postgres.sh restart DIR       pg_ctl restart -m fast (what pg-restart runs)
#   scripts/private-postgres.sh stop DIR          pg_ctl stop -m fast
#
# Role choreo/choreo (superuser of the cluster, so services can create their databases),
# max_connections 500, fsync off (a scratch cluster). Run as root, the server programs run
# as the postgres user (PostgreSQL refuses root). Then, for example:
#
#   CHOREO_DATABASE_URL=postgresql://choreo:choreo@127.0.0.1:PORT/choreo \
#     choreo chaos --faults default,pg-restart \
#       --pg-restart-command "scripts/private-postgres.sh restart DIR"
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | restart DIR | stop DIR" >&2
  exit 2
}

[ $# -ge 2 ] || usage
command=$1
dir=$2
bin=""
for version in 16 15 17 14; do
  if [ -x "/usr/lib/postgresql/$version/bin/initdb" ]; then
    bin="/usr/lib/postgresql/$version/bin"
    break
  fi
done
[ -n "$bin" ] || { echo "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql" >&2; exit 1; }

# Runs a server program as postgres when this script runs as root.
as_server() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$command" in
  start)
    [ $# -eq 3 ] || usage
    port=$3
    case "$port" in '' | *[!0-9]*) echo "PORT must be a number" >&2; exit 2 ;; esac
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      password_file=$(mktemp)
      echo choreo >"$password_file"
      if [ "$(id -u)" = 0 ]; then chown postgres "$password_file"; fi
      as_server "$bin/initdb" -D "$dir/data" -U choreo --pwfile "$password_file" \
        --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-sync >"$dir/initdb.log"
      rm -f "$password_file"
      cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 500
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    fi
    as_server "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" start >/dev/null
    # The cluster's own database for the role, as on the shared server.
    PGPASSWORD=choreo "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U choreo -d postgres \
      -c "SELECT 1 FROM pg_database WHERE datname = 'choreo'" -tA | grep -q 1 ||
      PGPASSWORD=choreo "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U choreo -d postgres -c "CREATE DATABASE choreo"
    echo "postgresql://choreo:choreo@127.0.0.1:$port/choreo"
    ;;
  restart)
    as_server "$bin/pg_ctl" -D "$dir/data" -w -m fast -l "$dir/log" restart >/dev/null
    ;;
  stop)
    as_server "$bin/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null
    ;;
  *) usage ;;
esac
