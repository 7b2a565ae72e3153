#!/usr/bin/env bash
# it_service.sh — what systemd sees of the daemons (deploy/systemd units,
# Type=notify), without systemd: a real giamsat-node and giamsat-hub given
#   1. $NOTIFY_SOCKET and $WATCHDOG_USEC, a Unix datagram socket read here:
#      READY=1 once the daemon serves (a client is answered at once), then
#      WATCHDOG=1 again and again, STOPPING=1 at SIGTERM, exit 0;
#   2. $JOURNAL_STREAM naming their stderr: every line starts with its
#      syslog priority (<6> info, <3> error) and carries no time of its own;
#      naming another stream: the usual timestamped lines;
#   3. a protected key and no passphrase_file: the passphrase is the
#      credential "passphrase" in $CREDENTIALS_DIRECTORY (LoadCredential=).
#
# usage: it_service.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-service-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# notify_listen NAME: a service manager's notification socket at
# $work/NAME.sock; every datagram becomes one line of $work/NAME.log.
notify_listen() {
  python3 - "$work/$1.sock" "$work/$1.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode().replace("\n", " ").strip() + "\n")
        out.flush()
PY
  pids+=("$!")
  wait_until 120 "the $1 notification socket exists" test -S "$work/$1.sock"
}
count() { grep -cx "$1" "$work/$2.log" || true; }
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }
line_of() { grep -nx -m1 "$1" "$work/$2.log" | cut -d: -f1; }

# ---- a node and a hub
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep"

# ---- 1. readiness, watchdog and stop, for each daemon
notify_run() { # NAME BINARY CONFIG ENDPOINT READ-COMMAND...
  local name=$1 bin=$2 config=$3
  shift 3
  notify_listen "$name"
  # A watchdog of 1 s: pings every half second, so a few arrive quickly.
  NOTIFY_SOCKET=$work/$name.sock WATCHDOG_USEC=1000000 "$bin" --config "$config" \
    2>"$work/$name-daemon.log" &
  local pid=$!
  pids+=("$pid")
  wait_until 120 "$name says READY=1" at_least READY=1 "$name" 1
  # Ready means serving: the first request after READY=1 is answered.
  expect 0 "$name answers as soon as it said READY=1" -- "$@"
  wait_until 120 "$name pings the watchdog three times" at_least WATCHDOG=1 "$name" 3
  local ready watchdog
  ready=$(line_of READY=1 "$name")
  watchdog=$(line_of WATCHDOG=1 "$name")
  [ "$ready" -lt "$watchdog" ] || fail "$name pinged the watchdog before it was ready"
  [ "$(count READY=1 "$name")" = 1 ] || fail "$name said READY=1 more than once"
  pass "$name: READY=1, then WATCHDOG=1 pings"
  [ "$(count STOPPING=1 "$name")" = 0 ] || fail "$name said STOPPING=1 while running"
  kill -TERM "$pid"
  set +e
  wait "$pid"
  local status=$?
  set -e
  [ "$status" = 0 ] || fail "$name exited $status after SIGTERM"
  [ "$(count STOPPING=1 "$name")" = 1 ] || fail "$name did not say STOPPING=1 at SIGTERM"
  pass "$name: STOPPING=1 at SIGTERM, exit 0"
}
notify_run node "$node_bin" "$work/node/node.conf" "$gs" checkpoint --connect "$node_ep"
notify_run hub "$hub_bin" "$work/hub/hub.conf" "$gs" checkpoint --connect "$hub_ep" \
  --origin giamsat/hub/tinh

# Without WATCHDOG_USEC: ready, and no watchdog pings.
notify_listen plain
NOTIFY_SOCKET=$work/plain.sock "$node_bin" --config "$work/node/node.conf" 2>"$work/plain-daemon.log" &
pid=$!
pids+=("$pid")
wait_until 120 "node without a watchdog says READY=1" at_least READY=1 plain 1
expect 0 "a request after READY=1 (one loop turn at least)" -- "$gs" checkpoint --connect "$node_ep"
kill -TERM "$pid"
wait "$pid" || fail "node without a watchdog exited $? after SIGTERM"
[ "$(count WATCHDOG=1 plain)" = 0 ] || fail "WATCHDOG=1 sent without WATCHDOG_USEC"
pass "no WATCHDOG=1 without WATCHDOG_USEC"

# ---- 2. syslog priorities when stderr is the journal
: >"$work/journal.log"
stream=$(stat -c %d:%i "$work/journal.log")
JOURNAL_STREAM=$stream "$node_bin" --config "$work/node/node.conf" 2>>"$work/journal.log" &
pid=$!
pids+=("$pid")
wait_until 120 "the node logs that it serves" grep -q "serving giamsat/commune/xa-an-binh" "$work/journal.log"
kill -TERM "$pid"
wait "$pid" || fail "node on the journal exited $? after SIGTERM"
grep -qx '<6>info giamsat-node: serving giamsat/commune/xa-an-binh, log size 1, .*' "$work/journal.log" ||
  fail "no '<6>info giamsat-node: serving ...' line on the journal"
grep -qx '<6>info giamsat-node: stopped: .*' "$work/journal.log" || fail "no <6> stop line"
bad=$(grep -cvE '^<[3467]>(debug|info|warn|error) giamsat-node: ' "$work/journal.log" || true)
[ "$bad" = 0 ] || fail "$bad journal line(s) without a syslog priority: $(grep -vE '^<[0-7]>' "$work/journal.log" | head -3)"
! grep -qE '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$work/journal.log" || fail "a journal line has its own time"
pass "journal: <6>info lines, no timestamps"

# An error is <3>: a configuration naming a missing key.
sed 's/^key = .*/key = missing.key/' "$work/node/node.conf" >"$work/node/bad.conf"
: >"$work/journal-err.log"
stream=$(stat -c %d:%i "$work/journal-err.log")
set +e
JOURNAL_STREAM=$stream "$node_bin" --config "$work/node/bad.conf" 2>>"$work/journal-err.log"
status=$?
set -e
[ "$status" = 2 ] || fail "node with a missing key exited $status, want 2"
grep -qx '<3>error giamsat-node: cannot start: .*missing.key.*' "$work/journal-err.log" ||
  fail "no '<3>error giamsat-node: cannot start' line: $(cat "$work/journal-err.log")"
pass "journal: <3>error for a start-up failure"

# $JOURNAL_STREAM naming another stream (stderr redirected by a child):
# the usual lines, with their time.
: >"$work/other.log"
set +e
JOURNAL_STREAM=$(stat -c %d:%i "$work/journal.log") "$node_bin" --config "$work/node/bad.conf" \
  2>>"$work/other.log"
set -e
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z error giamsat-node: cannot start' "$work/other.log" ||
  fail "stderr not the journal, yet no timestamped line: $(cat "$work/other.log")"
pass "stderr elsewhere: timestamped lines, no priority"
# ---- 3. the passphrase as a systemd credential
printf 'correct horse battery staple\n' >"$work/pass"
chmod 600 "$work/pass"
expect 0 "node init with a protected key" -- "$gs" node init --dir "$work/locked" --tier commune \
  --unit phuc-xa --name "Phuc Xa" --listen "ipc://$work/locked/node.sock" --passphrase-file "$work/pass"
grep -q '^passphrase_file' "$work/locked/node.conf" || fail "node init wrote no passphrase_file"
sed -i '/^passphrase_file/d' "$work/locked/node.conf"
expect 2 "without passphrase_file nor credential the key does not open" -- \
  "$node_bin" --config "$work/locked/node.conf"
mkdir "$work/creds"
cp "$work/pass" "$work/creds/passphrase"
chmod 400 "$work/creds/passphrase" # as systemd writes credentials
CREDENTIALS_DIRECTORY=$work/creds "$node_bin" --config "$work/locked/node.conf" 2>"$work/locked.log" &
pid=$!
pids+=("$pid")
wait_until 120 "the node with its passphrase as a credential serves" \
  "$gs" checkpoint --connect "ipc://$work/locked/node.sock"
kill -TERM "$pid"
wait "$pid" || fail "node with a credential exited $? after SIGTERM"
pass "passphrase from \$CREDENTIALS_DIRECTORY/passphrase"
printf 'wrong\n' >"$work/creds/wrong"
rm -f "$work/creds/passphrase"
cp "$work/creds/wrong" "$work/creds/passphrase"
chmod 400 "$work/creds/passphrase"
set +e
CREDENTIALS_DIRECTORY=$work/creds "$node_bin" --config "$work/locked/node.conf" 2>"$work/locked.log"
status=$?
set -e
[ "$status" = 2 ] || fail "a wrong credential passphrase: exit $status, want 2"
pass "a wrong credential passphrase is refused (exit 2)"
echo "PASS it_service"
