#!/usr/bin/env bash
# tests/pg_cluster.sh start|stop DIR — a throwaway PostgreSQL cluster for the
# tests of the PostgreSQL store (ctest's fixture pg_cluster: tests/CMakeLists.txt).
#
# start: initdb in DIR/data, listening on no TCP port, only on a Unix socket
# in DIR (listen_addresses='', unix_socket_directories=DIR), trust
# authentication for the superuser "giamsat", fsync on (the store refuses a
# server without it). postgres refuses to run as root: under root the cluster
# runs as the unprivileged user "nobody" (runuser). Prints the URI the tests
# use (GIAMSAT_TEST_PG): postgresql:///postgres?host=DIR&user=giamsat.
# stop: stops it and removes DIR. Both are safe to repeat.
set -euo pipefail

cmd=${1:?usage: pg_cluster.sh start|stop DIR}
dir=${2:?usage: pg_cluster.sh start|stop DIR}

bin=
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin=$d
done
if [ -z "$bin" ]; then
  bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
[ -x "$bin/initdb" ] || { echo "pg_cluster.sh: initdb not found: apt-get install postgresql" >&2; exit 1; }

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(runuser -u nobody --)
fi

case "$cmd" in
start)
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ ${#as_owner[@]} -eq 0 ] || chown nobody "$dir"
  "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U giamsat --auth=trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 300
shared_buffers = 32MB
CONF
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start \
    >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir&user=giamsat"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pg_cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac
