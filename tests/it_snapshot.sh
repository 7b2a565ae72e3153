#!/usr/bin/env bash
# it_snapshot.sh — start-up from rule snapshots (issue 13, item 4;
# node/startup.h, common/ingest.h "rule-state snapshots"):
#   - a clean stop saves a snapshot and the clean-stop marker; the next start
#     loads it and replays only the entries after it (log line and /metrics);
#   - a snapshot whose bytes were altered (seal broken) is ignored with a log
#     line and the older one is used; with none good, a full replay, which
#     gives byte for byte the state the snapshots held;
#   - a snapshot sealed by the node's key but bound to another root is
#     ignored;
#   - --verify-all replays everything and compares it with the snapshots;
#     a snapshot that parses and is sealed but holds a state the log does not
#     give quarantines the node (it accepts nothing);
#   - after an unclean stop (kill -9) the start verifies the whole log again
#     in the background while it serves; its verdict is logged and in
#     /metrics, and a bad snapshot found that way quarantines.
#
# usage: it_snapshot.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
tool=$build/tests/gs_tool
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-snapshot-XXXXXX")
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/node.log" ] && { echo "== node.log" >&2; tail -40 "$work/node.log" >&2; }
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

origin=giamsat/commune/xa-snap
node_ep=ipc://$work/node/node.sock
port=$(free_port)
db=$work/node/node.db
export GIAMSAT_CONNECT=$node_ep

"$gs" node init --dir "$work/node" --tier commune --unit xa-snap --name "Xa Snap" \
  --listen "$node_ep" --http "127.0.0.1:$port" >/dev/null || fail "node init"

# Each start logs into its own file (run N), so a check reads that run only.
run=0
start_node() { # start_node [ARGS...]
  run=$((run + 1))
  "$node_bin" --config "$work/node/node.conf" "$@" 2>"$work/run$run.log" &
  node_pid=$!
  ln -sf "$work/run$run.log" "$work/node.log"
  wait_until 120 "node run $run serves" "$gs" checkpoint --connect "$node_ep"
}
stop_node() { # SIGTERM, wait for the clean stop
  kill -TERM "$node_pid"
  wait "$node_pid" || fail "node run $run did not stop cleanly"
  node_pid=
}
crash_node() {
  kill -9 "$node_pid"
  wait "$node_pid" 2>/dev/null || true
  node_pid=
}
logged() { grep -qF -- "$1" "$work/run$run.log"; }
metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
k=0
submit() { # submit N: N feedbacks from fresh keys, each accepted
  for _ in $(seq "$1"); do
    k=$((k + 1))
    "$gs" key new --out "$work/c$k.key" >/dev/null
    "$gs" feedback --key "$work/c$k.key" --text "feedback $k" >/dev/null 2>"$work/err" ||
      fail "feedback $k refused: $(cat "$work/err")"
  done
}
size() { "$gs" checkpoint --connect "$node_ep" | sed -n 2p; }
snap_sizes() { sqlite3 "$db" "SELECT group_concat(size, ' ') FROM (SELECT size FROM rule_snapshots ORDER BY size)"; }

# 1. A clean stop saves a snapshot; the next start loads it.
start_node
logged "no rule snapshot; replayed all 1 entries" || fail "first start: $(cat "$work/node.log")"
submit 3
s1=$(size)
stop_node
logged "rule snapshot of $origin saved at size $s1" || fail "no snapshot saved at $s1"
[ -f "$work/node/node.clean-stop" ] || fail "no clean-stop marker"
[ "$(snap_sizes)" = "$s1" ] || fail "snapshots held: $(snap_sizes), want $s1"
pass "a clean stop saves the rule snapshot at size $s1 and the clean-stop marker"

start_node
logged "loaded the rule snapshot at size $s1 and replayed the 0 entries after it" ||
  fail "second start did not use the snapshot"
[ ! -f "$work/node/node.clean-stop" ] || fail "the marker is still there while the node runs"
! logged "did not stop cleanly" || fail "a clean stop was taken for an unclean one"
wait_until 120 "/metrics says the snapshot the start loaded" metric_is giamsat_node_start_snapshot_size "$s1"
metric_is giamsat_node_start_replayed_entries 0 || fail "replayed: $(metric giamsat_node_start_replayed_entries)"
pass "the start loads the snapshot at $s1 and replays nothing"
submit 2
s2=$(size)
stop_node
[ "$(snap_sizes)" = "$s1 $s2" ] || fail "snapshots held: $(snap_sizes), want $s1 $s2"

# 2. Entries after the snapshot are replayed (signatures checked).
"$tool" append-feedbacks "$db" "$origin" 20 tail >/dev/null
s3=$((s2 + 20))
start_node
logged "loaded the rule snapshot at size $s2 and replayed the 20 entries after it" ||
  fail "third start: $(grep 'rule state' "$work/node.log")"
metric_is giamsat_node_start_replayed_entries 20 || fail "replayed: $(metric giamsat_node_start_replayed_entries)"
pass "the start replays only the 20 entries after the snapshot at $s2"
stop_node
[ "$(snap_sizes)" = "$s2 $s3" ] || fail "snapshots held: $(snap_sizes), want $s2 $s3"
want_state=$(sqlite3 "$db" "SELECT hex(state) FROM rule_snapshots WHERE size = $s3")

# 3. A byte flipped in the newest snapshot: ignored, the older one is used.
"$tool" forge-snapshot "$db" "$origin" flip >/dev/null
start_node
logged "ignoring the rule snapshot of $origin at size $s3: its seal does not match" ||
  fail "the altered snapshot was not said to be ignored"
logged "loaded the rule snapshot at size $s2 and replayed the 20 entries after it" ||
  fail "the older snapshot was not used"
pass "an altered snapshot is ignored with a log line; the older one is used"
stop_node

# 4. None good: a full replay, which gives the same state byte for byte.
sqlite3 "$db" "UPDATE rule_snapshots SET check_hash = zeroblob(32)"
start_node
logged "no rule snapshot; replayed all $s3 entries" || fail "no full replay"
[ "$(grep -c 'ignoring the rule snapshot' "$work/node.log")" = 2 ] || fail "both were not said"
stop_node
[ "$(sqlite3 "$db" "SELECT hex(state) FROM rule_snapshots WHERE size = $s3")" = "$want_state" ] ||
  fail "the full replay's state differs from the snapshot's"
pass "with every snapshot altered, a full replay; its state is the snapshot's byte for byte"

# 5. Sealed with the node's key but for another tree: ignored.
"$tool" append-feedbacks "$db" "$origin" 5 more >/dev/null
s4=$((s3 + 5))
start_node
stop_node
[ "$(snap_sizes)" = "$s3 $s4" ] || fail "snapshots held: $(snap_sizes), want $s3 $s4"
"$tool" forge-snapshot "$db" "$origin" root "$work/node/node.key" >/dev/null
start_node
logged "at size $s4: it belongs to another tree" || fail "a snapshot of another root was not refused"
logged "loaded the rule snapshot at size $s3 and replayed the 5 entries after it" ||
  fail "the older snapshot was not used"
pass "a snapshot bound to another root is ignored"
stop_node
s3=$s4

# 6. --verify-all: the whole log again, compared with the snapshots.
start_node --verify-all
logged "--verify-all: all $s3 entries of $origin verified" || fail "--verify-all: $(cat "$work/node.log")"
logged "2 rule snapshot(s) compared and equal" || fail "--verify-all did not compare both snapshots"
metric_is giamsat_node_verification 2 || fail "verification metric $(metric giamsat_node_verification)"
pass "--verify-all verifies every entry and finds both snapshots equal to the replay"
stop_node
"$tool" forge-snapshot "$db" "$origin" state "$work/node/node.key" >/dev/null
start_node --verify-all
logged "--verify-all FAILED: the rule snapshot of $origin at size $s3 differs" ||
  fail "a lying snapshot passed --verify-all"
logged "QUARANTINED" || fail "not quarantined"
metric_is giamsat_node_verification 3 || fail "verification metric $(metric giamsat_node_verification)"
metric_is giamsat_node_quarantined 1 || fail "quarantined metric $(metric giamsat_node_quarantined)"
k=$((k + 1))
"$gs" key new --out "$work/c$k.key" >/dev/null
expect 1 "a quarantined node accepts nothing" -- "$gs" feedback --key "$work/c$k.key" --text x
grep -q "accepts nothing" "$work/err" || fail "refusal: $(cat "$work/err")"
stop_node
[ -z "$(snap_sizes)" ] || fail "snapshots kept after a failed verification: $(snap_sizes)"
start_node
logged "no rule snapshot; replayed all $s3 entries" || fail "the start after the failure did not replay in full"
! logged "QUARANTINED" || fail "the log itself is sound, yet quarantined"
pass "--verify-all quarantines on a sealed snapshot the log does not give, and drops the snapshots"
stop_node

# 7. Unclean stop: the start verifies everything again in the background.
[ "$(snap_sizes)" = "$s3" ] || fail "snapshots held: $(snap_sizes), want $s3"
start_node
submit 2
crash_node
[ ! -f "$work/node/node.clean-stop" ] || fail "a marker after kill -9"
start_node
logged "the last run did not stop cleanly: verifying the $s3 entries below the rule snapshot" ||
  fail "no background verification after kill -9: $(cat "$work/node.log")"
wait_until 300 "the background verification passes" \
  logged "background verification after an unclean stop: all $s3 entries of $origin verified"
wait_until 120 "/metrics says it passed" metric_is giamsat_node_verification 2
metric_is giamsat_node_quarantined 0 || fail "quarantined after a good verification"
submit 1
pass "after kill -9 the log is verified again in the background while the node serves"
crash_node
"$tool" forge-snapshot "$db" "$origin" state "$work/node/node.key" >/dev/null
start_node
wait_until 300 "the background verification fails" \
  logged "background verification after an unclean stop FAILED"
wait_until 120 "/metrics says it failed" metric_is giamsat_node_verification 3
wait_until 120 "/metrics says quarantined" metric_is giamsat_node_quarantined 1
stop_node
[ -z "$(snap_sizes)" ] || fail "snapshots kept after a failed verification: $(snap_sizes)"
pass "a lying snapshot found by the background verification quarantines the node"
echo "it_snapshot: all checks passed"
