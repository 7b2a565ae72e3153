#!/usr/bin/env bash
# it_accountability.sh — how promises are judged (issue 10), end to end:
# a province and a commune node (the commune's Charter names the province
# as its parent) followed by a hub, a year of history played through the
# giamsat CLI with fixed dates (the nodes run with max_clock_skew = 0, so
# nothing waits for a clock), then `giamsat audit` as of 2026-07-01 in
# text, JSON and HTML. Every figure below is worked out by hand in the
# comments from the dates and values the scenario signs:
#   - every status: delivered, delivered_late, partially_delivered (80% of
#     the target, the threshold 75%), missed, overdue, at_risk by projection,
#     at_risk by silence, open;
#   - a revision before the deadline (baseline kept) and one refused after;
#   - a confirmed and a contested outcome (the contest answered);
#   - a delegation roll-up over two tiers (province ← commune);
#   - one person who heads the commune, then the province;
#   - satisfaction ratings over two quarters, one of them given on
#     31 March in UTC, which is 1 April in the unit's time zone;
#   - date-only deadlines meaning the end of that day at +07:00.
# The HTML report is opened in headless Chromium (tests/browser): its
# summary counts are the JSON's, every chart is drawn, the Vietnamese text
# renders, and a screenshot is written.
#
# usage: it_accountability.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-accountability-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*/node.log "$work/hub/hub.log"; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

json() { jq -r "$1" "$work/out"; }

P=giamsat/province/binh-duong
C=giamsat/commune/xa-an-binh
H=giamsat/hub/tinh
p_ep=ipc://$work/p/node.sock
c_ep=ipc://$work/c/node.sock
hub_ep=ipc://$work/hub/hub.sock

for who in head_a head_b head_x officer insp_c insp_p cit1 cit2 cit3; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done
pub() { "$gs" key show "$work/$1.key"; }
fpr() { pub "$1" | base64 -d | head -c 8 | od -An -tx1 | tr -d ' \n'; }

# ---- the network
expect 0 "province node init" -- "$gs" node init --dir "$work/p" --tier province \
  --unit binh-duong --name "Tỉnh Bình Dương" --listen "$p_ep"
p_vkey=$("$gs" key show "$work/p/node.key" --name "$P")
expect 0 "commune node init (parent: the province)" -- "$gs" node init --dir "$work/c" \
  --tier commune --unit xa-an-binh --name "Xã An Bình" --listen "$c_ep" \
  --parent-origin "$P" --parent-key "$p_vkey" --time-zone Asia/Ho_Chi_Minh
c_vkey=$("$gs" key show "$work/c/node.key" --name "$C")
for d in p c; do
  sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/$d/node.conf"
  # History is signed with its own dates, months back: no clock check.
  if grep -q '^max_clock_skew' "$work/$d/node.conf"; then
    sed -i 's/^max_clock_skew = .*/max_clock_skew = 0/' "$work/$d/node.conf"
  else
    printf 'max_clock_skew = 0\n' >>"$work/$d/node.conf"
  fi
done
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name "$H")
hub_cosigner=$("$gs" key show "$work/hub/hub.key" --name "$H" --cosigner)
expect 0 "hub follows the province" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$P" --log-key "$p_vkey" --source "$p_ep"
expect 0 "hub follows the commune" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$C" --log-key "$c_vkey" --source "$c_ep"
"$node_bin" --config "$work/p/node.conf" 2>"$work/p/node.log" &
pids+=($!)
"$node_bin" --config "$work/c/node.conf" 2>"$work/c/node.log" &
pids+=($!)
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
pids+=($!)
wait_until 120 "the province node serves" "$gs" checkpoint --connect "$p_ep"
wait_until 120 "the commune node serves" "$gs" checkpoint --connect "$c_ep"
wait_until 120 "the hub serves" "$gs" checkpoint --connect "$hub_ep"

# st EP KEY COMMAND FLAGS...: a statement signed by KEY, sent to EP, --json.
st() {
  local ep=$1 key=$2 cmd=$3
  shift 3
  expect 0 "$key: $cmd $*" -- "$gs" "$cmd" --connect "$ep" --key "$work/$key.key" --json "$@"
}
appoint() { # EP SIGNER PERSON NAME ROLE DATE
  st "$1" "$2" appoint --person "$(pub "$3")" --name "$4" --role "$5" --issued-at "$6"
}
commit() { # EP KEY ID TARGET DEADLINE DATE [FLAGS...]
  local ep=$1 key=$2 id=$3 target=$4 dl=$5 at=$6
  shift 6
  st "$ep" "$key" commit --id "$id" --title "Commitment $id" --indicator "measured" \
    --unit-of-measure km --target "$target" --direction at-least --deadline "$dl" \
    --issued-at "$at" "$@"
}

# ---- the province: head X (until 30 April), then head A; an inspector.
appoint "$p_ep" p/node head_x "Võ Văn Xuân" head 2026-01-05T02:00:00Z
appoint "$p_ep" p/node insp_p "Đỗ Thị Ngọc" inspector 2026-01-05T02:00:00Z
# A hostile title: the HTML must show it as text.
st "$p_ep" head_x commit --id p-road --title "Đường tỉnh <script>alert(1)</script>" \
  --indicator "road built" --unit-of-measure km --target 50 --direction at-least \
  --deadline 2026-12-31 --issued-at 2026-01-10T02:00:00Z
p_road_ref="$P:$(json .index):$(json .leaf_hash_b64)"

# ---- the commune: head A (5 January to 15 April), then head B; an officer
# and an inspector.
appoint "$c_ep" c/node head_a "Nguyễn Văn An" head 2026-01-05T02:00:00Z
appoint "$c_ep" c/node officer "Trần Thị Bình" officer 2026-01-05T02:00:00Z
appoint "$c_ep" c/node insp_c "Lê Văn Cường" inspector 2026-01-05T02:00:00Z

# Ten commitments, all dated 10 January; deadlines are dates, i.e. the end
# of that day at +07:00 (16:59:59Z).
for spec in "c-delivered 10 2026-03-31" "c-late 10 2026-02-28" "c-partial 100 2026-04-30" \
  "c-missed 100 2026-04-30" "c-overdue 5 2026-05-31" "c-revised 50 2026-06-15" \
  "c-risk-proj 100 2026-12-31" "c-risk-silent 10 2026-12-31"; do
  set -- $spec
  commit "$c_ep" officer "$1" "$2" "$3" 2026-01-10T02:00:00Z
done
commit "$c_ep" officer c-road 30 2026-12-31 2026-01-10T02:00:00Z --parent "$p_road_ref"
commit "$c_ep" officer c-road-b 20 2026-12-31 2026-01-10T02:00:00Z --parent "$p_road_ref"

out() { st "$c_ep" officer outcome --id "$1" --value "$2" --issued-at "$3"; }
prog() { st "$c_ep" officer progress --id "$1" --value "$2" --issued-at "$3"; }
out c-delivered 12 2026-03-20T03:00:00Z # 12 >= 10 before 31 March: delivered
delivered_outcome=$(json .index)
out c-late 10 2026-03-05T03:00:00Z # 10 >= 10 after 28 February: delivered_late
out c-partial 80 2026-04-29T03:00:00Z # 80 of 100 = 80.0% >= 75%: partially_delivered
partial_outcome=$(json .index)
out c-missed 50 2026-04-30T03:00:00Z # 50 of 100 = 50.0%: missed
prog c-overdue 2 2026-03-01T03:00:00Z # no outcome by 31 May: overdue
out c-road-b 22 2026-06-10T03:00:00Z  # a child, delivered
prog c-road 15 2026-06-01T03:00:00Z   # a child, open
# At risk by projection: (1 March, 10) and (1 June, 20) extended to 31
# December fall far short of 100.
prog c-risk-proj 10 2026-03-01T03:00:00Z
prog c-risk-proj 20 2026-06-01T03:00:00Z
# c-risk-silent: no report since 10 January 02:00Z; 171 whole days by 1
# July is more than a third of its 355 days.

# Revision before the deadline: target 50 -> 40, deadline 15 June -> 30
# September; the baseline stays. Then progress 35 on 20 June: the line from
# (10 January, 0) through it reaches 40 well before 30 September: open.
st "$c_ep" officer revise --id c-revised --target 40 --deadline 2026-09-30 \
  --reason "Lũ lụt tháng 5 (the May flood)" --issued-at 2026-06-01T03:00:00Z
revision_index=$(json .index)
prog c-revised 35 2026-06-20T03:00:00Z
# A revision after the deadline is refused: the miss stands.
expect 1 "a revision after the deadline is refused" -- "$gs" revise --connect "$c_ep" \
  --key "$work/officer.key" --id c-overdue --deadline 2026-12-31 --reason "late" \
  --issued-at 2026-06-05T03:00:00Z
grep -q "revision-after-deadline" "$work/err" ||
  fail "the refusal does not name its rule: $(cat "$work/err")"

# Findings: one confirms c-delivered's outcome, one contests c-partial's,
# answered by a Response.
st "$c_ep" insp_c finding --about "$C:$delivered_outcome" --severity low \
  --text "Measured on site: 12 km" --confirms --issued-at 2026-03-25T03:00:00Z
st "$c_ep" insp_c finding --about "$C:$partial_outcome" --severity high \
  --text "Only 60 km found on site" --contests --issued-at 2026-05-02T03:00:00Z
contest_index=$(json .index)
st "$c_ep" officer respond --to "$C:$contest_index" --text "Survey attached" \
  --issued-at 2026-05-05T03:00:00Z

# Head A resigns on 15 April, head B takes over on 16 April; head A heads
# the province from 1 May, after head X resigns on 30 April.
st "$c_ep" head_a resign --reason "moved to the province" --issued-at 2026-04-15T03:00:00Z
appoint "$c_ep" c/node head_b "Phạm Thị Dung" head 2026-04-16T02:00:00Z
st "$p_ep" head_x resign --reason "retired" --issued-at 2026-04-30T03:00:00Z
appoint "$p_ep" p/node head_a "Nguyễn Văn An" head 2026-05-01T02:00:00Z
# The owner of p-road resigned: the head in office reports for it. 37 on 15
# June from (10 January, 0) projects past 50 by 31 December: open.
st "$p_ep" head_a progress --id p-road --value 37 --issued-at 2026-06-15T03:00:00Z

# Satisfaction. Q1 (local): 4. Q2 (local): 2 (31 March 18:00Z is 1 April
# 01:00 at +07:00), 5, 3. A feedback without a rating counts for nothing.
fb() { st "$c_ep" "$1" feedback --text "$2" --rating "$3" --issued-at "$4"; }
fb cit1 "Tốt" 4 2026-02-10T03:00:00Z
fb cit2 "Chậm" 2 2026-03-31T18:00:00Z
fb cit1 "Đường đẹp" 5 2026-05-10T03:00:00Z
fb cit3 "Tạm được" 3 2026-06-20T03:00:00Z
st "$c_ep" cit3 feedback --text "No rating here" --issued-at 2026-06-21T03:00:00Z
expect 2 "a rating of 6 is refused before anything is signed" -- "$gs" feedback \
  --connect "$c_ep" --key "$work/cit3.key" --text "x" --rating 6

# Everything cosigned by the hub before the audit.
size_of() { "$gs" checkpoint --connect "$1" | sed -n 2p; }
hub_cosigned() { # ORIGIN SIZE
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$1" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$2" ] && grep -q "^— $H " <<<"$note"
}
entries_of() { "$gs" entries --connect "$1" --json | jq length; }
p_size=$(entries_of "$p_ep")
c_size=$(entries_of "$c_ep")
wait_until 300 "the hub cosigns the province at $p_size" hub_cosigned "$P" "$p_size"
wait_until 300 "the hub cosigns the commune at $c_size" hub_cosigned "$C" "$c_size"

# The trust file, made with giamsat trust: three logs, the hub as the
# witness every log needs (its own log counts its own signature).
tf=$work/trust.policy
expect 0 "trust new" -- "$gs" trust new --file "$tf"
for k in "$p_vkey" "$c_vkey" "$hub_vkey"; do
  expect 0 "trust add-log" -- "$gs" trust add-log --file "$tf" --key "$k"
done
expect 0 "trust add-witness" -- "$gs" trust add-witness --file "$tf" --name tinh --key "$hub_cosigner"
expect 0 "trust quorum" -- "$gs" trust quorum --file "$tf" --witness tinh
audit() { "$gs" audit --connect "$hub_ep" --trust "$work/trust.policy" --as-of 2026-07-01T00:00:00Z "$@"; }

# ---- JSON
expect 0 "audit (json) as of 1 July 2026" -- audit --format json
cp "$work/out" "$work/audit.json"
cj() { jq -c "$1" "$work/audit.json"; }
commit_json() { cj "[.people[].commitments[] | select(.id == \"$1\")][0]"; }
for pair in c-delivered:delivered c-late:delivered_late c-partial:partially_delivered \
  c-missed:missed c-overdue:overdue c-risk-proj:at_risk c-risk-silent:at_risk c-revised:open \
  c-road:open c-road-b:delivered p-road:open; do
  id=${pair%%:*} want=${pair#*:}
  got=$(commit_json "$id" | jq -r .status)
  [ "$got" = "$want" ] || fail "$id: status $got, want $want: $(commit_json "$id")"
done
pass "every commitment has the status worked out by hand"

check() { # DESCRIPTION JQ-EXPRESSION (over the whole document, must be true)
  jq -e "$2" "$work/audit.json" >/dev/null || fail "$1"
  pass "$1"
}
cm() { echo "[.people[].commitments[] | select(.id == \"$1\")][0]"; }
check "summary counts by status for the network" \
  '.summary.by_status == {"delivered": 2, "delivered_late": 1, "partially_delivered": 1,
    "missed": 1, "overdue": 1, "at_risk": 2, "open": 3, "total": 11}'
check "the commune's counts" \
  '(.units[] | select(.origin == "giamsat/commune/xa-an-binh") | .summary) ==
   {"delivered": 2, "delivered_late": 1, "partially_delivered": 1, "missed": 1, "overdue": 1,
    "at_risk": 2, "open": 2, "total": 10}'
check "partially delivered: 80.0 percent of the target" \
  "$(cm c-partial) | .percent_of_target == \"80.0\""
check "missed: 50.0 percent" "$(cm c-missed) | .percent_of_target == \"50.0\""
check "a date-only deadline is the end of that day at +07:00" \
  "$(cm c-late) | .deadline == \"2026-02-28T16:59:59Z\" and .deadline_local == \"2026-02-28T23:59:59+07:00\""
check "at risk by projection, and only that" \
  "$(cm c-risk-proj) | .at_risk.reasons == [\"projection\"] and (.at_risk.projected | tonumber) < 100"
check "at risk by silence, and only that" \
  "$(cm c-risk-silent) | .at_risk.reasons == [\"silence\"] and .at_risk.silent_days == 171"
check "the revision: in force 40 by 30 September, baseline 50 by 15 June" \
  "$(cm c-revised) | .target == \"40\" and .deadline == \"2026-09-30T16:59:59Z\"
   and .baseline.target == \"50\" and .baseline.deadline == \"2026-06-15T16:59:59Z\"
   and .revision_count == 1 and (.revisions | length) == 1
   and .revisions[0].index == $revision_index and .revisions[0].target == \"40\""
check "the confirmed outcome" "$(cm c-delivered) | .evidence_status == \"confirmed\""
check "the contested outcome, answered" \
  "$(cm c-partial) | .evidence_status == \"contested\" and .contest_answered == true"
check "self-reported and no evidence yet" \
  "($(cm c-missed) | .evidence_status == \"self_reported\") and ($(cm c-risk-silent) | .evidence_status == \"no_evidence\")"
check "evidence status counts" \
  '.summary.evidence_status == {"no_evidence": 1, "self_reported": 8, "confirmed": 1, "contested": 1}'
check "the roll-up over two tiers: 22 + 15 of 50 km" \
  "$(cm p-road) | .rollup.children == 2 and .rollup.sum == \"37\" and .rollup.summed == 2
   and .rollup.percent_of_target == \"74.0\" and .rollup.by_status.delivered == 1
   and .rollup.by_status.open == 1"
check "heads answering: B for three failed deadlines, A for one" \
  "[.summary.heads_answering[] | {f: .fingerprint, n: .failed}] ==
   [{f: \"$(fpr head_b)\", n: 3}, {f: \"$(fpr head_a)\", n: 1}]"
a_person="[.people[] | select(.fingerprint == \"$(fpr head_a)\")][0]"
check "head A headed the commune, then the province" \
  "($a_person | [.roles[] | select(.role == \"head\") | .origin] | sort) ==
   [\"giamsat/commune/xa-an-binh\", \"giamsat/province/binh-duong\"]"
check "head A's scorecard: c-late failed in their tenure" \
  "$a_person | [.scorecard.failed_as_head[].id] == [\"c-late\"]"
check "satisfaction per quarter in the unit's time zone" \
  '(.units[] | select(.origin == "giamsat/commune/xa-an-binh") | .satisfaction) ==
   [{"quarter": "2026-Q1", "count": 1, "sum": 4, "mean": "4.00"},
    {"quarter": "2026-Q2", "count": 3, "sum": 10, "mean": "3.33"}]'
check "satisfaction during head A's tenure" \
  "$a_person | .scorecard.satisfaction ==
   [{\"quarter\": \"2026-Q1\", \"count\": 1, \"sum\": 4, \"mean\": \"4.00\"},
    {\"quarter\": \"2026-Q2\", \"count\": 1, \"sum\": 2, \"mean\": \"2.00\"}]"
check "satisfaction during head B's tenure" \
  "[.people[] | select(.fingerprint == \"$(fpr head_b)\")][0] | .scorecard.satisfaction ==
   [{\"quarter\": \"2026-Q2\", \"count\": 2, \"sum\": 8, \"mean\": \"4.00\"}]"

# ---- text: one fact per line, grep-friendly
expect 0 "audit (text)" -- audit
grep -q "everything verified" "$work/out" || fail "text: no 'everything verified'"
grep -q "partially_delivered" "$work/out" || fail "text: no partially_delivered line"
grep -q "at_risk" "$work/out" || fail "text: no at_risk line"
grep -q "2026-Q2" "$work/out" || fail "text: no satisfaction line for 2026-Q2"
pass "the text report carries the new judgements"

# ---- HTML, in Vietnamese, in a browser
expect 0 "audit (html, vi)" -- audit --format html --lang vi --out "$work/report.html"
expect 2 "audit --lang xx is refused" -- audit --format html --lang xx --out "$work/bad.html"
[ -d "$src/tests/browser/node_modules" ] ||
  fail "tests/browser/node_modules is missing: run 'npm ci --prefix tests/browser' (tests/run.sh does)"
expect 0 "the report renders in headless Chromium" -- env CHECK_BIDI=0 \
  node "$src/tests/browser/check_report.js" "$work/report.html" "$work/audit.json" vi \
  "$build/it_accountability-report.png" "$build/it_accountability-report-mobile.png"
pass "screenshot: $build/it_accountability-report.png"
echo "PASS it_accountability"
