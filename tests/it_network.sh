#!/usr/bin/env bash
# it_network.sh — the multi-tier network of issue 4, real processes on
# loopback (ipc://): 1 central hub, 2 province hubs, 4 commune nodes, the
# province and central nodes and a press monitor, built by deploy/network.sh.
#
#   1. statements flow: in each commune the node key appoints a head and the
#      head commits; every commune checkpoint served by its node carries valid
#      cosignatures of its province hub and of the central hub, and the central
#      hub's own checkpoint carries valid cosignatures of both province hubs
#      (checked cryptographically against the trust file: gs_tool verify-note);
#   2. the six attacks of the issue, each on its own origin, each asserting the
#      evidence kind, the alert on the hub's PUB, no cosignature past the fault
#      (checked again at the very end) and `giamsat verify-evidence` accepting
#      the evidence fetched from the hub:
#        A1 phuc-xa   an entry altered on disk: the node refuses to serve it;
#                     served with a matching leaf hash → (c) at both hubs
#        A2 ba-dinh   log truncated and regrown → (a) at both hubs
#        A3 hai-chau  two checkpoints of one size, one to the central hub → (a)
#        A4 thanh-khe the province hub's replica altered → (c) at the central
#                     hub against that source; the central hub keeps the truth
#        A5 the central hub's own log rewritten → (b) at both province hubs
#        A6 province ha-noi: a forged entry with a re-signed checkpoint → (d)
#           (at ha-noi; the central hub is read-only since A5, refill.h)
#   3. hai-chau's node deleted for good: its whole log is still served and
#      verifiable from the province hub and the central hub.
#
# usage: it_network.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-net-XXXXXX")
net=$work/net
subs=()
daemons=() # every daemon's pid, also kept here: cleanup works without $net/run
cleanup() {
  for p in "${subs[@]}"; do kill "$p" 2>/dev/null || true; done
  GIAMSAT_BIN=$build "$top/deploy/network.sh" down "$net" >/dev/null 2>&1 || true
  # Those still running (their command line names $net: never a reused pid).
  for p in "${daemons[@]}"; do
    grep -qF "$net/" "/proc/$p/cmdline" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

# ------------------------------------------------------------ helpers

fail() {
  echo "FAIL: $*" >&2
  for f in "$net"/logs/*.log; do
    [ -f "$f" ] || continue
    echo "---- $(basename "$f") (last lines)" >&2
    tail -n 12 "$f" >&2
  done
  exit 1
}
pass() { echo "ok   $*"; }

node_ep() { echo "ipc://$net/node-$1/node.sock"; }
hub_ep() { echo "ipc://$net/hub-$1/hub.sock"; }
pidfile() { echo "$net/run/$1.pid"; }

# The time left before a deadline set with deadline SECONDS.
deadline() { echo $(($(date +%s) + $1)); }

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_daemon() { # NAME: stop it cleanly (SIGTERM) and wait until it is gone
  local pf; pf=$(pidfile "$1")
  [ -f "$pf" ] || fail "$1 is not running"
  local pid; pid=$(cat "$pf")
  kill -TERM "$pid" 2>/dev/null || true
  local end; end=$(deadline 60)
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || fail "$1 did not stop within 60 s"
    sleep 0.1
  done
  rm -f "$pf"
}

start_daemon() { # NAME: start a node-X or hub-X as deploy/network.sh does
  local name=$1 bin conf
  case $name in
    node-*) bin=$node_bin; conf=$net/$name/node.conf ;;
    hub-*) bin=$hub_bin; conf=$net/$name/hub.conf ;;
  esac
  "$bin" --config "$conf" >>"$net/logs/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
  daemons+=($!)
}

# A restarted hub's PUB socket is new: events it publishes before a
# subscriber has reconnected are lost (ZeroMQ PUB/SUB). restart_hub starts a
# hub and waits until its subscriber received a fresh event (the hubs publish
# checkpoints of their own logs every second or so), so no alert is missed.
restart_hub() { # NAME (hub-X)
  local h=${1#hub-} seen
  seen=$(wc -l <"$work/sub-$h.txt")
  start_daemon "$1"
  wait_until 120 "$1 answers after its restart" answers "$(hub_ep "$h")"
  wait_until 120 "the subscriber of $1 receives its events again" sub_lines_gt "$h" "$seen"
}
sub_lines_gt() { [ "$(wc -l <"$work/sub-$1.txt")" -gt "$2" ]; }

running() { kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }

# answers EP: the daemon at EP answers GetCheckpoint.
answers() { "$gs" checkpoint --connect "$1" --timeout 500 >/dev/null 2>&1; }

# cp_size EP ORIGIN: the size of the checkpoint EP serves for ORIGIN (0 if none).
cp_size() {
  local out
  out=$("$gs" checkpoint --connect "$1" --origin "$2" --timeout 2000 2>/dev/null) || { echo 0; return; }
  printf '%s\n' "$out" | sed -n 2p
}
cp_root() { "$gs" checkpoint --connect "$1" --origin "$2" --timeout 2000 2>/dev/null | sed -n 3p; }

# cosigned EP ORIGIN SIZE WITNESS...: EP serves ORIGIN's checkpoint of at
# least SIZE, signed by the log and cosigned (valid cosignature/v1, checked
# against the trust file) by every WITNESS named (trust-file names).
cosigned() {
  local ep=$1 origin=$2 size=$3; shift 3
  local f=$work/note.$$.$RANDOM
  "$gs" checkpoint --connect "$ep" --origin "$origin" --timeout 2000 >"$f" 2>/dev/null || return 1
  local v; v=$("$tool" verify-note "$f" "$net/trust.policy" 2>/dev/null) || return 1
  rm -f "$f"
  local got; got=$(printf '%s\n' "$v" | sed -n 's/^log-signed [^ ]* //p')
  [ "$(printf '%s\n' "$v" | sed -n 1p | cut -d' ' -f2)" = "$origin" ] || return 1
  [ "$got" -ge "$size" ] || return 1
  for w in "$@"; do printf '%s\n' "$v" | grep -qx "cosigned $w" || return 1; done
}

# alerted HUB ORIGIN KINDS: the hub published alert/ORIGIN carrying evidence
# of one of KINDS (numbers, "1|2" for either).
alerted() { grep -qxE "alert/$2 evidence-kind=($3)" "$work/sub-$1.txt"; }

# evidence_ok HUB ORIGIN KINDNAMES KINDNUMS: the alert went out, the hub holds
# evidence of that kind, and every such file verifies offline. KINDNAMES and
# KINDNUMS may list alternatives: "rollback|split-view" "2|1".
evidence_ok() {
  local hub=$1 origin=$2 kname=$3 knum=$4
  wait_until 120 "hub $hub publishes an alert of kind $kname about $origin" alerted "$hub" "$origin" "$knum"
  pass "hub $hub published $(grep -xE "alert/$origin evidence-kind=($knum)" "$work/sub-$hub.txt" |
    head -1) ($kname)"
  local d=$work/evidence-$hub-${origin//\//_}
  rm -rf "$d"
  mkdir -p "$d"
  "$gs" evidence --connect "$(hub_ep "$hub")" --origin "$origin" --out "$d" >/dev/null ||
    fail "giamsat evidence from hub $hub about $origin"
  local n=0
  for f in "$d"/*.evidence; do
    [ -f "$f" ] || continue
    [[ $(basename "$f" .evidence) =~ ^[0-9]+-($kname)$ ]] || continue
    "$gs" verify-evidence "$f" --trust "$net/trust.policy" >"$work/ve.out" 2>&1 ||
      fail "verify-evidence refuses $f: $(cat "$work/ve.out")"
    n=$((n + 1))
  done
  [ $n -gt 0 ] || fail "hub $hub holds no $kname evidence about $origin: $(ls "$d")"
  pass "hub $hub: $n $kname evidence about $origin accepted by verify-evidence"
}

# Faults to check again at the end: "HUB ORIGIN SIZE" = the hub never
# cosigns ORIGIN at SIZE or beyond.
faults=()
no_cosign_past() { # HUB ORIGIN SIZE
  local got; got=$(cp_size "$(hub_ep "$1")" "$2")
  [ "$got" -lt "$3" ] || fail "hub $1 cosigned $2 at $got, past the fault at size $3"
  faults+=("$1 $2 $3")
  pass "hub $1 cosigns $2 no further than $got (fault at $3)"
}

stmt() { # COMMUNE COMMAND ARGS...: one statement through the CLI, prints the index
  local c=$1; shift
  "$gs" "$@" --connect "$(node_ep "$c")" --json >"$work/receipt" 2>"$work/receipt.err" ||
    fail "giamsat $1 on $c: $(cat "$work/receipt.err")"
  jq -r .index "$work/receipt"
}

province_of() { case $1 in phuc-xa | ba-dinh) echo ha-noi ;; *) echo da-nang ;; esac; }

# ------------------------------------------------------------ 1. the network

GIAMSAT_HTTP_PORT=18470 GIAMSAT_BIN=$build "$top/deploy/network.sh" up "$net" >"$work/up.out" 2>&1 ||
  fail "deploy/network.sh up: $(cat "$work/up.out")"
for f in "$net"/run/*.pid; do daemons+=("$(cat "$f")"); done
pass "deploy/network.sh brought the network up"
for h in trung-uong ha-noi da-nang; do
  "$tool" subscribe "ipc://$net/hub-$h/hub.pub" 3600 >"$work/sub-$h.txt" 2>&1 &
  subs+=($!)
done
[ "$(grep -c '^witness ' "$net/trust.policy")" = 4 ] || fail "the trust file lists 4 witnesses"

# ------------------------------------------------------------ 2. statements flow

communes=(phuc-xa ba-dinh hai-chau thanh-khe)
declare -A size
for c in "${communes[@]}"; do
  "$gs" key new --out "$work/head-$c.key" >/dev/null
  i=$(stmt "$c" appoint --key "$net/node-$c/node.key" --person "$("$gs" key show "$work/head-$c.key")" \
    --name "Chu tich $c" --role head --title "Chu tich UBND")
  [ "$i" = 1 ] || fail "$c: the appointment is entry $i, not 1"
  i=$(stmt "$c" commit --key "$work/head-$c.key" --id "road-$c" --title "Pave the road" \
    --indicator "road paved" --unit-of-measure km --target 3.5 --direction at-least \
    --deadline 2030-12-31)
  size[$c]=$((i + 1))
done
pass "in each commune the node key appointed a head and the head committed"
for c in "${communes[@]}"; do
  p=$(province_of "$c")
  wait_until 120 "the checkpoint of $c at ${size[$c]} cosigned by $p and trung-uong" \
    cosigned "$(node_ep "$c")" "giamsat/commune/$c" "${size[$c]}" "$p" trung-uong
  pass "node $c serves its checkpoint at ${size[$c]} cosigned by hubs $p and trung-uong"
done
# Wait until the central hub's log settles and its checkpoint is witnessed.
wait_until 120 "the central hub's checkpoint cosigned by both province hubs" \
  cosigned "$(hub_ep trung-uong)" giamsat/hub/trung-uong 1 ha-noi da-nang
pass "the central hub's checkpoint is cosigned by hubs ha-noi and da-nang"

# A long run of letters: the byte alter-entry flips (the middle of an entry)
# lands in this text, so the entry still decodes (a replay without signature
# checks accepts it) but its signature fails.
filler=$(printf 'x%.0s' $(seq 160))

# append_feedback COMMUNE DB N: N valid feedback entries appended on disk by
# as many citizens (one process, one transaction: gs_tool append-feedbacks).
append_feedback() {
  "$tool" append-feedbacks "$2" "giamsat/commune/$1" "$3" "gop-y-$filler" >/dev/null ||
    fail "gs_tool append-feedbacks to $2"
}

# ------------------------------------------------------------ A1 phuc-xa
# An entry altered on disk. It sits above the hubs' cosigned size and more
# than GS_STORE_OPEN_CHECK_TREE (128) entries below the end, where the
# store's open check (which rehashes the last 64 entries and checks the
# interior hashes of the last 128 rows) does not reach, so the node opens
# the store; index base+1 = 4 is inside the perfect subtree [0,128) of the
# size-134 tree, not one of its frontier roots.
deep=131
c=phuc-xa o=giamsat/commune/phuc-xa db=$net/node-phuc-xa/node.db
base=${size[$c]}
stop_daemon node-$c
append_feedback $c "$db" $deep
S=$((base + deep))
"$tool" sign-checkpoint "$db" $o "$net/node-$c/node.key" >/dev/null
bad=$((base + 1))
"$tool" alter-entry "$db" $o $bad
start_daemon node-$c
wait_until 120 "node $c answers after its restart" answers "$(node_ep $c)"
set +e
"$gs" entries --connect "$(node_ep $c)" --start $bad --count 1 >/dev/null 2>"$work/err"
rc=$?
set -e
[ $rc = 1 ] || [ $rc = 2 ] || fail "giamsat entries of the altered entry: exit $rc"
grep -q "entry $bad of log $o does not match its stored leaf hash" "$work/err" ||
  fail "the node's refusal does not name the altered entry: $(cat "$work/err")"
pass "A1 node $c refuses to serve altered entry $bad: $(head -c 160 "$work/err")"
stop_daemon node-$c
"$tool" alter-entry "$db" $o $bad            # the flip is an XOR: restored
"$tool" alter-entry "$db" $o $bad --fix-leaf # served as if it were the log
start_daemon node-$c
for h in ha-noi trung-uong; do
  evidence_ok $h $o bad-entries 3
  no_cosign_past $h $o $((bad + 1))
done

# ------------------------------------------------------------ A2 ba-dinh
c=ba-dinh o=giamsat/commune/ba-dinh db=$net/node-ba-dinh/node.db
base=${size[$c]} # 3: not a power of two, so the hubs ask for a consistency proof
stop_daemon node-$c
"$tool" truncate "$db" $o $((base - 1))
append_feedback $c "$db" 3
"$tool" sign-checkpoint "$db" $o "$net/node-$c/node.key" >/dev/null
start_daemon node-$c
for h in ha-noi trung-uong; do
  evidence_ok $h $o split-view 1
  no_cosign_past $h $o $((base + 1))
done
pass "A2 $c truncated to $((base - 1)) and regrown to $((base + 2)): split view at both hubs"

# ------------------------------------------------------------ A3 hai-chau
c=hai-chau o=giamsat/commune/hai-chau db=$net/node-hai-chau/node.db
stop_daemon node-$c
cp "$db" "$work/fork.db"
for x in wal shm; do [ -f "$db-$x" ] && cp "$db-$x" "$work/fork.db-$x"; done
start_daemon node-$c
wait_until 120 "node $c answers after its restart" answers "$(node_ep $c)"
i=$(stmt $c progress --key "$work/head-$c.key" --id road-$c --value 1.5 --note "$filler")
s=$((i + 1))
wait_until 120 "the checkpoint of $c at $s cosigned by da-nang and trung-uong" \
  cosigned "$(node_ep $c)" $o $s da-nang trung-uong
true_root=$(cp_root "$(node_ep $c)" $o)
"$tool" append-feedback "$work/fork.db" $o "$work/head-$c.key" 2 "another story" >/dev/null
"$tool" sign-checkpoint "$work/fork.db" $o "$net/node-$c/node.key" >"$work/forged.note"
[ "$(sed -n 2p "$work/forged.note")" = $s ] || fail "the forged checkpoint is not of size $s"
[ "$(sed -n 3p "$work/forged.note")" != "$true_root" ] || fail "the forged checkpoint has the true root"
set +e
"$tool" add-checkpoint "$(hub_ep trung-uong)" - $s "$work/forged.note" >"$work/out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "the central hub accepted the second checkpoint of size $s: $(cat "$work/out")"
pass "A3 the central hub refuses a second checkpoint of $c at $s: $(cat "$work/out")"
evidence_ok trung-uong $o split-view 1
[ "$(cp_size "$(hub_ep trung-uong)" $o)" = $s ] && [ "$(cp_root "$(hub_ep trung-uong)" $o)" = "$true_root" ] ||
  fail "the central hub no longer serves the true checkpoint of $c at $s"
faults+=("trung-uong $o $((s + 1))")
pass "A3 the central hub still serves the true checkpoint of $c at $s"

# hai-chau deleted for good: its log lives on at both hubs.
stop_daemon node-$c
rm -rf "${net:?}/node-$c"
vk=$(sed -n "s|^log \($o+[^ ]*\).*|\1|p" "$net/trust.policy")
[ -n "$vk" ] || fail "no key of $o in the trust file"
for h in da-nang trung-uong; do
  ep=$(hub_ep $h)
  "$gs" entries --connect "$ep" --origin $o --log-key "$vk" --json >"$work/out" 2>"$work/err" ||
    fail "entries of the deleted $c from hub $h: $(cat "$work/err")"
  n=$(jq length "$work/out")
  [ "$n" = $s ] || fail "hub $h serves $n entries of the deleted $c, not $s"
  "$gs" roster --connect "$ep" --origin $o --log-key "$vk" >"$work/out" 2>"$work/err" ||
    fail "roster of the deleted $c from hub $h: $(cat "$work/err")"
  grep -q "Chu tich $c" "$work/out" || fail "the roster of $c from hub $h lacks its head"
  for ((k = 0; k < s; k++)); do
    "$gs" proof inclusion --connect "$ep" --origin $o --log-key "$vk" --index $k --json \
      >"$work/out" 2>"$work/err" || fail "inclusion proof of entry $k of $c from hub $h: $(cat "$work/err")"
  done
  pass "the deleted $c: hub $h serves all $s entries, the roster and verified inclusion proofs"
done

# ------------------------------------------------------------ A4 thanh-khe
# $deep statements the central hub has not seen, so the altered one is out
# of the store's open check; appended on disk under a checkpoint signed with
# the node key, which is what the node would have made of them submitted.
c=thanh-khe o=giamsat/commune/thanh-khe db=$net/node-thanh-khe/node.db
base=${size[$c]}
stop_daemon hub-trung-uong
stop_daemon node-$c
append_feedback $c "$db" $deep
"$tool" sign-checkpoint "$db" $o "$net/node-$c/node.key" >/dev/null
start_daemon node-$c
S=$((base + deep))
wait_until 120 "the checkpoint of $c at $S cosigned by da-nang" cosigned "$(node_ep $c)" $o $S da-nang
stop_daemon node-$c
stop_daemon hub-da-nang
bad=$((base + 1)) # above the central hub's cosigned size, out of the open check
"$tool" alter-entry "$net/hub-da-nang/hub.db" $o $bad --fix-leaf
# The central hub first, while its sources of thanh-khe are down, so its
# subscriber is connected again before anything can be detected; then the
# province hub, its one reachable source (the node stays down).
restart_hub hub-trung-uong
restart_hub hub-da-nang
evidence_ok trung-uong $o bad-entries 3
"$gs" evidence --connect "$(hub_ep trung-uong)" --origin $o --json >"$work/out"
grep -q "hub-da-nang/hub.sock" "$work/out" || fail "the evidence does not name the province hub's replica"
[ "$(cp_size "$(hub_ep trung-uong)" $o)" -lt $S ] || fail "the central hub cosigned the altered replica"
start_daemon node-$c
wait_until 120 "the central hub cosigns $c at $S from the node" \
  cosigned "$(hub_ep trung-uong)" $o $S trung-uong
[ "$(cp_root "$(hub_ep trung-uong)" $o)" = "$(cp_root "$(node_ep $c)" $o)" ] ||
  fail "the central hub's root of $c differs from the node's"
pass "A4 the central hub caught the altered replica of $c and cosigned the true log at $S"

# ------------------------------------------------------------ A5 the central hub's own log
o=giamsat/hub/trung-uong db=$net/hub-trung-uong/hub.db
stop_daemon hub-trung-uong
s_hn=$(cp_size "$(hub_ep ha-noi)" $o)
s_dn=$(cp_size "$(hub_ep da-nang)" $o)
low=$((s_hn < s_dn ? s_hn : s_dn))
[ $low -gt 12 ] || fail "the province hubs cosigned only $low entries of the central hub's log"
# Cut deep: the restarted hub appends observations and evidence of its own
# before its witnesses see its first checkpoint; staying below what they
# cosigned makes it a rollback (b) (above it, a split view (a)).
cut=$((low / 2))
"$tool" truncate "$db" $o $cut
seq=$(date +%s)
"$tool" append-observation "$db" $o "$net/hub-trung-uong/hub.key" $seq >/dev/null
"$tool" append-observation "$db" $o "$net/hub-trung-uong/hub.key" $((seq + 1)) >/dev/null
"$tool" sign-checkpoint "$db" $o "$net/hub-trung-uong/hub.key" >/dev/null
restart_hub hub-trung-uong
evidence_ok ha-noi $o "rollback|split-view" "2|1"
no_cosign_past ha-noi $o $((s_hn + 1))
evidence_ok da-nang $o "rollback|split-view" "2|1"
no_cosign_past da-nang $o $((s_dn + 1))
pass "A5 the central hub's log cut to $cut and regrown: caught by both province hubs"

# ------------------------------------------------------------ A6 province ha-noi
o=giamsat/province/ha-noi db=$net/node-ha-noi/node.db
base=$(cp_size "$(node_ep ha-noi)" $o)
stop_daemon node-ha-noi
"$tool" append-forged "$db" $o "$net/node-ha-noi/node.key" >/dev/null
"$tool" sign-checkpoint "$db" $o "$net/node-ha-noi/node.key" >/dev/null
start_daemon node-ha-noi
wait_until 120 "node ha-noi answers after its restart" answers "$(node_ep ha-noi)"
grep -q "QUARANTINED" "$net/logs/node-ha-noi.log" || fail "node ha-noi is not quarantined"
evidence_ok ha-noi $o rule-violation 4
no_cosign_past ha-noi $o $((base + 1))
# Since A5 the central hub's own log is below what its key signed, and its
# witnesses hold another history: it never goes back (DESIGN principle 9),
# so it stays read-only, recording and cosigning nothing, until its
# operator acts.
wait_until 120 "the central hub says it is read-only" \
  grep -q "READ-ONLY: .*behind its signed checkpoint" "$net/logs/hub-trung-uong.log"
no_cosign_past trung-uong $o $((base + 1))
pass "A6 a forged entry in $o under a re-signed checkpoint: rule-violation at ha-noi; the central hub, read-only since A5, cosigns nothing"

# ------------------------------------------------------------ the end
for f in "${faults[@]}"; do
  read -r h o sz <<<"$f"
  got=$(cp_size "$(hub_ep "$h")" "$o")
  [ "$got" -lt "$sz" ] || fail "hub $h cosigned $o at $got, past the fault at $sz"
done
pass "no hub cosigned past any fault (${#faults[@]} checked again at the end)"
for n in "$net"/run/*.pid; do
  running "$(basename "$n" .pid)" || fail "$(basename "$n" .pid) died"
done
pass "every daemon still runs"
