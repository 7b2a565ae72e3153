#!/usr/bin/env bash
# it_reload.sh — configuration by commands, applied live (issue 12, item 3):
# real giamsat-node and giamsat-hub processes on ipc://, changed while they
# run, never restarted (their pids are checked at the end):
#   - `giamsat hub follow --reload` makes the running hub follow a second
#     log: it cosigns it, and says so in one log line;
#   - a client connection opened before the reload (a `giamsat monitor`
#     polling the hub) keeps working across every reload;
#   - `giamsat hub follow --update --reload` gives a log other sources;
#   - `giamsat hub unfollow --reload` stops it: the hub no longer serves it;
#     following it again takes it up from the replica the hub kept;
#   - a hub.conf that does not load is refused whole at SIGHUP, logged, and
#     the running configuration kept (the hub goes on cosigning); a setting
#     read at start only is said to wait for a restart;
#   - `giamsat node witness add --reload` gives the running node a witness
#     that cosigns its next checkpoint; `remove --reload` takes it away;
#   - a [witness] added to hub.conf by hand cosigns the hub's own log after
#     SIGHUP;
#   - the commands refuse what their daemon would refuse, and leave the file
#     as it was.
#
# usage: it_reload.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-reload-XXXXXX")
a_pid=
b_pid=
hub_pid=
mon_pid=
w_pid=
cleanup() {
  for p in "$a_pid" "$b_pid" "$hub_pid" "$mon_pid" "$w_pid"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/a/node.log" "$work/b/node.log" "$work/hub/hub.log" "$work/w/hub.log" "$work/monitor.out"; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -25 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

a_origin=giamsat/commune/xa-a
b_origin=giamsat/commune/xa-b
hub_origin=giamsat/hub/tinh
a_ep=ipc://$work/a/node.sock
b_ep=ipc://$work/b/node.sock
b_ep2=ipc://$work/b/node2.sock
hub_ep=ipc://$work/hub/hub.sock

"$gs" key new --out "$work/citizen.key" >/dev/null
for u in a b; do
  expect 0 "node $u init" -- "$gs" node init --dir "$work/$u" --tier commune --unit "xa-$u" \
    --name "Xa $u" --listen "ipc://$work/$u/node.sock"
  sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/$u/node.conf"
done
# Node b listens on a second endpoint too: `follow --update` moves to it.
sed -i "s|^listen = .*|&\nlisten = $b_ep2|" "$work/b/node.conf"
a_vkey=$("$gs" key show "$work/a/node.key" --name "$a_origin")
b_vkey=$("$gs" key show "$work/b/node.key" --name "$b_origin")
hub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
hub_url=http://127.0.0.1:$hub_port
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep" \
  --http "127.0.0.1:$hub_port"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
hub_cosigner=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin" --cosigner)

# --reload with no daemon running: the file changes, nothing is signalled.
expect 0 "hub follow a --reload before the hub runs" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$a_origin" --log-key "$a_vkey" --source "$a_ep" --reload
grep -q "no giamsat-hub runs" "$work/out" || fail "--reload without a hub: $(cat "$work/out")"
pass "--reload without a running hub says the change is read at its start"

"$node_bin" --config "$work/a/node.conf" 2>"$work/a/node.log" &
a_pid=$!
"$node_bin" --config "$work/b/node.conf" 2>"$work/b/node.log" &
b_pid=$!
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
hub_pid=$!
wait_until 120 "node a serves" "$gs" checkpoint --connect "$a_ep"
wait_until 120 "node b serves" "$gs" checkpoint --connect "$b_ep"
wait_until 120 "the hub serves" "$gs" checkpoint --connect "$hub_ep"

n_feedback=0
feedback() { # feedback NODE_EP: one more statement
  n_feedback=$((n_feedback + 1))
  "$gs" feedback --connect "$1" --key "$work/citizen.key" --text "feedback $n_feedback" >/dev/null
}
size_of() { "$gs" checkpoint --connect "$1" | sed -n 2p; }
hub_cosigned() { # hub_cosigned ORIGIN SIZE: the hub serves ORIGIN cosigned at SIZE or more
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$1" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" -ge "$2" ] && grep -q "^— $hub_origin " <<<"$note"
}
hub_log_has() { grep -qF -- "$1" "$work/hub/hub.log"; }

feedback "$a_ep"
wait_until 120 "the hub cosigns a" hub_cosigned "$a_origin" 2
pass "the hub follows a from its start"

# A client connection opened now, kept through every reload below: a
# monitor polling the hub for both logs.
printf 'log %s\nlog %s\nwitness tinh %s\nquorum none\n' "$a_vkey" "$b_vkey" "$hub_cosigner" >"$work/trust.policy"
"$gs" monitor --trust "$work/trust.policy" --connect "$hub_ep" --interval 200 \
  --db "$work/monitor.db" >"$work/monitor.out" 2>&1 &
mon_pid=$!
monitor_saw() { grep -q -- "$1" "$work/monitor.out"; }
wait_until 120 "the monitor sees a through the hub" monitor_saw "$a_origin"

# ---- follow b while the hub runs
feedback "$b_ep"
feedback "$b_ep"
b_size=$(size_of "$b_ep")
expect 0 "hub follow b --reload" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$b_origin" --log-key "$b_vkey" --source "$b_ep" --reload
grep -q "asked giamsat-hub (pid $hub_pid)" "$work/out" || fail "--reload did not signal the hub: $(cat "$work/out")"
wait_until 120 "the hub says it follows b" hub_log_has "reload: following $b_origin (1 source)"
wait_until 120 "the hub cosigns b without a restart" hub_cosigned "$b_origin" "$b_size"
pass "the running hub follows b after SIGHUP and cosigns it at size $b_size"
curl -sf "$hub_url/$b_origin/checkpoint" | grep -q "^— $hub_origin " ||
  fail "the hub's HTTP face does not serve b's cosigned checkpoint"
trust_has_b() { curl -sf "$hub_url/data/trust.txt" | grep -qxF "log $b_vkey"; }
wait_until 120 "the hub's suggested trust policy names b" trust_has_b
pass "over HTTP too: b's tiles and the suggested trust policy"
wait_until 120 "the monitor (connected before the reload) sees b through the hub" monitor_saw "$b_origin"
kill -0 "$mon_pid" || fail "the monitor stopped"
pass "the monitor's connection, opened before the reload, keeps working"

# a went on untouched: its sync, its peers.
feedback "$a_ep"
a_size=$(size_of "$a_ep")
wait_until 120 "the hub still cosigns a" hub_cosigned "$a_origin" "$a_size"
pass "a log the reload did not change goes on"

# ---- other sources for b
expect 0 "hub follow --update b --reload" -- "$gs" hub follow --update --config "$work/hub/hub.conf" \
  --origin "$b_origin" --source "$b_ep2" --reload
grep -c "^source = " "$work/hub/hub.conf" | grep -qx 2 || fail "hub.conf after --update: $(cat "$work/hub/hub.conf")"
grep -qx "source = $b_ep2" "$work/hub/hub.conf" || fail "the new source is not in hub.conf"
wait_until 120 "the hub says b's sources changed" hub_log_has "reload: $b_origin: sources changed (1 -> 1 source)"
feedback "$b_ep"
b_size=$(size_of "$b_ep")
wait_until 120 "the hub cosigns b from its new source" hub_cosigned "$b_origin" "$b_size"
pass "follow --update: b is synced from its new source"
expect 2 "follow --update: a log key that is not the origin's is a usage error" -- "$gs" hub follow --update \
  --config "$work/hub/hub.conf" --origin "$b_origin" --log-key "$a_vkey" --source "$b_ep"
cp "$work/hub/hub.conf" "$work/hub.conf.before"
b_other=$("$gs" key show "$work/citizen.key" --name "$b_origin")
expect 1 "follow --update with another key of b's name is refused" -- "$gs" hub follow --update \
  --config "$work/hub/hub.conf" --origin "$b_origin" --log-key "$b_other" --source "$b_ep"
grep -q "anchor\|the key .* follows" "$work/err" || fail "the refusal does not say why: $(cat "$work/err")"
cmp -s "$work/hub/hub.conf" "$work/hub.conf.before" || fail "a refused --update changed hub.conf"
expect 1 "follow --update of a log not followed" -- "$gs" hub follow --update \
  --config "$work/hub/hub.conf" --origin giamsat/commune/xa-c --source "$b_ep"
expect 1 "follow of a log followed already" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$b_origin" --log-key "$b_vkey" --source "$b_ep"
pass "the commands refuse what they should and leave hub.conf as it was"

# ---- a hub.conf that does not load: refused whole, the running one kept
cp "$work/hub/hub.conf" "$work/hub.conf.good"
printf '\n[log giamsat/commune/xa-d]\nsource = %s\n' "$a_ep" >>"$work/hub/hub.conf"
kill -HUP "$hub_pid"
wait_until 120 "the hub refuses the broken hub.conf" hub_log_has "reload refused, the running configuration is kept"
grep -F "reload refused" "$work/hub/hub.log" | grep -q "log_key is missing" ||
  fail "the refusal does not name the setting: $(grep -F 'reload refused' "$work/hub/hub.log")"
feedback "$a_ep"
a_size=$(size_of "$a_ep")
wait_until 120 "the hub still cosigns a after the refused reload" hub_cosigned "$a_origin" "$a_size"
hub_cosigned "$b_origin" 1 || fail "b is no longer served after a refused reload"
pass "a broken hub.conf is refused at SIGHUP and the running configuration kept"
cp "$work/hub.conf.good" "$work/hub/hub.conf"
sed -i 's/^max_message = .*//' "$work/hub/hub.conf"
sed -i 's/^\[hub\]$/[hub]\nmax_message = 1048576/' "$work/hub/hub.conf"
kill -HUP "$hub_pid"
wait_until 120 "a start-only setting is said to wait for a restart" \
  hub_log_has "reload: [hub] max_message changed; it takes effect at the next restart"
pass "a setting read at start only is said to wait for the next restart"

# ---- unfollow b
expect 0 "hub unfollow b --reload" -- "$gs" hub unfollow --config "$work/hub/hub.conf" \
  --origin "$b_origin" --reload
grep -q "\[log $b_origin\]" "$work/hub/hub.conf" && fail "hub.conf still follows b: $(cat "$work/hub/hub.conf")"
wait_until 120 "the hub says it no longer follows b" hub_log_has "reload: $b_origin no longer followed"
b_gone() { ! "$gs" checkpoint --connect "$hub_ep" --origin "$b_origin" >/dev/null 2>&1; }
wait_until 120 "the hub no longer serves b" b_gone
"$gs" checkpoint --connect "$hub_ep" --origin "$b_origin" >/dev/null 2>"$work/err" && fail "b still served"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$hub_url/$b_origin/checkpoint")" = 404 ] ||
  fail "b's checkpoint is still served over HTTP"
trust_has_b && fail "the suggested trust policy still names b"
pass "unfollow: the running hub stops following and serving b"
expect 1 "unfollow of a log not followed" -- "$gs" hub unfollow --config "$work/hub/hub.conf" \
  --origin "$b_origin"
feedback "$a_ep"
a_size=$(size_of "$a_ep")
wait_until 120 "the hub still cosigns a after b went" hub_cosigned "$a_origin" "$a_size"
# Followed again: taken up from the replica it kept.
feedback "$b_ep"
b_size=$(size_of "$b_ep")
expect 0 "hub follow b again --reload" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$b_origin" --log-key "$b_vkey" --source "$b_ep" --reload
wait_until 120 "the hub cosigns b again" hub_cosigned "$b_origin" "$b_size"
pass "following b again takes it up where the kept replica was"

# ---- node witness add / remove while the node runs
expect 0 "node witness list (none)" -- "$gs" node witness list --config "$work/a/node.conf"
[ ! -s "$work/out" ] || fail "a witness before any was added: $(cat "$work/out")"
expect 2 "node witness add: a key that does not parse" -- "$gs" node witness add \
  --config "$work/a/node.conf" "$hub_ep,not-a-key"
expect 0 "node witness add --reload" -- "$gs" node witness add --config "$work/a/node.conf" \
  "$hub_ep,$hub_cosigner" --reload
grep -q "asked giamsat-node (pid $a_pid)" "$work/out" || fail "--reload did not signal node a: $(cat "$work/out")"
expect 0 "node witness list --json" -- "$gs" node witness list --config "$work/a/node.conf" --json
jq -e --arg ep "$hub_ep" --arg k "$hub_cosigner" '. == [{"endpoint": $ep, "key": $k}]' "$work/out" >/dev/null ||
  fail "witness list: $(cat "$work/out")"
expect 1 "node witness add of the same endpoint twice" -- "$gs" node witness add \
  --config "$work/a/node.conf" "$hub_ep,$hub_cosigner"
node_log_has() { grep -qF -- "$1" "$work/a/node.log"; }
wait_until 120 "node a says it has a witness" node_log_has "reload: witness $hub_origin at $hub_ep added"
feedback "$a_ep"
wait_until 120 "the new witness cosigns node a's checkpoint without a restart" \
  node_log_has "cosigned by $hub_origin"
pass "node witness add --reload: the hub cosigns node a's checkpoints at once"
expect 0 "node witness remove --name --reload" -- "$gs" node witness remove --config "$work/a/node.conf" \
  --name "$hub_origin" --reload
grep -q "^witness" "$work/a/node.conf" && fail "node.conf keeps the witness: $(cat "$work/a/node.conf")"
wait_until 120 "node a says the witness went" node_log_has "reload: witness $hub_origin at $hub_ep removed"
expect 1 "node witness remove of one not there" -- "$gs" node witness remove --config "$work/a/node.conf" "$hub_ep"
pass "node witness remove --reload: the node drops the witness"

# ---- a witness for the hub's own log, by a hand edit and SIGHUP: a second
# hub following it cosigns it once the first one reloads.
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin")
w_ep=ipc://$work/w/hub.sock
expect 0 "hub w init" -- "$gs" hub init --dir "$work/w" --name w --listen "$w_ep"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/' "$work/w/hub.conf"
expect 0 "hub w follows the hub's own log" -- "$gs" hub follow --config "$work/w/hub.conf" \
  --origin "$hub_origin" --log-key "$hub_vkey" --source "$hub_ep"
w_cosigner=$("$gs" key show "$work/w/hub.key" --name giamsat/hub/w --cosigner)
"$hub_bin" --config "$work/w/hub.conf" 2>"$work/w/hub.log" &
w_pid=$!
wait_until 120 "hub w serves" "$gs" checkpoint --connect "$w_ep"
printf '\n[witness]\nwitness = %s,%s\n' "$w_ep" "$w_cosigner" >>"$work/hub/hub.conf"
kill -HUP "$hub_pid"
wait_until 120 "the hub says it has a witness" hub_log_has "reload: witness giamsat/hub/w at $w_ep added"
feedback "$a_ep"
wait_until 120 "hub w cosigns the hub's own log without a restart" \
  hub_log_has "witness giamsat/hub/w cosigned $hub_origin size"
pass "a [witness] added to hub.conf cosigns the hub's own log after SIGHUP"

# ---- nobody was restarted, and no evidence anywhere
for p in "$a_pid" "$b_pid" "$hub_pid" "$mon_pid"; do
  kill -0 "$p" || fail "process $p is gone"
done
[ "$(grep -c "serving $a_origin, log size" "$work/a/node.log")" = 1 ] || fail "node a started more than once"
[ "$(grep -c "hub $hub_origin: own log size" "$work/hub/hub.log")" = 1 ] || fail "the hub started more than once"
expect 0 "the hub holds no evidence" -- "$gs" evidence --connect "$hub_ep" --json
jq -e 'length == 0' "$work/out" >/dev/null || fail "evidence after the reloads: $(cat "$work/out")"
awk '$2 == "alert"' "$work/monitor.out" | grep -q . && fail "the monitor raised an alert: $(cat "$work/monitor.out")"
ls "$work"/*.evidence >/dev/null 2>&1 && fail "the monitor wrote evidence: $(ls "$work")"
pass "the node and the hub ran all along, and no evidence was recorded"

# A clean stop: what the reloads opened and closed is all freed (the
# sanitizers of a test build report a leak or a use after free at exit).
for v in a_pid b_pid hub_pid mon_pid w_pid; do
  kill -TERM "${!v}"
  st=0
  wait "${!v}" || st=$?
  [ "$st" -eq 0 ] || fail "$v exited $st at SIGTERM"
  eval "$v="
done
grep -l "Sanitizer" "$work/a/node.log" "$work/b/node.log" "$work/hub/hub.log" "$work/w/hub.log" \
  "$work/monitor.out" &&
  fail "a sanitizer report"
pass "every process stops cleanly, with no sanitizer report"
echo "PASS it_reload"
