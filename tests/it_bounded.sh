#!/usr/bin/env bash
# it_bounded.sh — bounded under hostile clients (issue 9 part 5), the parts
# a command line shows:
#   - the open budget (rules.h rule 15): a node whose Charter sets
#     open_feedback_per_day 2 takes two feedbacks from keys outside its
#     roster in a day and refuses the third (open-budget), whichever key
#     sends it; `giamsat parameters --open-feedback-per-day 3` raises it from
#     the next entry on; a member's feedback does not use the budget; flags
#     out of range are usage errors;
#   - the hub's growth quota: a hub with max_growth = 3 refuses the node's
#     checkpoint (more than 3 entries beyond what it cosigned) without
#     fetching it, says so in its log, holds no evidence; with max_growth = 0
#     (no limit) it cosigns the full size; a SIGTERM stops it.
#
# usage: it_bounded.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-bounded-XXXXXX")
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
    [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
said() { grep -qF -- "$1" "$work/err" || fail "expected \"$1\" in: $(cat "$work/err")"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

origin=giamsat/commune/xa-binh-an
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
export GIAMSAT_CONNECT=$node_ep
for who in head c1 c2 c3 c4 c5; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done

# ---- the open budget
expect 2 "node init refuses an open budget of 0" -- "$gs" node init --dir "$work/bad" \
  --tier commune --unit xa-binh-an --name "Xa Binh An" --open-feedback-per-day 0
said "--open-feedback-per-day: expected 1 to 1000000"
expect 0 "node init with --open-feedback-per-day 2" -- "$gs" node init --dir "$work/node" \
  --tier commune --unit xa-binh-an --name "Xa Binh An" --listen "$node_ep" --open-feedback-per-day 2
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
"$node_bin" --config "$work/node/node.conf" 2>"$work/node/node.log" &
node_pid=$!
wait_until 120 "the node serves" "$gs" checkpoint --connect "$node_ep"
expect 0 "entries" -- "$gs" entries --json
[ "$(jq '.[0].body.open_feedback_per_day' "$work/out")" = 2 ] ||
  fail "the Charter does not name open_feedback_per_day 2: $(cat "$work/out")"
pass "the Charter names open_feedback_per_day 2"

expect 0 "a first key outside the roster gives feedback" -- "$gs" feedback --key "$work/c1.key" --text "one"
expect 0 "a second key gives feedback" -- "$gs" feedback --key "$work/c2.key" --text "two"
expect 1 "a third key's feedback is over the log's budget" -- "$gs" feedback --key "$work/c3.key" --text "three"
said "open-budget"
said "its limit is 2 a day"
expect 1 "so is another feedback of the first key" -- "$gs" feedback --key "$work/c1.key" --text "again"
said "open-budget"

expect 2 "parameters needs a value" -- "$gs" parameters --key "$work/node/node.key"
said "--open-feedback-per-day"
expect 2 "parameters refuses an open budget of 0" -- "$gs" parameters --key "$work/node/node.key" \
  --open-feedback-per-day 0
expect 1 "the node refuses an open budget above the maximum" -- "$gs" parameters \
  --key "$work/node/node.key" --open-feedback-per-day 1000001
said "bad-parameter"
expect 0 "the log key raises the open budget to 3" -- "$gs" parameters --key "$work/node/node.key" \
  --open-feedback-per-day 3
expect 0 "the third key's feedback is now taken" -- "$gs" feedback --key "$work/c3.key" --text "three"
expect 1 "the fourth is over the raised budget" -- "$gs" feedback --key "$work/c4.key" --text "four"
said "its limit is 3 a day"

head_pub=$("$gs" key show "$work/head.key")
expect 0 "appoint a head" -- "$gs" appoint --key "$work/node/node.key" --person "$head_pub" \
  --name "Head" --role head
expect 0 "a member's feedback does not use the open budget" -- "$gs" feedback --key "$work/head.key" \
  --text "from the head"
expect 0 "roster" -- "$gs" roster
grep -qF "rule parameters: open_feedback_per_day 3" "$work/out" ||
  fail "roster does not show the open budget: $(cat "$work/out")"
pass "roster shows open_feedback_per_day 3"

# ---- the hub's growth quota
size=$("$gs" checkpoint --connect "$node_ep" | sed -n 2p)
[ "$size" -gt 3 ] || fail "the log has only $size entries"
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name bounded
grep -q '^max_growth = 1000000$' "$work/hub/hub.conf" || fail "hub.conf does not say max_growth"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^max_growth = .*/max_growth = 3/' \
  "$work/hub/hub.conf"
expect 0 "hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
hub_pid=$!
wait_until 120 "the hub refuses the checkpoint of size $size for its growth quota" \
  grep -qF "more than its max_growth of 3 (hub.conf): not fetched" "$work/hub/hub.log"
pass "the hub refuses a checkpoint beyond its growth quota"
expect 1 "the hub holds no checkpoint of the log" -- "$gs" checkpoint --connect "$hub_ep" --origin "$origin"
! grep -q "sync $origin from" "$work/hub/hub.log" || fail "the hub started fetching entries"
pass "the hub fetched nothing"
expect 0 "giamsat evidence" -- "$gs" evidence --connect "$hub_ep" --json
[ "$(jq 'length' "$work/out")" = 0 ] || fail "the hub holds evidence: $(cat "$work/out")"
pass "the hub holds no evidence"

kill -TERM "$hub_pid"
wait_until 120 "the hub stops on SIGTERM" bash -c "! kill -0 $hub_pid"
hub_pid=
sed -i 's/^max_growth = .*/max_growth = 0/' "$work/hub/hub.conf"
"$hub_bin" --config "$work/hub/hub.conf" 2>>"$work/hub/hub.log" &
hub_pid=$!
hub_holds() {
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$origin" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$size" ] && grep -q "^— giamsat/hub/bounded " <<<"$note"
}
wait_until 120 "the hub without a quota cosigns size $size" hub_holds
pass "with max_growth = 0 the hub cosigns size $size"

kill -TERM "$node_pid" "$hub_pid"
wait_until 120 "both daemons stop on SIGTERM" bash -c "! kill -0 $node_pid 2>/dev/null && ! kill -0 $hub_pid 2>/dev/null"
node_pid=
hub_pid=
echo "it_bounded: all passed"
