#!/usr/bin/env bash
# it_http_feeds.sh — the hub's data and feeds over HTTP (docs/http.md "Data
# and feeds"), end to end: a commune node with a season of statements
# (appointments, a commitment, progress, a finding about the progress, a
# citizen's feedback about the commitment with text XML must escape, the
# head's response, an outcome, a resignation), a province and a central
# node whose inspectors judge the commune's progress (references into
# another log, one read before and one after it), and a hub with HTTP
# following all three and rebuilding its data every second
# (web_refresh = 1). Then:
#   - /data/status.json says what was built; the test waits (wait_until)
#     for the build that holds the last statement;
#   - /data/events/... for the unit, the head, the citizen and the
#     commitment list exactly what was submitted, newest first, with the
#     indices and leaf hashes the node's receipts gave;
#   - every Atom feed is well-formed (xmllint --noout) and has the required
#     elements of RFC 4287 (xmllint --xpath in the Atom namespace): feed
#     id, title, updated, author, self and alternate links; each entry's id,
#     title, updated, link to /web/#/statement/<origin>/<index>; the
#     feedback's text arrives intact through the escaping;
#   - /data/trust.txt is a policy `giamsat audit` accepts, and
#     /data/report.json says what that audit says;
#   - unknown or malformed subjects are 404, with the content types right;
#   - the hub stops cleanly (exit 0, no sanitizer report) with its thread.
#
# usage: it_http_feeds.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-http-feeds-XXXXXX")
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
  for f in "$work/c/node.log" "$work/p/node.log" "$work/z/node.log" "$work/hub/hub.log"; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -30 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in curl jq xmllint; do
  command -v $tool >/dev/null || fail "no $tool: tests/run.sh installs curl, jq and libxml2-utils"
done

json() { jq -r "$1" "$work/out"; }

C=giamsat/commune/xa-an-phu
P=giamsat/province/an-giang
p_ep=ipc://$work/p/node.sock
Z=giamsat/central/bo-xay-dung
z_ep=ipc://$work/z/node.sock
H=giamsat/hub/tinh
c_ep=ipc://$work/c/node.sock
hub_ep=ipc://$work/hub/hub.sock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
A='http://www.w3.org/2005/Atom'

for who in head insp cit insp_p insp_z; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done
pub() { "$gs" key show "$work/$1.key"; }
url_key() { pub "$1" | tr '+/' '-_' | tr -d '='; }

# ---- the network
expect 0 "node init" -- "$gs" node init --dir "$work/c" --tier commune --unit xa-an-phu \
  --name "Xã An Phú" --listen "$c_ep"
c_vkey=$("$gs" key show "$work/c/node.key" --name "$C")
expect 0 "province node init" -- "$gs" node init --dir "$work/p" --tier province --unit an-giang \
  --name "Tỉnh An Giang" --listen "$p_ep"
p_vkey=$("$gs" key show "$work/p/node.key" --name "$P")
expect 0 "central node init" -- "$gs" node init --dir "$work/z" --tier central --unit bo-xay-dung \
  --name "Bộ Xây dựng" --listen "$z_ep"
z_vkey=$("$gs" key show "$work/z/node.key" --name "$Z")
for d in c p z; do
  sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/$d/node.conf"
  if grep -q '^max_clock_skew' "$work/$d/node.conf"; then
    sed -i 's/^max_clock_skew = .*/max_clock_skew = 0/' "$work/$d/node.conf"
  else
    printf 'max_clock_skew = 0\n' >>"$work/$d/node.conf"
  fi
done
expect 0 "hub init with --http" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep" \
  --http "127.0.0.1:$port"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
sed -i 's/^\[hub\]$/[hub]\nweb_refresh = 1/' "$work/hub/hub.conf"
grep -q '^web_refresh = 1' "$work/hub/hub.conf" || fail "could not set web_refresh"
# Bad values of the two settings stop the hub before it starts, with a
# sentence naming them.
for bad in "web_refresh = 0" "web_refresh = soon" "public_url = ftp://x" \
  "public_url = https://x/path" 'public_url = http://a"b'; do
  sed "s|^\[hub\]\$|[hub]\n$bad|" "$work/hub/hub.conf" >"$work/hub/bad.conf"
  expect 2 "hub.conf '$bad' is refused" -- "$hub_bin" --config "$work/hub/bad.conf"
  grep -q "${bad%% *}" "$work/err" || fail "'$bad': the error does not name the setting: $(cat "$work/err")"
done
rm -f "$work/hub/bad.conf"
hub_cosigner=$("$gs" key show "$work/hub/hub.key" --name "$H" --cosigner)
expect 0 "hub follows the commune" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$C" --log-key "$c_vkey" --source "$c_ep"
expect 0 "hub follows the province" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$P" --log-key "$p_vkey" --source "$p_ep"
"$node_bin" --config "$work/c/node.conf" 2>"$work/c/node.log" &
pids+=($!)
expect 0 "hub follows the central unit" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$Z" --log-key "$z_vkey" --source "$z_ep"
"$node_bin" --config "$work/p/node.conf" 2>"$work/p/node.log" &
pids+=($!)
"$node_bin" --config "$work/z/node.conf" 2>"$work/z/node.log" &
pids+=($!)
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
hub_pid=$!
pids+=($hub_pid)
wait_until 120 "the node serves" "$gs" checkpoint --connect "$c_ep"
wait_until 120 "the province node serves" "$gs" checkpoint --connect "$p_ep"
wait_until 120 "the central node serves" "$gs" checkpoint --connect "$z_ep"
wait_until 120 "the hub serves HTTP" curl -sf "$base/data/status.json"

# st KEY COMMAND FLAGS...: a statement signed by KEY, --json in $work/out.
st() {
  local key=$1 cmd=$2
  shift 2
  expect 0 "$key: $cmd" -- "$gs" "$cmd" --connect "$c_ep" --key "$work/$key.key" --json "$@"
}
NASTY=$'Đường <b>hỏng</b> & "sâu" \'lắm\'\n]]> </feed> <!-- x -->'
st c/node appoint --person "$(pub head)" --name "Nguyễn Văn A" --role head \
  --issued-at 2026-01-05T02:00:00Z
i_head=$(json .index)
st c/node appoint --person "$(pub insp)" --name "Trần Thị B" --role inspector \
  --issued-at 2026-01-05T03:00:00Z
i_insp=$(json .index)
st head commit --id C-12 --title "Sửa đường <liên xã> & cầu" --indicator "road repaired" \
  --unit-of-measure km --target 100 --direction at-least --deadline 2026-12-31 \
  --issued-at 2026-01-10T02:00:00Z
i_commit=$(json .index)
leaf_commit=$(json .leaf_hash_b64)
st head progress --id C-12 --value 40 --issued-at 2026-02-10T02:00:00Z
i_progress=$(json .index)
leaf_progress=$(json .leaf_hash_b64)
# The province's and the central unit's inspectors judge the commune's
# progress: references into another log. The audit reads logs in origin
# order (central < commune < province), so one is resolved as it is read
# and the other only once the commune's log is (gs_feed_finish).
expect 0 "province appoints its inspector" -- "$gs" appoint --connect "$p_ep" --key "$work/p/node.key" \
  --json --person "$(pub insp_p)" --name "Lê Văn C" --role inspector --issued-at 2026-01-06T02:00:00Z
expect 0 "insp_p: finding about the commune's progress" -- "$gs" finding --connect "$p_ep" \
  --key "$work/insp_p.key" --json --about "$C:$i_progress:$leaf_progress" --severity medium \
  --text "seen from the province" --issued-at 2026-02-11T02:00:00Z
p_finding=$(json .index)
p_size=$((p_finding + 1))
expect 0 "central appoints its inspector" -- "$gs" appoint --connect "$z_ep" --key "$work/z/node.key" \
  --json --person "$(pub insp_z)" --name "Phạm Thị D" --role inspector --issued-at 2026-01-06T02:00:00Z
expect 0 "insp_z: finding about the commune's progress" -- "$gs" finding --connect "$z_ep" \
  --key "$work/insp_z.key" --json --about "$C:$i_progress:$leaf_progress" --severity low \
  --text "seen from the ministry" --issued-at 2026-02-11T03:00:00Z
z_finding=$(json .index)
z_size=$((z_finding + 1))
st insp finding --about "$C:$i_progress" --severity high --text "only 30 km seen" \
  --issued-at 2026-02-12T02:00:00Z
i_finding=$(json .index)
st cit feedback --about "$C:$i_commit" --text "$NASTY" --rating 2 --issued-at 2026-02-13T02:00:00Z
i_feedback=$(json .index)
st head respond --to "$C:$i_feedback" --text "we will fix it" --issued-at 2026-02-14T02:00:00Z
i_response=$(json .index)
st head outcome --id C-12 --value 90 --issued-at 2026-03-01T02:00:00Z
i_outcome=$(json .index)
leaf_outcome=$(json .leaf_hash_b64)
st insp resign --reason "moved" --issued-at 2026-03-02T02:00:00Z
i_resign=$(json .index)
size=$((i_resign + 1))

# ---- wait for the build that holds the last statement
built() {
  curl -sf "$base/data/status.json" |
    jq -e --arg c "$C" --argjson n "$size" --arg p "$P" --argjson pn "$p_size" \
      '.built_at != null and .error == null and ([.logs[] | select(.origin == $c and .size == $n)] | length == 1)
       and ([.logs[] | select(.origin == $p and .size == $pn)] | length == 1)
       and ([.logs[] | select(.origin == "'"$Z"'" and .size == '"$z_size"')] | length == 1)'
}
wait_until 180 "the web data holds $C at size $size" built
curl -sf "$base/data/status.json" | jq -e '(.building | type) == "boolean" and (.built_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' \
  >/dev/null || fail "status.json: building or built_at malformed"
pass "status.json: built, $C at size $size"

get() { # PATH [WANT_STATUS]: body in $work/out, content type in $work/ctype
  local want=${2:-200} code
  code=$(curl -s -o "$work/out" -w '%{http_code} %{content_type}' "$base$1") || fail "curl $1"
  echo "${code#* }" >"$work/ctype"
  [ "${code%% *}" = "$want" ] || fail "GET $1: status ${code%% *}, want $want: $(head -c 400 "$work/out")"
}
ctype() { grep -qi "^$1" "$work/ctype" || fail "content type $(cat "$work/ctype"), want $1"; }

# ---- events JSON
get "/data/events/unit/$C.json"
ctype "application/json; charset=utf-8"
jq -e --arg c "$C" '.feed == "unit" and .subject == $c and (.title | startswith("Xã An Phú"))' \
  "$work/out" >/dev/null || fail "unit events: header $(head -c 300 "$work/out")"
# Every entry of the node is news, newest first by issued_at: the Charter
# (signed at node init, today) before the history dated in 2026.
got=$(jq -c '[.events[].index]' "$work/out")
want=$( (echo 0; seq $((size - 1)) -1 1) | jq -cs .)
[ "$got" = "$want" ] || fail "unit events: indices $got, want $want"
jq -e '[.events[].kind] == ["charter","resignation","outcome","response","feedback","finding","progress","commitment","appointment","appointment"]' \
  "$work/out" >/dev/null || fail "unit events: kinds $(jq -c '[.events[].kind]' "$work/out")"
jq -e --arg l "$leaf_outcome" --argjson i "$i_outcome" \
  '.events[] | select(.index == $i) | .leaf_hash_b64 == $l and .issued_at == "2026-03-01T02:00:00Z"
   and .issued_at_local == "2026-03-01T09:00:00+07:00" and .signer_name == "Nguyễn Văn A"
   and .summary == "outcome 90 of 100 km on C-12" and .commitment.id == "C-12"' \
  "$work/out" >/dev/null || fail "unit events: the outcome is not what was submitted"
pass "unit events: every statement, newest first, as submitted"

get "/data/events/commitment/$C/$i_commit.json"
jq -e --arg s "$C/$i_commit" '.feed == "commitment" and .subject == $s and .title == "C-12: Sửa đường <liên xã> & cầu"' \
  "$work/out" >/dev/null || fail "commitment events: header"
ids() { jq -c '[.events[] | "\(.origin)#\(.index)"]' "$work/out"; }
got=$(ids)
want=$(printf '"%s",' "$C#$i_outcome" "$C#$i_response" "$C#$i_feedback" "$C#$i_finding" \
  "$Z#$z_finding" "$P#$p_finding" "$C#$i_progress" "$C#$i_commit")
want="[${want%,}]"
[ "$got" = "$want" ] || fail "commitment events: $got, want $want"
jq -e --arg t "$NASTY" --argjson i "$i_feedback" \
  '.events[] | select(.index == $i) | .text == $t and .signer_name == null and .summary == "feedback rated 2 of 5 about '"$C#$i_commit"'"' \
  "$work/out" >/dev/null || fail "commitment events: the feedback's text or summary differs"
jq -e --arg l "$leaf_commit" '.events[-1].leaf_hash_b64 == $l' "$work/out" >/dev/null ||
  fail "commitment events: the commitment's leaf hash differs from the receipt's"
pass "commitment events: commitment, progress, findings (two from other logs, read before and after), feedback, response, outcome"

get "/data/events/person/$(url_key head).json"
jq -e '.title == "Nguyễn Văn A"' "$work/out" >/dev/null || fail "head: title"
got=$(ids)
# Their appointment, what they signed, and the findings (one from the
# province's log) and the feedback about what they signed.
want=$(printf '"%s",' "$C#$i_outcome" "$C#$i_response" "$C#$i_feedback" "$C#$i_finding" \
  "$Z#$z_finding" "$P#$p_finding" "$C#$i_progress" "$C#$i_commit" "$C#$i_head")
want="[${want%,}]"
[ "$got" = "$want" ] || fail "head events: $got, want $want"
get "/data/events/person/$(url_key cit).json"
got=$(jq -c '[.events[].index]' "$work/out")
[ "$got" = "[$i_response,$i_feedback]" ] || fail "citizen events: $got (their feedback and the response to it)"
get "/data/events/person/$(url_key insp).json"
got=$(jq -c '[.events[].index]' "$work/out")
[ "$got" = "[$i_resign,$i_finding,$i_insp]" ] || fail "inspector events: $got"
pass "person events: the head, the citizen (answered), the inspector"

# ---- Atom
xp() { xmllint --xpath "$1" "$work/out" 2>/dev/null; }
atom_ok() { # PATH ENTRIES ALTERNATE
  local path=$1 n=$2 alt=$3
  get "$path"
  ctype "application/atom+xml; charset=utf-8"
  xmllint --noout "$work/out" 2>"$work/err" || fail "$path is not well-formed XML: $(cat "$work/err")"
  local e="*[local-name()='entry' and namespace-uri()='$A']"
  local f="/*[local-name()='feed' and namespace-uri()='$A']"
  [ "$(xp "count($f)")" = 1 ] || fail "$path: the root is not an Atom feed"
  for req in id title updated; do
    [ "$(xp "count($f/*[local-name()='$req' and namespace-uri()='$A'])")" = 1 ] ||
      fail "$path: the feed has no single <$req>"
  done
  [ "$(xp "count($f/*[local-name()='author']/*[local-name()='name'])")" = 1 ] ||
    fail "$path: the feed has no author"
  [ "$(xp "string($f/*[local-name()='link' and @rel='self']/@href)")" = "$base$path" ] ||
    fail "$path: rel=self is not $base$path"
  [ "$(xp "string($f/*[local-name()='link' and @rel='alternate']/@href)")" = "$base$alt" ] ||
    fail "$path: rel=alternate is not $base$alt"
  xp "string($f/*[local-name()='id'])" | grep -Eq '^urn:uuid:[0-9a-f-]{36}$' || fail "$path: feed id"
  xp "string($f/*[local-name()='updated'])" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' ||
    fail "$path: feed updated is not RFC 3339"
  [ "$(xp "count($f/$e)")" = "$n" ] || fail "$path: $(xp "count($f/$e)") entries, want $n"
  local bad="$f/$e[not(*[local-name()='id']) or not(*[local-name()='title']) or not(*[local-name()='updated'])
    or not(*[local-name()='published']) or not(*[local-name()='summary'])
    or not(*[local-name()='content' and @type='text'])
    or not(*[local-name()='link' and starts-with(@href, '$base/web/#/statement/giamsat/')])]"
  [ "$(xp "count($bad)")" = 0 ] || fail "$path: an entry lacks a required element"
}
atom_ok "/feeds/unit/$C.atom" "$size" "/web/#/unit/$C"
atom_ok "/feeds/commitment/$C/$i_commit.atom" 8 "/web/#/commitment/$C/$i_commit"
# The newest entry links to its statement page; the feedback's text comes
# back intact from the escaping.
[ "$(xp "string(//*[local-name()='entry'][1]/*[local-name()='link']/@href)")" = \
  "$base/web/#/statement/$C/$i_outcome" ] || fail "commitment feed: the first entry is not the outcome"
xp "string(//*[local-name()='entry'][3]/*[local-name()='content'])" >"$work/content"
grep -qF "$(printf '%s' "$NASTY" | head -1)" "$work/content" || fail "the feedback's text did not survive: $(cat "$work/content")"
grep -qF ']]> </feed> <!-- x -->' "$work/content" || fail "the feedback's last line did not survive"
[ "$(xp "string(//*[local-name()='entry'][1]/*[local-name()='title'])")" = "Kết quả: outcome 90 of 100 km on C-12" ] ||
  fail "Vietnamese titles by default: $(xp "string(//*[local-name()='entry'][1]/*[local-name()='title'])")"
atom_ok "/feeds/person/$(url_key cit).atom" 2 "/web/#/person/$(url_key cit)"
get "/feeds/commitment/$C/$i_commit.atom?lang=en"
[ "$(xp "string(//*[local-name()='entry'][1]/*[local-name()='title'])")" = "Outcome: outcome 90 of 100 km on C-12" ] ||
  fail "?lang=en: English titles"
# Links follow the Host asked, and only when it looks like a host name.
self_link() {
  curl -sf -H "Host: $1" "$base/feeds/unit/$C.atom" >"$work/out" || fail "Host $1: no feed"
  xp "string(/*/*[local-name()='link' and @rel='self']/@href)"
}
[ "$(self_link news.example:8443)" = "http://news.example:8443/feeds/unit/$C.atom" ] ||
  fail "Host news.example:8443: self link $(self_link news.example:8443)"
[ "$(self_link 'x"><script>')" = "http://localhost/feeds/unit/$C.atom" ] ||
  fail "a hostile Host reached the links: $(self_link 'x"><script>')"
pass "Atom: well-formed, every required element, links to the statement pages"

# ---- trust.txt and report.json say what `giamsat audit` says
get /data/trust.txt
ctype "text/plain; charset=utf-8"
cp "$work/out" "$work/trust.policy"
grep -qxF "log $c_vkey" "$work/trust.policy" || fail "trust.txt lacks the commune's log line"
grep -qxF "log $p_vkey" "$work/trust.policy" || fail "trust.txt lacks the province's log line"
grep -qxF "log $z_vkey" "$work/trust.policy" || fail "trust.txt lacks the central unit's log line"
grep -qxF "witness tinh $hub_cosigner" "$work/trust.policy" || fail "trust.txt lacks the hub as witness"
grep -qxF "quorum tinh" "$work/trust.policy" || fail "trust.txt lacks the quorum"
expect 0 "giamsat audit with the hub's trust.txt" -- "$gs" audit --connect "$hub_ep" \
  --trust "$work/trust.policy" --json
cp "$work/out" "$work/audit.json"
get /data/report.json
ctype "application/json"
jq -e '.verified == true' "$work/out" >/dev/null || fail "report.json is not verified"
[ "$(jq -c '[.logs[] | {origin, status}]' "$work/out")" = "$(jq -c '[.logs[] | {origin, status}]' "$work/audit.json")" ] ||
  fail "report.json and giamsat audit disagree on the logs"
[ "$(jq -c '[.people[] | .name] | sort' "$work/out")" = "$(jq -c '[.people[] | .name] | sort' "$work/audit.json")" ] ||
  fail "report.json and giamsat audit disagree on the people"
pass "trust.txt works with giamsat audit; report.json agrees with it"

# ---- what is not there
get "/data/events/unit/giamsat/commune/nope.json" 404
get "/data/events/commitment/$C/$i_progress.json" 404
get "/data/events/person/$(printf 'A%.0s' $(seq 43)).json" 404
get "/data/events/person/short.json" 404
get "/data/events/planet/x.json" 404
get "/data/events/unit/$C" 404
get "/data/nothing.json" 404
get "/feeds/unit/giamsat/commune/nope.atom" 404
get "/feeds/unit/..%2F..%2Fetc.atom" 404
get "/feeds/commitment/$C/01.atom" 404
get "/feeds/commitment/$C/99999999999999999999.atom" 404
get "/feeds/person/$(url_key head).json" 404
pass "unknown or malformed subjects: 404"

# ---- a new statement reaches the data at the next build (the rendered
# feeds of the last build are not served any more)
get "/feeds/unit/$C.atom"
st cit feedback --text "thank you" --rating 5 --issued-at 2026-12-01T02:00:00Z
i_thanks=$(json .index)
has_thanks() {
  curl -sf "$base/data/events/unit/$C.json" | jq -e --argjson i "$i_thanks" '[.events[].index] | index($i) != null'
}
wait_until 180 "the new feedback in the unit's events" has_thanks
get "/feeds/unit/$C.atom"
[ "$(xp "count(//*[local-name()='entry'])")" = $((size + 1)) ] || fail "the unit's feed did not grow"
pass "a new statement is in the events and the feed after the next build"

# ---- a clean stop: the data thread joins, nothing leaks (ASan builds)
kill -TERM "$hub_pid"
set +e
wait "$hub_pid"
rc=$?
set -e
pids=("${pids[0]}" "${pids[1]}" "${pids[2]}")
[ "$rc" -eq 0 ] || fail "the hub stopped with exit $rc"
if grep -q "Sanitizer" "$work/hub/hub.log"; then
  fail "the hub's log shows a sanitizer report"
fi
pass "the hub stops cleanly with its data thread"

echo "it_http_feeds: ok"
