#!/usr/bin/env bash
# A throwaway PostgreSQL server from Debian's packages, for the tests and the cluster demo.
#
#   eval "$(./scripts/postgres.sh start DIR)"   initdb in DIR (made), start on a free port on
#                                               127.0.0.1 with its socket in DIR; prints
#                                               export ZJ_TEST_POSTGRES_URL=postgres://…/postgres
#   ./scripts/postgres.sh restart DIR           restart it (fast shutdown: its clients are cut off)
#   ./scripts/postgres.sh stop DIR              stop it (fast shutdown) and remove DIR
#   ./scripts/postgres.sh install               apt-get install postgresql when initdb is missing
#
# Debian keeps initdb and pg_ctl in /usr/lib/postgresql/<version>/bin, and initdb refuses to run
# as root: as root, both run as the postgres user on a directory it owns.
set -euo pipefail

bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && printf '%s\n' "$dir"
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
  install)
    if [ -z "$(bin_dir)" ]; then
      sudo_cmd=""
      [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
      $sudo_cmd apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
    fi
    ;;
  start)
    dir=${2:?usage: postgres.sh start DIR}
    bin=$(bin_dir) || { echo "PostgreSQL is not installed: ./scripts/postgres.sh install" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "export ZJ_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  restart)
    dir=${2:?usage: postgres.sh restart DIR}
    bin=$(bin_dir) || { echo "PostgreSQL is not installed" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(bin_dir) || exit 0
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    sed -n '2,11p' "$0" >&2
    exit 2
    ;;
esac
