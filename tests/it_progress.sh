#!/usr/bin/env bash
# it_progress.sh — progress on long operations, for a person at a terminal
# only (issue 12, item 5). A node whose log holds 12,001 entries (written on
# disk by gs_tool in one transaction) and a hub that follows it:
#   - giamsat-hub started under a pseudo-terminal (`script`), far behind the
#     log, draws "sync ORIGIN: done/total entries (pct)" lines and ends with
#     the whole log; the same hub logging to a file draws none;
#   - `giamsat audit` under a pseudo-terminal draws "audit ORIGIN: ..." for
#     the log and ends at 12001/12001; piped, and with TERM=dumb, it draws
#     nothing, and its report is the same.
#
# usage: it_progress.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
command -v script >/dev/null || { echo "FAIL: script (util-linux) is not installed" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-progress-XXXXXX")
pids=()
cleanup() {
  # The hub under script wrote its own pid (it replaced the shell script ran).
  [ -f "$work/hub.pid" ] && pids+=("$(cat "$work/hub.pid")")
  for p in "${pids[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node.log" "$work/hub.typescript" "$work/hub2.log"; do
    [ -f "$f" ] && { echo "---- $(basename "$f")" >&2; tail -c 2000 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
size=12001
# The log takes $size feedback statements a day from outside its roster (the
# default open budget is 1000).
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep" --open-feedback-per-day 100000
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
"$tool" append-feedbacks "$work/node/node.db" "$origin" $((size - 1)) "gop-y" >/dev/null ||
  fail "gs_tool append-feedbacks"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")

# Two hubs following the node: one on a terminal, one logging to a file.
for h in hub hub2; do
  expect 0 "$h init" -- "$gs" hub init --dir "$work/$h" --name "t$h" --listen "ipc://$work/$h/hub.sock"
  sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
    "$work/$h/hub.conf"
  expect 0 "$h follows the node" -- "$gs" hub follow --config "$work/$h/hub.conf" \
    --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
done
hub_cos=$("$gs" key show "$work/hub/hub.key" --name "giamsat/hub/thub" --cosigner)
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name "giamsat/hub/thub")
printf 'log %s\nlog %s\nwitness thub %s\nquorum thub\n' "$node_vkey" "$hub_vkey" "$hub_cos" \
  >"$work/trust.policy"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
pids+=($!)
node_at() { [ "$("$gs" checkpoint --connect "$node_ep" | sed -n 2p)" = "$1" ]; }
wait_until 120 "the node serves its log of $size" node_at $size

# script -f flushes the typescript as output comes; the shell it starts
# writes its pid and becomes the hub, so the hub can be stopped by pid.
script -qfc "echo \$\$ >'$work/hub.pid'; exec '$hub_bin' --config '$work/hub/hub.conf'" \
  "$work/hub.typescript" >/dev/null 2>&1 </dev/null &
pids+=($!)
"$hub_bin" --config "$work/hub2/hub.conf" 2>"$work/hub2.log" &
pids+=($!)
hub_cosigned() { # hub_cosigned DIR: the hub serves the node's log cosigned at $size
  local note
  note=$("$gs" checkpoint --connect "ipc://$work/$1/hub.sock" --origin "$origin" 2>/dev/null) ||
    return 1
  [ "$(sed -n 2p <<<"$note")" = "$size" ]
}
wait_until 600 "the hub on a terminal cosigns $size" hub_cosigned hub
wait_until 600 "the hub logging to a file cosigns $size" hub_cosigned hub2
wait_until 120 "the hub's progress line ends" \
  grep -q "sync $origin: $size/$size entries (100%)" "$work/hub.typescript"
pass "the hub on a terminal showed the sync of the log far behind"
! grep -q "entries (" "$work/hub2.log" || fail "the hub logging to a file drew progress lines"
grep -q "sync $origin from 0 to $size" "$work/hub2.log" || fail "hub2 did not log its sync"
pass "the hub logging to a file shows no progress, only its log lines"

audit_args=(audit --connect "ipc://$work/hub/hub.sock" --origin "$origin" --trust "$work/trust.policy")
script -qec "'$gs' ${audit_args[*]} --out '$work/report-tty.txt'" "$work/audit.typescript" \
  >/dev/null </dev/null || fail "audit under a terminal failed: $(tail -c 1500 "$work/audit.typescript")"
grep -q "audit $origin: $size/$size entries (100%)" "$work/audit.typescript" ||
  fail "no progress line under a terminal: $(tail -c 1500 "$work/audit.typescript")"
pass "audit under a terminal shows the log's entries counted to $size"
expect 0 "audit piped" -- "$gs" "${audit_args[@]}" --out "$work/report-pipe.txt"
! grep -q "entries (" "$work/err" || fail "progress drawn on a pipe: $(cat "$work/err")"
pass "audit piped draws no progress"
script -qec "TERM=dumb '$gs' ${audit_args[*]} --out '$work/report-dumb.txt'" \
  "$work/dumb.typescript" >/dev/null </dev/null || fail "audit with TERM=dumb failed"
! grep -q "entries (" "$work/dumb.typescript" || fail "progress drawn with TERM=dumb"
pass "audit on a dumb terminal draws no progress"
# The report is the report: the lines that depend on the clock aside.
for f in tty dumb; do
  diff <(grep -v "^Generated\|as of" "$work/report-pipe.txt") \
    <(grep -v "^Generated\|as of" "$work/report-$f.txt") >/dev/null ||
    fail "the report under $f differs from the piped one"
done
pass "the report is the same with or without progress"

echo "PASS it_progress"
