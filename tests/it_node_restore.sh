#!/usr/bin/env bash
# it_node_restore.sh — never go back (DESIGN principle 9, common/refill.h):
# a node restored from an old backup, or one that lost its -wal file, must
# not hand out an index twice nor make its hub accuse it.
#   - a node with a hub as its witness; statements flow, the hub cosigns;
#   - `giamsat node backup` copies the running node's database;
#   - more statements, receipted and cosigned by the hub;
#   - the node is stopped, the backup restored over its database, and it is
#     started while its hub is down: it refuses every submission with
#     "refilling: log is behind its signed checkpoint N" and says in its log
#     that it is read-only until the entries can be refilled;
#   - the hub comes back: the node refills from it, every receipt handed out
#     before the restore still names its statement (same index, same leaf),
#     new statements get new indexes, the hub cosigns them and holds no
#     evidence;
#   - lost WAL: more statements, kill -9, the -wal file deleted: the node
#     refills again and converges the same way.
#
# usage: it_node_restore.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-restore-XXXXXX")
node_pid=
hub_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  [ -n "$hub_pid" ] && kill -9 "$hub_pid" 2>/dev/null || true
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node/node.log" "$work/hub/hub.log"; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -30 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
until_true() {
  local secs=$1 what=$2
  shift 3
  wait_until "$secs" "$what" "$@"
  pass "$what"
}

origin=giamsat/commune/xa-an-binh
hub_name=giamsat/hub/restore
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
export GIAMSAT_CONNECT=$node_ep

"$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh --name "Xa An Binh" \
  --listen "$node_ep" >/dev/null || fail "node init"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
grep -q '^checkpoint_interval_ms = 50' "$work/node/node.conf" ||
  sed -i 's/^\[node\]$/[node]\ncheckpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
"$gs" hub init --dir "$work/hub" --name restore >/dev/null || fail "hub init"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
hub_cosigner=$("$gs" key show "$work/hub/hub.key" --name "$hub_name" --cosigner)
"$gs" hub follow --config "$work/hub/hub.conf" --origin "$origin" --log-key "$node_vkey" \
  --source "$node_ep" >/dev/null || fail "hub follow"
printf '\n[witness]\nwitness = %s,%s\n' "$hub_ep" "$hub_cosigner" >>"$work/node/node.conf"

start_node() {
  "$node_bin" --config "$work/node/node.conf" 2>>"$work/node/node.log" &
  node_pid=$!
}
start_hub() {
  "$hub_bin" --config "$work/hub/hub.conf" 2>>"$work/hub/hub.log" &
  hub_pid=$!
}
stop() { # stop PID: SIGTERM and wait
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

start_hub
start_node
until_true 120 "the node serves" -- "$gs" checkpoint --connect "$node_ep"
until_true 120 "the hub serves" -- "$gs" checkpoint --connect "$hub_ep"

# receipts: one line "index leaf_hash_b64" per statement accepted.
: >"$work/receipts"
k=0
# feedback_settled K: sends feedback K; true once the node has answered it
# with anything but its start check's "starting: … retry shortly" (a node
# just started holds writes while it asks its witnesses what they hold).
# The answer is left in $work/out and $work/err, the exit status in
# $work/status.
feedback_settled() {
  local st=0
  "$gs" feedback --key "$work/c$1.key" --text "feedback $1" --json >"$work/out" 2>"$work/err" ||
    st=$?
  echo "$st" >"$work/status"
  [ "$st" = 0 ] || ! grep -q "UNAVAILABLE: starting:" "$work/err"
}
submit() { # submit N: N feedbacks from fresh keys; each receipt recorded
  for _ in $(seq "$1"); do
    k=$((k + 1))
    "$gs" key new --out "$work/c$k.key" >/dev/null
    wait_until 120 "the node answers feedback $k" feedback_settled "$k"
    [ "$(cat "$work/status")" = 0 ] || fail "feedback $k refused: $(cat "$work/err")"
    jq -r '"\(.index) \(.leaf_hash_b64)"' "$work/out" >>"$work/receipts"
  done
}
node_size() { "$gs" checkpoint --connect "$node_ep" 2>/dev/null | sed -n 2p; }
# hub_holds SIZE: the hub serves the node's log at SIZE with its cosignature.
hub_holds() {
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$origin" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$1" ] && grep -q "^— $hub_name " <<<"$note"
}
# node_cosigned SIZE: the node serves its checkpoint at SIZE with the hub's line.
node_cosigned() {
  local note
  note=$("$gs" checkpoint --connect "$node_ep" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$1" ] && grep -q "^— $hub_name " <<<"$note"
}
no_evidence() {
  "$gs" evidence --connect "$hub_ep" --json >"$work/ev" 2>"$work/err" ||
    fail "evidence: $(cat "$work/err")"
  [ "$(jq length "$work/ev")" = 0 ] || fail "the hub holds evidence: $(cat "$work/ev")"
  ! grep -E "EVIDENCE|rollback|split view|error giamsat-hub" "$work/hub/hub.log" >"$work/bad" ||
    fail "the hub log shows a fault: $(cat "$work/bad")"
}
# receipts_hold: every receipt still names its statement, and no index was
# receipted twice.
receipts_hold() {
  local dup
  dup=$(cut -d' ' -f1 "$work/receipts" | sort | uniq -d)
  [ -z "$dup" ] || fail "indexes receipted twice: $dup"
  while read -r index leaf; do
    "$gs" proof inclusion --index "$index" --json >"$work/proof" 2>"$work/err" ||
      fail "no inclusion proof of receipted entry $index: $(cat "$work/err")"
    [ "$(jq -r .leaf_hash_b64 "$work/proof")" = "$leaf" ] ||
      fail "entry $index is no longer the statement its receipt names"
  done <"$work/receipts"
}

# ---- statements flow; a backup; more statements, cosigned
submit 5
until_true 120 "the hub cosigns size 6" -- hub_holds 6
"$gs" node backup --data "$work/node" --out "$work/backup.db" 2>"$work/err" ||
  fail "node backup: $(cat "$work/err")"
pass "giamsat node backup copies the running node's database"
"$gs" node backup --data "$work/node" --out "$work/backup.db" 2>"$work/err" &&
  fail "a second backup over the first one was not refused"
grep -q "already exists" "$work/err" || fail "expected 'already exists' in: $(cat "$work/err")"
pass "a backup never replaces a file"
submit 5
until_true 120 "the hub cosigns size 11" -- hub_holds 11
until_true 120 "the node holds the hub's cosignature of size 11" -- node_cosigned 11

# ---- restore the old backup while the hub is down
stop "$node_pid"
node_pid=
stop "$hub_pid"
hub_pid=
cp "$work/backup.db" "$work/node/node.db"
rm -f "$work/node/node.db-wal" "$work/node/node.db-shm"
start_node
until_true 120 "the restored node serves reads" -- "$gs" checkpoint --connect "$node_ep"
[ "$(node_size)" = 6 ] || fail "the restored node serves size $(node_size), not the backup's 6"
"$gs" key new --out "$work/early.key" >/dev/null
if "$gs" feedback --key "$work/early.key" --text "too early" --json >"$work/out" 2>"$work/err"; then
  fail "the restored node accepted a statement at index $(jq .index "$work/out") before refilling"
fi
grep -q "refilling: log is behind its signed checkpoint 11 (restored backup or lost WAL?)" \
  "$work/err" || fail "unexpected refusal: $(cat "$work/err")"
pass "the restored node refuses submissions: $(head -c 120 "$work/err")..."
until_true 120 "the node says in its log that it is read-only until refilled" -- \
  grep -q "READ-ONLY: .*operator must act" "$work/node/node.log"

start_hub
until_true 120 "the node refills up to size 11 from its hub" -- node_cosigned 11
receipts_hold
pass "every receipt given before the restore still names its statement"
submit 3
until_true 120 "the hub cosigns the new size 14" -- hub_holds 14
receipts_hold
pass "new statements took new indexes"
no_evidence
pass "the hub recorded no evidence against the restored node"

# ---- lost WAL: kill -9, the -wal file deleted
submit 2
until_true 120 "the hub cosigns size 16" -- hub_holds 16
until_true 120 "the node holds the hub's cosignature of size 16" -- node_cosigned 16
kill -9 "$node_pid"
wait "$node_pid" 2>/dev/null || true
node_pid=
[ -s "$work/node/node.db-wal" ] || fail "no -wal file to lose"
rm -f "$work/node/node.db-wal" "$work/node/node.db-shm"
start_node
until_true 120 "the node serves reads after losing its WAL" -- "$gs" checkpoint --connect "$node_ep"
until_true 120 "the node refills up to size 16 after losing its WAL" -- node_cosigned 16
grep -q "behind its signed checkpoint 16" "$work/node/node.log" ||
  fail "the node did not notice it lost entries"
receipts_hold
submit 2
until_true 120 "the hub cosigns size 18 after the lost WAL" -- hub_holds 18
receipts_hold
no_evidence
pass "lost WAL: no index receipted twice, no evidence, the hub keeps cosigning"

# ---- the whole folder restored, marker included (here: removed): the
# witness's answer at start (CONFLICT with its larger size) is what stops
# the node going back
stop "$node_pid"
node_pid=
cp "$work/backup.db" "$work/node/node.db"
rm -f "$work/node/node.db-wal" "$work/node/node.db-shm" "$work/node/node.signed-checkpoint"
start_node
until_true 120 "the node serves reads after a restore without its marker" -- \
  "$gs" checkpoint --connect "$node_ep"
until_true 120 "its witness's answer makes it refill up to size 18" -- node_cosigned 18
grep -q "witness $hub_name holds size 18 of this log, which holds 6" "$work/node/node.log" ||
  fail "the node did not learn from its witness that it went back"
receipts_hold
submit 2
until_true 120 "the hub cosigns size 20 after a restore without marker" -- hub_holds 20
receipts_hold
no_evidence
pass "restore without marker: no index receipted twice, no evidence, the hub keeps cosigning"
