#!/usr/bin/env bash
# it_hub_restore.sh — never go back, for a hub's own log (DESIGN principle
# 9, common/refill.h):
#   - hub A follows a node; hub B follows A's own log and is A's witness;
#   - `giamsat hub backup` copies A while it runs; A observes more, and B
#     cosigns A's own log beyond the backup;
#   - A is stopped and restored from the backup: it refills its own log from
#     B before it records anything (no Observation, so no cosignature, while
#     it is behind), then goes on: A cosigns the node's new statements, B
#     cosigns A's own log at the new sizes, and neither hub records evidence.
#
# usage: it_hub_restore.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-hub-restore-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node/node.log" "$work/a/hub.log" "$work/b/hub.log"; do
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
node_ep=ipc://$work/node/node.sock
a_ep=ipc://$work/a/hub.sock
b_ep=ipc://$work/b/hub.sock
export GIAMSAT_CONNECT=$node_ep

"$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh --name "Xa An Binh" \
  --listen "$node_ep" >/dev/null || fail "node init"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
for h in a b; do
  "$gs" hub init --dir "$work/$h" --name "$h" >/dev/null || fail "hub init $h"
  sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
    "$work/$h/hub.conf"
done
a_vkey=$("$gs" key show "$work/a/hub.key" --name giamsat/hub/a)
b_cosigner=$("$gs" key show "$work/b/hub.key" --name giamsat/hub/b --cosigner)
"$gs" hub follow --config "$work/a/hub.conf" --origin "$origin" --log-key "$node_vkey" \
  --source "$node_ep" >/dev/null || fail "a follows the node"
"$gs" hub follow --config "$work/b/hub.conf" --origin giamsat/hub/a --log-key "$a_vkey" \
  --source "$a_ep" >/dev/null || fail "b follows a"
printf '\n[witness]\nwitness = %s,%s\n' "$b_ep" "$b_cosigner" >>"$work/a/hub.conf"

start() { # start node|a|b
  if [ "$1" = node ]; then
    "$node_bin" --config "$work/node/node.conf" 2>>"$work/node/node.log" &
  else
    "$hub_bin" --config "$work/$1/hub.conf" 2>>"$work/$1/hub.log" &
  fi
  pids+=($!)
  eval "pid_$1=$!"
}
start node
start b
start a
until_true 120 "the node serves" -- "$gs" checkpoint --connect "$node_ep"
until_true 120 "hub a serves" -- "$gs" checkpoint --connect "$a_ep"

k=0
submit() {
  for _ in $(seq "$1"); do
    k=$((k + 1))
    "$gs" key new --out "$work/c$k.key" >/dev/null
    "$gs" feedback --key "$work/c$k.key" --text "feedback $k" >/dev/null 2>"$work/err" ||
      fail "feedback $k refused: $(cat "$work/err")"
  done
}
# cosigned EP ORIGIN SIZE NAME: EP serves ORIGIN at SIZE with NAME's line.
cosigned() {
  local note
  note=$("$gs" checkpoint --connect "$1" --origin "$2" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$3" ] && grep -q "^— $4 " <<<"$note"
}
a_size() { "$gs" checkpoint --connect "$a_ep" 2>/dev/null | sed -n 2p; }
# b_holds_a_at_least N: b cosigned a's own log at a size >= N, and that is a's size.
b_holds_a() {
  local s
  s=$(a_size) || return 1
  [ -n "$s" ] && [ "$s" -ge "$1" ] && cosigned "$b_ep" giamsat/hub/a "$s" giamsat/hub/b
}
no_evidence() {
  for h in a b; do
    "$gs" evidence --connect "ipc://$work/$h/hub.sock" --json >"$work/ev" 2>"$work/err" ||
      fail "evidence from $h: $(cat "$work/err")"
    [ "$(jq length "$work/ev")" = 0 ] || fail "hub $h holds evidence: $(cat "$work/ev")"
    ! grep -E "EVIDENCE|rollback|split view" "$work/$h/hub.log" >"$work/bad" ||
      fail "hub $h log shows a fault: $(cat "$work/bad")"
  done
}

submit 3
until_true 120 "a cosigns the node at 4" -- cosigned "$a_ep" "$origin" 4 giamsat/hub/a
until_true 120 "b cosigns a's own log" -- b_holds_a 2
"$gs" hub backup --data "$work/a" --out "$work/a-backup.db" 2>"$work/err" ||
  fail "hub backup: $(cat "$work/err")"
s1=$(a_size)
pass "giamsat hub backup copies hub a at own size $s1"
submit 3
until_true 120 "a cosigns the node at 7" -- cosigned "$a_ep" "$origin" 7 giamsat/hub/a
until_true 120 "b cosigns a's own log beyond the backup" -- b_holds_a $((s1 + 1))
s2=$(a_size)

kill -TERM "$pid_a"
wait "$pid_a" 2>/dev/null || true
cp "$work/a-backup.db" "$work/a/hub.db"
rm -f "$work/a/hub.db-wal" "$work/a/hub.db-shm"
start a
until_true 120 "restored hub a serves" -- "$gs" checkpoint --connect "$a_ep"
until_true 120 "hub a refills its own log up to $s2 from b" -- \
  grep -q "refill: own log giamsat/hub/a holds $s2 entries, everything it signed" "$work/a/hub.log"
grep -q "behind its signed checkpoint $s2" "$work/a/hub.log" ||
  fail "hub a did not say its own log was behind"
submit 2
until_true 120 "restored a cosigns the node at 9" -- cosigned "$a_ep" "$origin" 9 giamsat/hub/a
until_true 120 "b cosigns a's own log after the restore" -- b_holds_a $((s2 + 1))
no_evidence
pass "no hub recorded evidence; a's own log went on from where it had signed"
