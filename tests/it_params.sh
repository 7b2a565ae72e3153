#!/usr/bin/env bash
# it_params.sh — rule parameters live in the log (DESIGN §2.8, rules.h rule
# 18), so the node, the hub and the audit judge a log alike without any
# configuration:
#   - a node whose Charter sets feedback_per_day 20 accepts 20 feedbacks from
#     one citizen key and refuses the 21st within 24 h (rate-limited);
#   - a hub (hub init, hub follow, giamsat-hub) replicates it and cosigns the
#     full size with no evidence, and `giamsat audit` verifies it with no
#     flag, reporting the parameters in force;
#   - a ParameterChange signed by the node key lowers the limit to 2 from its
#     index on: a fresh key's third feedback is refused, and so is any
#     feedback of the first citizen; the hub cosigns, the audit verifies;
#   - a ParameterChange signed by the head is refused (role-forbids), one out
#     of range is refused (bad-parameter);
#   - a node.conf or hub.conf that still sets feedback_per_day stops start-up
#     with the command to use instead.
#
# usage: it_params.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-params-XXXXXX")
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

# said WORDS: the last command's stderr contains WORDS.
said() { grep -qF -- "$1" "$work/err" || fail "expected \"$1\" in: $(cat "$work/err")"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# until_true SECONDS DESCRIPTION -- command...: wait_until, then a pass line.
until_true() {
  local secs=$1 what=$2
  shift 3
  wait_until "$secs" "$what" "$@"
  pass "$what"
}

origin=giamsat/commune/xa-an-binh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
export GIAMSAT_CONNECT=$node_ep

for who in head citizen1 citizen2; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done
pub() { "$gs" key show "$work/$1.key"; }

# ---- a node whose Charter sets the limit, and a hub following it
expect 2 "node init refuses a limit out of range" -- "$gs" node init --dir "$work/bad" \
  --tier commune --unit xa-an-binh --name "Xa An Binh" --feedback-per-day 33
said "--feedback-per-day: expected 1 to 32"
[ ! -e "$work/bad" ] || fail "a refused node init left $work/bad behind"
expect 0 "node init with --feedback-per-day 20" -- "$gs" node init --dir "$work/node" \
  --tier commune --unit xa-an-binh --name "Xa An Binh" --listen "$node_ep" --feedback-per-day 20
! grep -q '^feedback_per_day' "$work/node/node.conf" || fail "node.conf still sets feedback_per_day"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")

expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name params
! grep -q '^feedback_per_day' "$work/hub/hub.conf" || fail "hub.conf still sets feedback_per_day"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name giamsat/hub/params)
expect 0 "hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
printf 'log %s\nlog %s\nquorum none\n' "$node_vkey" "$hub_vkey" >"$work/trust.policy"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node/node.log" &
node_pid=$!
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
hub_pid=$!
until_true 120 "the node serves" -- "$gs" checkpoint --connect "$node_ep"
until_true 120 "the hub serves" -- "$gs" checkpoint --connect "$hub_ep"

expect 0 "entries" -- "$gs" entries --json
[ "$(jq '.[0].body.feedback_per_day' "$work/out")" = 20 ] ||
  fail "the Charter does not name feedback_per_day 20: $(cat "$work/out")"
pass "the Charter names feedback_per_day 20"

# ---- the Charter's limit: 20 a day
for i in $(seq 20); do
  "$gs" feedback --key "$work/citizen1.key" --text "feedback $i" >"$work/out" 2>"$work/err" ||
    fail "feedback $i of 20 refused: $(cat "$work/err")"
done
pass "the node accepts 20 feedbacks from one key"
expect 1 "the 21st feedback within 24 h is refused" -- "$gs" feedback --key "$work/citizen1.key" \
  --text "one too many"
said "rate-limited"
said "the limit is 20 a day"

# hub_holds SIZE: the hub serves a checkpoint of the log at SIZE carrying its
# own cosignature (DESIGN §2.5: cosigned means held and verified).
hub_holds() {
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$origin" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$1" ] && grep -q "^— giamsat/hub/params " <<<"$note"
}
node_size() { "$gs" checkpoint --connect "$node_ep" | sed -n 2p; }
# no_evidence: the hub holds no evidence against anyone.
no_evidence() {
  expect 0 "giamsat evidence --json" -- "$gs" evidence --connect "$hub_ep" --json
  [ "$(jq 'length' "$work/out")" = 0 ] || fail "the hub holds evidence: $(cat "$work/out")"
  pass "the hub holds no evidence"
}
# audited SIZE LIMIT SINCE: `giamsat audit` through the hub verifies the log
# at SIZE and reports the parameters in force, without any flag.
audited() {
  expect 0 "audit through the hub verifies the log" -- "$gs" audit --connect "$hub_ep" \
    --trust "$work/trust.policy" --format json
  jq -e --arg o "$origin" --argjson size "$1" --argjson limit "$2" --argjson since "$3" '
    .verified == true and
    ([.logs[] | select(.origin == $o)] | length == 1) and
    (.logs[] | select(.origin == $o) |
      .status == "verified" and .checkpoint.size == $size and .entries_replayed == $size and
      .parameters.feedback_per_day == $limit and .parameters.since_index == $since)' \
    "$work/out" >/dev/null || fail "audit JSON: $(jq -c '.logs' "$work/out")"
  pass "the audit replays $1 entries with feedback_per_day $2 (set at index $3)"
}

size=21 # the Charter and 20 feedbacks
until_true 120 "the node's checkpoint reaches size $size" -- test "$(node_size)" = "$size"
until_true 120 "the hub cosigns size $size" -- hub_holds "$size"
no_evidence
audited "$size" 20 0

# ---- a parameter change lowers the limit from its index on
expect 0 "head appointed" -- "$gs" appoint --key "$work/node/node.key" --person "$(pub head)" \
  --name "Nguyen Van An" --role head
expect 1 "a parameter change signed by the head is refused" -- "$gs" parameters \
  --key "$work/head.key" --feedback-per-day 5
said "role-forbids"
expect 1 "a parameter change out of range is refused" -- "$gs" parameters \
  --key "$work/node/node.key" --feedback-per-day 33
said "bad-parameter"
expect 2 "a parameter change naming 0 is a usage error" -- "$gs" parameters \
  --key "$work/node/node.key" --feedback-per-day 0
expect 0 "the node key lowers the limit to 2" -- "$gs" parameters --key "$work/node/node.key" \
  --feedback-per-day 2 --json
change_index=$(jq '.index' "$work/out")
expect 0 "a fresh key's first feedback" -- "$gs" feedback --key "$work/citizen2.key" --text "one"
expect 0 "a fresh key's second feedback" -- "$gs" feedback --key "$work/citizen2.key" --text "two"
expect 1 "a fresh key's third feedback is refused" -- "$gs" feedback --key "$work/citizen2.key" \
  --text "three"
said "rate-limited"
said "the limit is 2 a day"
expect 1 "the first citizen is over the lowered limit at once" -- "$gs" feedback \
  --key "$work/citizen1.key" --text "again"
said "rate-limited"

expect 0 "entries show the parameter change" -- "$gs" entries --json
jq -e --argjson i "$change_index" \
  '.[$i].kind == "parameter-change" and .[$i].body.feedback_per_day == 2' "$work/out" >/dev/null ||
  fail "entry $change_index: $(jq -c ".[$change_index]" "$work/out")"
pass "entry $change_index is a parameter-change to 2"
expect 0 "roster" -- "$gs" roster
grep -qF "rule parameters: feedback_per_day 2 (set at index $change_index)" "$work/out" ||
  fail "roster: $(cat "$work/out")"
pass "the roster names the parameters in force"

size=$(( size + 4 )) # the head's appointment, the change, two feedbacks
until_true 120 "the node's checkpoint reaches size $size" -- test "$(node_size)" = "$size"
until_true 120 "the hub cosigns size $size" -- hub_holds "$size"
no_evidence
audited "$size" 2 "$change_index"

# ---- rule parameters are not configuration
sed '/^\[node\]$/a feedback_per_day = 20' "$work/node/node.conf" >"$work/node/old.conf"
expect 2 "giamsat-node refuses a node.conf that sets feedback_per_day" -- \
  timeout 30 "$node_bin" --config "$work/node/old.conf"
said "feedback_per_day is no longer read from node.conf"
said "giamsat parameters --feedback-per-day 20 --key $work/node/node.key --connect $node_ep"
sed '/^\[hub\]$/a feedback_per_day = 20' "$work/hub/hub.conf" >"$work/hub/old.conf"
expect 2 "giamsat-hub refuses a hub.conf that sets feedback_per_day" -- \
  timeout 30 "$hub_bin" --config "$work/hub/old.conf"
said "feedback_per_day: no longer read"
said "giamsat parameters --feedback-per-day N"
for cmd in audit roster export; do
  expect 2 "giamsat $cmd takes no --feedback-per-day" -- "$gs" "$cmd" --feedback-per-day 20
  said "unknown flag --feedback-per-day"
done

echo "all parameter checks passed"
