#!/usr/bin/env bash
# it_rotation.sh — a node's log key rotated in a running network while
# statements flow (issue 12, item 2): nobody but the node's operator does
# anything, and nobody is accused.
#
# The network: a commune node; a province hub following it and witnessing
# it; a central hub following it through the province hub and from the node,
# and witnessing it; a `giamsat monitor` polling the three and subscribed to
# both hubs. Every configuration and the trust file name the node's ORIGINAL
# key. A background loop submits feedback all along. Then:
#   - `giamsat node rotate-key` moves the log key mid-flow;
#   - both hubs cosign sizes beyond the rotation's index, signed by the new
#     key, with no restart and no edit of their configuration;
#   - the node restarts and signs with the new key;
#   - a checkpoint signed by the retired key above the rotation (made with the
#     old key file, sent as AddCheckpoint to each hub) is refused;
#   - `giamsat checkpoint --log-key <original>`, `giamsat audit` with a trust
#     file naming the original key, and a bundle exported after the rotation
#     (`giamsat verify`) all verify across the rotation;
#   - no evidence anywhere: neither hub holds any, the monitor found none.
#
# usage: it_rotation.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-rotation-XXXXXX")
pids=()
node_pid=
flow_pid=
mon_pid=
cleanup() {
  [ -n "$flow_pid" ] && kill "$flow_pid" 2>/dev/null || true
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  [ -n "$mon_pid" ] && kill -9 "$mon_pid" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/node/node.log "$work"/hub-*/hub.log "$work"/mon/monitor.out; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -15 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
said() { grep -qF -- "$1" "$work/err" || grep -qF -- "$1" "$work/out" ||
  fail "expected \"$1\" in: $(cat "$work/out" "$work/err")"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
until_true() {
  local secs=$1 what=$2
  shift 3
  wait_until "$secs" "$what" "$@"
  pass "$what"
}

origin=giamsat/commune/xa-an-binh
node_ep=ipc://$work/node/node.sock
conf=$work/node/node.conf
hub_ep() { echo "ipc://$work/hub-$1/hub.sock"; }
fast='s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/; s/^poll_interval_ms = .*/poll_interval_ms = 100/'

# ---- the network, every configuration naming the original key
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep" --feedback-per-day 32 --open-feedback-per-day 1000000
sed -i "$fast" "$conf"
original=$("$gs" key show "$work/node/node.key" --name "$origin")
echo "log $original" >"$work/trust.policy"
# The central hub serves its web data too: the audit it runs for the web
# view must follow the rotation as well.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
web=http://127.0.0.1:$port
for h in tinh trung-uong; do
  http=()
  [ "$h" = trung-uong ] && http=(--http "127.0.0.1:$port")
  expect 0 "hub init $h" -- "$gs" hub init --dir "$work/hub-$h" --name "$h" "${http[@]}"
  sed -i "$fast" "$work/hub-$h/hub.conf"
  cos=$("$gs" key show "$work/hub-$h/hub.key" --name "giamsat/hub/$h" --cosigner)
  printf 'log %s\nwitness %s %s\n' "$("$gs" key show "$work/hub-$h/hub.key" \
    --name "giamsat/hub/$h")" "$h" "$cos" >>"$work/trust.policy"
  # the witness line right under [witness] (node.conf has none yet)
  grep -q '^\[witness\]' "$conf" || printf '\n[witness]\n' >>"$conf"
  sed -i "/^\[witness\]\$/a witness = $(hub_ep "$h"),$cos" "$conf"
done
printf 'group hubs any tinh trung-uong\nquorum hubs\n' >>"$work/trust.policy"
expect 0 "the province hub follows the node" -- "$gs" hub follow \
  --config "$work/hub-tinh/hub.conf" --origin "$origin" --log-key "$original" --source "$node_ep"
expect 0 "the central hub follows the node through the province hub" -- "$gs" hub follow \
  --config "$work/hub-trung-uong/hub.conf" --origin "$origin" --log-key "$original" \
  --source "$(hub_ep tinh)" --source "$node_ep"
cp "$work/hub-tinh/hub.conf" "$work/hub-tinh.conf.before"
cp "$work/hub-trung-uong/hub.conf" "$work/hub-trung-uong.conf.before"

start_node() {
  "$node_bin" --config "$conf" 2>>"$work/node/node.log" &
  node_pid=$!
}
start_node
for h in tinh trung-uong; do
  "$hub_bin" --config "$work/hub-$h/hub.conf" 2>>"$work/hub-$h/hub.log" &
  pids+=($!)
done
until_true 120 "the node serves" -- "$gs" checkpoint --connect "$node_ep"
for h in tinh trung-uong; do
  until_true 120 "hub $h serves" -- "$gs" checkpoint --connect "$(hub_ep "$h")"
done

mkdir -m 700 "$work/mon"
"$gs" monitor --trust "$work/trust.policy" --connect "$node_ep" --connect "$(hub_ep tinh)" \
  --connect "$(hub_ep trung-uong)" --subscribe "ipc://$work/hub-tinh/hub.pub" \
  --subscribe "ipc://$work/hub-trung-uong/hub.pub" --interval 300 --db "$work/mon/monitor.db" \
  --out "$work/mon" >"$work/mon/monitor.out" 2>&1 &
mon_pid=$!

# ---- statements flow from a background loop until $work/stop exists
for k in $(seq 0 39); do "$gs" key new --out "$work/c$k.key" >/dev/null; done
flow() {
  local i=0
  while [ ! -e "$work/stop" ]; do
    if "$gs" feedback --connect "$node_ep" --key "$work/c$((i % 40)).key" --text "flow $i" \
      >/dev/null 2>>"$work/flow.err"; then
      echo "$i" >>"$work/flow.ok"
    else
      # the node restarting: the next one once it answers again
      wait_until 300 "the node answers again" "$gs" checkpoint --connect "$node_ep"
    fi
    i=$((i + 1))
  done
}
flow &
flow_pid=$!
accepted() { [ -f "$work/flow.ok" ] && wc -l <"$work/flow.ok" || echo 0; }
# accepted_at_least N: the flow has N statements accepted (polled: the
# count is read at each poll, not once).
accepted_at_least() { [ "$(accepted)" -ge "$1" ]; }

# hub_cosigns HUB SIZE VKEY: HUB serves the node's checkpoint of at least
# SIZE, signed by VKEY, carrying the hub's own cosignature.
hub_cosigns() {
  local note
  note=$("$gs" checkpoint --connect "$(hub_ep "$1")" --origin "$origin" --log-key "$3" \
    --timeout 2000 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" -ge "$2" ] && grep -q "^— giamsat/hub/$1 " <<<"$note"
}
node_size() {
  "$gs" checkpoint --connect "$node_ep" --log-key "$new_vkey" --timeout 2000 2>/dev/null | sed -n 2p
}

until_true 300 "statements flow: 20 accepted" -- accepted_at_least 20
for h in tinh trung-uong; do
  until_true 300 "hub $h cosigns the node's log at 20 entries or more" -- \
    hub_cosigns "$h" 20 "$original"
done

# ---- the rotation, mid-flow
"$gs" key new --out "$work/node/log-2027.key" >/dev/null
expect 0 "giamsat node rotate-key, while statements flow" -- "$gs" node rotate-key \
  --config "$conf" --new-key "$work/node/log-2027.key" --json
rot=$(jq '.index' "$work/out")
pass "the rotation is entry $rot"
new_vkey=$("$gs" key show "$work/node/log-2027.key" --name "$origin")
before=$(accepted)
until_true 300 "statements go on flowing after the rotation" -- accepted_at_least $((before + 20))
target=$((rot + 20))
for h in tinh trung-uong; do
  until_true 300 "hub $h cosigns beyond the rotation (size $target or more, the new key's)" -- \
    hub_cosigns "$h" "$target" "$new_vkey"
done
expect 0 "the node's checkpoint is signed by the new key" -- "$gs" checkpoint \
  --connect "$node_ep" --log-key "$new_vkey"
for h in tinh trung-uong; do
  cmp -s "$work/hub-$h/hub.conf" "$work/hub-$h.conf.before" ||
    fail "hub $h's configuration changed"
done
pass "no hub configuration was touched"

# ---- the node restarts and signs with the new key
kill "$node_pid"
wait "$node_pid" || fail "the node did not stop cleanly"
node_pid=
start_node
until_true 120 "the node restarts" -- "$gs" checkpoint --connect "$node_ep" --log-key "$new_vkey"
grep -qF "from a signing_key line" "$work/node/node.log" ||
  fail "the node did not say it signs with a signing_key line"
pass "the restarted node signs with the new key"
before=$(accepted)
until_true 300 "statements flow after the restart" -- accepted_at_least $((before + 10))
target=$(node_size)
for h in tinh trung-uong; do
  until_true 300 "hub $h cosigns size $target after the restart" -- \
    hub_cosigns "$h" "$target" "$new_vkey"
done

# ---- the retired key signs a checkpoint above the rotation: refused, no evidence
read -r size root < <("$tool" root "$work/node/node.db" "$origin")
[ "$size" -gt "$rot" ] || fail "the log is not above the rotation"
"$tool" note "$work/node/node.key" "$origin" "$size" "$root" >"$work/retired.note"
for h in tinh trung-uong; do
  held=$("$gs" checkpoint --connect "$(hub_ep "$h")" --origin "$origin" --log-key "$new_vkey" |
    sed -n 2p)
  [ "$held" -le "$size" ] || held=$size
  expect 1 "hub $h refuses a checkpoint by the retired key above the rotation" -- \
    "$tool" add-checkpoint "$(hub_ep "$h")" - "$held" "$work/retired.note" "$work/node/node.db"
  said "retired"
done

# ---- the flow stops; everything settles at the final size
touch "$work/stop"
wait "$flow_pid"
flow_pid=
final=$("$tool" root "$work/node/node.db" "$origin" | cut -d' ' -f1)
node_signs() { [ "$(node_size)" = "$1" ]; }
until_true 120 "the node signs the final size $final" -- node_signs "$final"
for h in tinh trung-uong; do
  until_true 300 "hub $h cosigns the final size $final" -- hub_cosigns "$h" "$final" "$new_vkey"
done

# ---- readers verify across the rotation from the original key
for ep in "$node_ep" "$(hub_ep tinh)" "$(hub_ep trung-uong)"; do
  expect 0 "giamsat checkpoint --log-key <original> at $(basename "$(dirname "${ep#ipc://}")")" -- \
    "$gs" checkpoint --connect "$ep" --origin "$origin" --log-key "$original"
  [ "$(sed -n 2p "$work/out")" = "$final" ] || fail "checkpoint: $(cat "$work/out")"
done
expect 0 "giamsat audit (trust file naming the original key) verifies across the rotation" -- \
  "$gs" audit --connect "$(hub_ep trung-uong)" --trust "$work/trust.policy" --format json
jq -e --arg o "$origin" --argjson rot "$rot" '
  .verified == true and
  (.logs[] | select(.origin == $o) | .status == "verified" and .checkpoint.size > $rot)' \
  "$work/out" >/dev/null || fail "audit: $(jq -c '.logs' "$work/out")"
pass "the audit verifies the node's log beyond entry $rot"
# web_data_at SIZE: the central hub's last web data build audited the log
# at SIZE and verified it (its report is exactly giamsat audit's JSON).
web_data_at() {
  curl -sf "$web/data/status.json" -o "$work/status.json" &&
    jq -e --arg o "$origin" --argjson n "$1" \
      '.error == null and any(.logs[]; .origin == $o and .size == $n)' \
      "$work/status.json" >/dev/null &&
    curl -sf "$web/data/report.json" -o "$work/report.json" &&
    jq -e --arg o "$origin" --argjson n "$1" \
      'any(.logs[]; .origin == $o and .status == "verified" and .checkpoint.size == $n)' \
      "$work/report.json" >/dev/null
}
until_true 300 "the central hub's web data verifies the log across the rotation" -- \
  web_data_at "$final"
expect 0 "export a bundle of an entry after the rotation" -- "$gs" export --connect "$node_ep" \
  --index $((rot + 1)) --out "$work/after.bundle"
expect 0 "the bundle verifies against the trust file naming the original key" -- \
  "$gs" verify "$work/after.bundle" --trust "$work/trust.policy"

# ---- no evidence anywhere
for h in tinh trung-uong; do
  expect 0 "hub $h lists its evidence" -- "$gs" evidence --connect "$(hub_ep "$h")" --json
  [ "$(jq 'length' "$work/out")" = 0 ] || fail "hub $h holds evidence: $(cat "$work/out")"
  pass "hub $h holds no evidence"
done
kill -TERM "$mon_pid"
set +e
wait "$mon_pid"
mon_status=$?
set -e
mon_pid=
[ "$mon_status" -eq 0 ] || fail "the monitor exited $mon_status (1: evidence found)"
ls "$work"/mon/*.evidence >/dev/null 2>&1 && fail "the monitor wrote evidence: $(ls "$work"/mon)"
grep -E ' (alert|EVIDENCE) ' "$work/mon/monitor.out" &&
  fail "the monitor alerted: $(grep -E ' (alert|EVIDENCE) ' "$work/mon/monitor.out")"
pass "the monitor found no evidence and raised no alert"

echo "all rotation checks passed ($(accepted) statements accepted while the key rotated)"
