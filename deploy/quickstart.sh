#!/usr/bin/env bash
# deploy/quickstart.sh — see giamsat work, start to finish, on one machine.
#
#   deploy/quickstart.sh [--keep] [--dir DIR]
#
# On a fresh Debian 12 it installs what is missing, builds, makes a whole
# multi-tier network on loopback (deploy/network.sh: a central node and hub,
# two province nodes and hubs, four commune nodes, a press monitor acting as
# a witness), and plays a year of accountability in a minute:
#
#   - the government commits to a target; both provinces delegate it, and
#     each commune takes its share (a delegation tree across five logs);
#   - heads are appointed; one commune head lets a deadline pass, resigns,
#     and is replaced — the successor reports the missed outcome;
#   - one commune delivers, one misses, one is overdue, one is still open;
#   - an inspector files a finding; a citizen complaint is answered, another
#     is left unanswered;
#   - the central hub's audit names who promised what, who delivered, and
#     which head was in office at each missed deadline;
#   - one signed statement is exported as a bundle and verified offline.
#   - the same logs are read over plain HTTP, as press and citizens read them:
#     a checkpoint through tlog-tiles, a unit's Atom feed, and the address of
#     the web view that verifies each statement in the browser.
#
# Then it stops the network, or leaves it running with --keep.
# GIAMSAT_BIN=<build dir> skips installing and building (the tests use it).
#
# The story never waits for a clock: the commune deadline lies a few seconds
# in the past when the communes commit, and what belongs before it is dated
# back with --issued-at (the node accepts times within its max_clock_skew,
# 300 s by default), so the story runs the same on a fast or a loaded machine.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=0
dir=
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=1 ;;
    --dir) dir=$2; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--keep] [--dir DIR]" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "${GIAMSAT_BIN:-}" ]; then
  packages=(build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev
            libsodium-dev libzmq3-dev libsqlite3-dev libjansson-dev libinih-dev libmicrohttpd-dev
            libcmocka-dev jq tzdata curl libsystemd-dev scdoc)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  step "building (Release) in $top/build"
  cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$top/build" -j "$(nproc)" >/dev/null
  export GIAMSAT_BIN=$top/build
fi
gs=$GIAMSAT_BIN/cli/giamsat

[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-quickstart-XXXXXX")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
net() { "$top/deploy/network.sh" "$1" "$dir"; }
finish() {
  if [ "$keep" = 1 ]; then
    printf '\nThe network keeps running in %s.\nStop it with: %s down %s\n' "$dir" \
      "$top/deploy/network.sh" "$dir"
  else
    net down >/dev/null 2>&1 || true
  fi
}
trap finish EXIT

step "starting the network in $dir"
net up

ipc_node() { echo "ipc://$dir/node-$1/node.sock"; }
central_hub=ipc://$dir/hub-trung-uong/hub.sock
mkdir -p "$dir/people"
person() { # NAME -> key file path (created once)
  local f=$dir/people/$1.key
  [ -f "$f" ] || "$gs" key new --out "$f" >/dev/null
  echo "$f"
}
pub() { "$gs" key show "$(person "$1")"; }
# submit UNIT KEYFILE COMMAND ARGS... — prints the receipt JSON
submit() {
  local unit=$1 key=$2; shift 2
  local cmd=$1; shift
  "$gs" "$cmd" --connect "$(ipc_node "$unit")" --key "$key" --json "$@"
}
field() { jq -r ".$1"; }
ref_of() { # UNIT RECEIPT_JSON -> ORIGIN:INDEX:LEAFHASH
  local origin; origin=$(printf '%s' "$2" | field origin)
  echo "$origin:$(printf '%s' "$2" | field index):$(printf '%s' "$2" | field leaf_hash_b64)"
}
# wait_for CMD...: runs CMD until it succeeds, for at most two minutes (a
# loaded machine is slow, never wrong); it waits on the condition, and 0.2 s
# is only how often it asks. Returns 1 when the time is up.
wait_for() {
  local end=$(($(date +%s) + 120))
  until "$@"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}
# ago SECONDS: the time that many seconds before now, for --issued-at.
ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }
appoint() { # UNIT WHO NAME ROLE [TITLE [SUBMIT FLAGS...]]
  local unit=$1 who=$2 name=$3 role=$4 title=${5:-}
  shift $(($# < 5 ? $# : 5))
  submit "$unit" "$dir/node-$unit/node.key" appoint --person "$(pub "$who")" --name "$name" \
    --role "$role" --title "$title" --decision "QD-$RANDOM/2026" "$@" >/dev/null
}
# index_of UNIT KIND: the index of the first entry of that kind in UNIT's log.
index_of() {
  "$gs" entries --connect "$(ipc_node "$1")" --json | jq -r "[.[] | select(.kind == \"$2\")][0].index"
}

step "appointing heads, an officer and an inspector"
# Dated two minutes back, so they are in office at the commune deadline below.
early() { appoint "$@" --issued-at "$(ago 120)"; }
early chinh-phu thu-tuong "Tran Van Quoc" head "Thu tuong (Prime Minister)"
early ha-noi ct-hanoi "Le Thi Hoa" head "Chu tich UBND Ha Noi"
early da-nang ct-danang "Nguyen Van Son" head "Chu tich UBND Da Nang"
early phuc-xa ct-phucxa "Pham Thi Lan" head "Chu tich xa Phuc Xa"
early ba-dinh ct-badinh "Hoang Van Minh" head "Chu tich xa Ba Dinh"
early ba-dinh tt-badinh "Do Thi Thanh" inspector "Thanh tra xa"
early hai-chau ct-haichau "Vo Van Tam" head "Chu tich xa Hai Chau"
early thanh-khe ct-thanhkhe "Bui Thi Mai" head "Chu tich xa Thanh Khe"
early thanh-khe cb-thanhkhe "Ngo Van Duc" officer "Can bo dia chinh"

step "a national commitment, delegated to both provinces and on to the communes"
national=$(submit chinh-phu "$(person thu-tuong)" commit --id poverty-2027 \
  --title "Bring multidimensional poverty below 3%" --indicator "poverty rate" \
  --unit-of-measure % --target 3 --direction at-most --deadline 2027-12-31)
echo "  government: poverty-2027 at index $(printf '%s' "$national" | field index)"
hn=$(submit ha-noi "$(person ct-hanoi)" commit --id poverty-hn --title "Ha Noi's share" \
  --indicator "households lifted out of poverty" --unit-of-measure households --target 200 \
  --direction at-least --deadline 2027-06-30 --parent "$(ref_of chinh-phu "$national")")
dn=$(submit da-nang "$(person ct-danang)" commit --id poverty-dn --title "Da Nang's share" \
  --indicator "households lifted out of poverty" --unit-of-measure households --target 120 \
  --direction at-least --deadline 2027-06-30 --parent "$(ref_of chinh-phu "$national")")
# The commune deadline is 10 s ago: the commune commitments are dated 30 s
# back (the rule book wants the deadline after the issue time) and what
# happened before the deadline 20 s back; whatever is signed now comes after
# it. Dated statements are accepted for 270 s more (max_clock_skew, 300 s),
# ample for the few statements below.
committed=$(ago 30)
deadline=$(ago 10)
before_deadline=$(ago 20)
commune_commit() { # UNIT HEAD ID TARGET PARENT_RECEIPT DEADLINE
  submit "$1" "$(person "$2")" commit --id "$3" --title "Lift $4 households out of poverty" \
    --indicator "households lifted out of poverty" --unit-of-measure households \
    --target "$4" --direction at-least --deadline "$6" --parent "$(ref_of x "$5")" \
    --issued-at "$committed" >/dev/null
  echo "  $1: $3, target $4 households, deadline $6"
}
commune_commit phuc-xa ct-phucxa px-2026 100 "$hn" "$deadline"
commune_commit ba-dinh ct-badinh bd-2026 100 "$hn" "$deadline"
commune_commit hai-chau ct-haichau hc-2026 60 "$dn" "$deadline"
commune_commit thanh-khe ct-thanhkhe tk-2027 60 "$dn" 2027-06-30

step "work is done and reported"
submit phuc-xa "$(person ct-phucxa)" progress --id px-2026 --value 64 \
  --note "first two villages done" --issued-at "$before_deadline" >/dev/null
echo "households lifted: 104 of 100" >"$dir/px-report.txt"
submit phuc-xa "$(person ct-phucxa)" outcome --id px-2026 --value 104 \
  --evidence "$dir/px-report.txt" --issued-at "$before_deadline" >/dev/null
echo "  phuc-xa delivered before the deadline: 104 of 100 households"
submit thanh-khe "$(person ct-thanhkhe)" progress --id tk-2027 --value 20 \
  --note "on schedule" >/dev/null
echo "  thanh-khe reports progress: 20 of 60 (deadline next year)"
submit thanh-khe "$(person ct-thanhkhe)" revise --id tk-2027 --target 50 \
  --reason "Two hamlets merged into the neighbouring commune" >/dev/null
echo "  thanh-khe revises its target to 50 before the deadline (the original 60 is kept)"

step "citizens speak, and an inspector looks"
px_commit_index=$(index_of phuc-xa commitment)
complaint=$(submit phuc-xa "$(person citizen-an)" feedback \
  --about "giamsat/commune/phuc-xa:$px_commit_index" \
  --text "The new road to the village floods every rain" --rating 2)
submit phuc-xa "$(person ct-phucxa)" respond \
  --to "giamsat/commune/phuc-xa:$(printf '%s' "$complaint" | field index)" \
  --text "Drainage is added to the plan for next month" >/dev/null
echo "  phuc-xa: a complaint rated 2 of 5, answered by the head"
hc_commit_index=$(index_of hai-chau commitment)
submit hai-chau "$(person citizen-binh)" feedback \
  --about "giamsat/commune/hai-chau:$hc_commit_index" \
  --text "Nobody from the commune has visited our hamlet" --rating 1 >/dev/null
echo "  hai-chau: a complaint rated 1 of 5, left unanswered"
bd_commit_index=$(index_of ba-dinh commitment)
submit ba-dinh "$(person tt-badinh)" finding --about "giamsat/commune/ba-dinh:$bd_commit_index" \
  --severity high --text "Beneficiary list includes households that do not exist" >/dev/null
echo "  ba-dinh: the inspector files a high-severity finding"

step "the commune deadlines pass"
echo "  $deadline has passed"
submit ba-dinh "$(person ct-badinh)" resign --reason "Transferred to the district" >/dev/null
appoint ba-dinh ct-badinh-2 "Trinh Van Khoa" head "Chu tich xa Ba Dinh"
submit ba-dinh "$(person ct-badinh-2)" outcome --id bd-2026 --value 55 >/dev/null
echo "  ba-dinh: the head resigned after the deadline; the successor reports 55 of 100"
echo "  hai-chau: no outcome"

step "waiting for the hubs to replicate, verify and cosign everything"
# The central hub holds origin ($1) at the size unit ($2)'s node has; sets
# size and held.
central_holds() {
  size=$("$gs" checkpoint --connect "$(ipc_node "$2")" | sed -n 2p)
  held=$("$gs" checkpoint --connect "$central_hub" --origin "$1" 2>/dev/null | sed -n 2p || true)
  [ -n "$held" ] && [ "$held" = "$size" ]
}
for unit in chinh-phu ha-noi da-nang phuc-xa ba-dinh hai-chau thanh-khe; do
  origin=$("$gs" checkpoint --connect "$(ipc_node "$unit")" | sed -n 1p)
  wait_for central_holds "$origin" "$unit" || {
    echo "the central hub holds $origin at ${held:-nothing}, not $size, after 120 s;" \
      "see $dir/logs" >&2
    exit 1
  }
  sigs=$("$gs" checkpoint --connect "$(ipc_node "$unit")" | grep -c '^— ' || true)
  echo "  $origin: size $size, held by the central hub at $held, node's note carries $sigs signatures"
done

step "the central inspectors' audit"
"$gs" audit --connect "$central_hub" --trust "$dir/trust.policy" --format json \
  --out "$dir/audit.json" || { echo "the audit failed to verify something" >&2; exit 1; }
"$gs" audit --connect "$central_hub" --trust "$dir/trust.policy" --format html --lang vi \
  --out "$dir/audit.html"
"$gs" audit --connect "$central_hub" --trust "$dir/trust.policy" --format text

step "a journalist exports the missed outcome and verifies it offline"
bd_outcome_index=$(index_of ba-dinh outcome)
"$gs" export --connect "$central_hub" --origin giamsat/commune/ba-dinh \
  --index "$bd_outcome_index" --out "$dir/ba-dinh-outcome.bundle"
"$gs" verify "$dir/ba-dinh-outcome.bundle" --trust "$dir/trust.policy"

step "press and citizens read the same logs over plain HTTP"
web=$(cat "$dir/web.url")
base=${web%/web/}
echo "  Ba Dinh's log as the central hub holds it, read as any tlog-tiles client reads it:"
curl -fsS "$base/giamsat/commune/ba-dinh/checkpoint" | sed 's/^/    /'
# The hub builds its web data from what it cosigned, a few seconds behind.
bd_size=$("$gs" checkpoint --connect "$central_hub" --origin giamsat/commune/ba-dinh | sed -n 2p)
web_data_covers() { # ORIGIN SIZE
  curl -fsS "$base/data/status.json" 2>/dev/null |
    jq -e --arg o "$1" --argjson n "$2" '[.logs[]? | select(.origin == $o and .size >= $n)] | length > 0' >/dev/null
}
wait_for web_data_covers giamsat/commune/ba-dinh "$bd_size" || {
  echo "the central hub's web data does not cover Ba Dinh's log after 120 s; see $dir/logs" >&2
  exit 1
}
feed=$base/feeds/unit/giamsat/commune/ba-dinh.atom
echo "  Atom feed of Ba Dinh ($(curl -fsS "$feed" | grep -c '<entry>') entries): $feed"
echo "  web view, which verifies every statement in your browser: $web"

step "done"
echo "  audit: $dir/audit.json, $dir/audit.html (in Vietnamese; --lang en for English);"
echo "  trust file: $dir/trust.policy"
echo "  network logs: $dir/logs"
echo "  web view: $web (with --keep it stays up; deploy/network.sh status $dir lists every hub's)"
