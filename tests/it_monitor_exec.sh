#!/usr/bin/env bash
# it_monitor_exec.sh — `giamsat monitor --json` and `--exec CMD` on a real
# alert (issue 12, item 5). A real giamsat-node; three monitors poll it and
# act as witnesses; each is then shown a split view (a second checkpoint of
# the same size, another root, signed with the node's key, sent as
# AddCheckpoint — what a node showing two histories does):
#   - monitor A (--json --exec SCRIPT): every line of its stdout is a JSON
#     object jq parses, with time, level, event and message; its checkpoint
#     events carry origin, size, root_b64, source and quorum_met; the split
#     view is an "evidence" event naming the file; SCRIPT ran exactly once
#     (for the alert, never for routine events), with GIAMSAT_EVENT,
#     GIAMSAT_ALERT_KIND, GIAMSAT_ORIGIN, GIAMSAT_EVIDENCE_FILE (the file
#     `giamsat verify-evidence` accepts), GIAMSAT_SUMMARY, GIAMSAT_EVENT_JSON
#     and the monitor's own environment; its stdout went to the monitor's
#     stderr, not into the JSON stream; A exits 1 (evidence found).
#   - monitor B (--exec 'exit 3'): the failure is a warning event, and the
#     monitor goes on (still polling).
#   - monitor C (--exec 'sleep 600' --exec-timeout 1): the command is killed
#     after its time limit, a warning says so, the monitor goes on.
#
# usage: it_monitor_exec.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-monitor-exec-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node.log" "$work"/mon-*.out "$work"/mon-*.err; do
    [ -f "$f" ] && { echo "---- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

origin=giamsat/commune/xa-an-binh
node_ep=ipc://$work/node/node.sock
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
"$gs" key new --out "$work/citizen.key" >/dev/null
"$gs" key new --out "$work/press.key" >/dev/null
printf 'log %s\nquorum none\n' "$node_vkey" >"$work/trust.policy"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
pids+=($!)
wait_until 120 "the node serves" "$gs" checkpoint --connect "$node_ep"
for i in 1 2; do
  expect 0 "feedback $i" -- "$gs" feedback --connect "$node_ep" --key "$work/citizen.key" \
    --text "feedback $i"
done
size=3
node_at() { [ "$("$gs" checkpoint --connect "$node_ep" | sed -n 2p)" = "$1" ]; }
wait_until 120 "the node's checkpoint reaches $size" node_at $size

# The alert script: its environment, one file per run (written aside, then
# renamed, so a file that exists is complete); a line on stdout that must
# end up on the monitor's stderr.
cat >"$work/on-alert.sh" <<'EOF'
#!/bin/sh
env | grep '^GIAMSAT_\|^ALERT_DIR=' | sort >"$ALERT_DIR/.run-$$"
mv "$ALERT_DIR/.run-$$" "$ALERT_DIR/run-$$.env"
echo "on-alert ran for $GIAMSAT_ORIGIN"
EOF
chmod +x "$work/on-alert.sh"
export ALERT_DIR=$work/alerts
mkdir -p "$ALERT_DIR"

# start_monitor NAME ARGS...: a monitor polling the node and witnessing on
# ipc://$work/mon-NAME.sock, its stdout and stderr in mon-NAME.out/.err.
start_monitor() {
  local name=$1
  shift
  mkdir -p "$work/mon-$name"
  "$gs" monitor --trust "$work/trust.policy" --connect "$node_ep" --interval 100 \
    --witness-key "$work/press.key" --listen "ipc://$work/mon-$name.sock" \
    --db "$work/mon-$name/monitor.db" "$@" >"$work/mon-$name.out" 2>"$work/mon-$name.err" &
  pids+=($!)
  eval "mon_$name=\$!"
}
start_monitor a --json --exec "$work/on-alert.sh"
start_monitor b --exec 'exit 3'
start_monitor c --exec 'sleep 600' --exec-timeout 1

saw_size() { # saw_size NAME: the monitor recorded the node's checkpoint of $size
  grep -q "checkpoint $origin size $size " "$work/mon-$1.out" ||
    grep '"event":"checkpoint"' "$work/mon-$1.out" | jq -e --argjson s $size 'select(.size == $s)' |
    grep -q .
}
for name in a b c; do
  wait_until 120 "monitor $name sees size $size" saw_size $name
done
pass "the three monitors hold the node's checkpoint of size $size"
[ -z "$(ls "$ALERT_DIR")" ] || fail "the alert script ran for routine events: $(ls "$ALERT_DIR")"

# The split view: another root for size $size, signed with the node's key.
forged_root=$(python3 -c 'import base64, hashlib; print(base64.b64encode(hashlib.sha256(b"another history").digest()).decode())')
"$tool" note "$work/node/node.key" "$origin" $size "$forged_root" >"$work/forged.note"
for name in a b c; do
  set +e
  "$tool" add-checkpoint "ipc://$work/mon-$name.sock" - $size "$work/forged.note" \
    >"$work/add-$name.out" 2>&1
  set -e
  grep -q "split view" "$work/add-$name.out" ||
    fail "monitor $name did not take the forged checkpoint as a split view: $(cat "$work/add-$name.out")"
done

# ---- A: --exec ran once, with the alert in its environment
one_run() { [ "$(ls "$ALERT_DIR" | grep -c '^run-.*\.env$')" -ge 1 ]; }
wait_until 120 "the alert script ran" one_run
env_of() { sed -n "s/^$1=//p" "$ALERT_DIR"/run-*.env; }
[ "$(env_of GIAMSAT_EVENT)" = evidence ] || fail "GIAMSAT_EVENT: $(cat "$ALERT_DIR"/run-*.env)"
[ "$(env_of GIAMSAT_ALERT_KIND)" = split-view ] || fail "GIAMSAT_ALERT_KIND: $(env_of GIAMSAT_ALERT_KIND)"
[ "$(env_of GIAMSAT_ORIGIN)" = "$origin" ] || fail "GIAMSAT_ORIGIN: $(env_of GIAMSAT_ORIGIN)"
[ "$(env_of ALERT_DIR)" = "$ALERT_DIR" ] || fail "the monitor's environment did not reach the command"
evfile=$(env_of GIAMSAT_EVIDENCE_FILE)
[ -f "$evfile" ] || fail "GIAMSAT_EVIDENCE_FILE names no file: \"$evfile\""
env_of GIAMSAT_SUMMARY | grep -qF "EVIDENCE against $origin" || fail "GIAMSAT_SUMMARY: $(env_of GIAMSAT_SUMMARY)"
env_of GIAMSAT_EVENT_JSON | jq -e --arg f "$evfile" '.event == "evidence" and .evidence_file == $f' \
  >/dev/null || fail "GIAMSAT_EVENT_JSON: $(env_of GIAMSAT_EVENT_JSON)"
pass "the alert script had the evidence file and a summary in its environment"
expect 0 "the evidence file it was given verifies" -- \
  "$gs" verify-evidence "$evfile" --trust "$work/trust.policy"

# ---- B and C: a failing and a hanging command are reported, not fatal
wait_until 120 "monitor b reports the failed command" \
  grep -q "warn --exec for evidence split-view about $origin exited with status 3" "$work/mon-b.out"
wait_until 120 "monitor c reports the killed command" \
  grep -q "warn --exec for evidence split-view about $origin did not finish within 1 s and was killed" \
  "$work/mon-c.out"
for name in b c; do
  kill -0 "$(eval echo "\$mon_$name")" 2>/dev/null || fail "monitor $name stopped after its command failed"
done
pass "a command that fails or hangs is reported and the monitor goes on"

# ---- A stops: exit 1 (evidence), and its stdout is JSON throughout
kill -TERM "$mon_a"
set +e
wait "$mon_a"
status=$?
set -e
[ "$status" -eq 1 ] || fail "monitor a exited $status after finding evidence, not 1"
jq -e . "$work/mon-a.out" >/dev/null || fail "monitor a's stdout is not JSON lines: $(head -5 "$work/mon-a.out")"
jq -se 'all(.[]; (.time | type) == "string" and (.time_unix | type) == "number"
               and (.level | type) == "string" and (.event | type) == "string"
               and (.message | type) == "string")' "$work/mon-a.out" >/dev/null ||
  fail "an event lacks time, level, event or message"
jq -se --arg o "$origin" --argjson s $size 'any(.[]; .event == "checkpoint" and .origin == $o
       and .size == $s and (.root_b64 | length) == 44 and (.source | type) == "string"
       and (.quorum_met | type) == "boolean")' "$work/mon-a.out" >/dev/null ||
  fail "no checkpoint event with its fields: $(cat "$work/mon-a.out")"
jq -se --arg o "$origin" --arg f "$evfile" '[.[] | select(.event == "evidence")] | length == 1
       and .[0].origin == $o and .[0].kind == "split-view" and .[0].evidence_file == $f
       and .[0].verified == true' "$work/mon-a.out" >/dev/null ||
  fail "no single evidence event naming the file: $(cat "$work/mon-a.out")"
jq -se '(.[0].event == "started") and (.[-1].event == "stopping")' "$work/mon-a.out" >/dev/null ||
  fail "the JSON stream does not start with started and end with stopping"
pass "monitor --json: one JSON object per line, the fields documented"
grep -q "on-alert ran for $origin" "$work/mon-a.err" ||
  fail "the command's stdout did not go to the monitor's stderr"
[ "$(ls "$ALERT_DIR" | grep -c '^run-.*\.env$')" -eq 1 ] ||
  fail "the alert script ran $(ls "$ALERT_DIR" | grep -c '^run-') times, not once"
pass "the alert script ran once, for the alert only"

echo "PASS it_monitor_exec"
