#!/usr/bin/env bash
# it_web.sh — the hub's web view verifies statements in headless Chromium
# (issue 11, part 2; tests/browser/check_web.js drives Debian's chromium with
# playwright-core from tests/browser).
#
#   1. One node (a Charter, 140 citizens' feedback appended on disk, two
#      appointments, a commitment, a progress report) and one hub that
#      follows and cosigns it. The pages verify against the policy the hub
#      suggests (/data/trust.txt: both logs, the hub as witness, quorum the
#      hub).
#   2. The hub (http = …) serves the files of web/ compiled into it, as
#      written, with their content types: / and /web redirect to /web/,
#      /web/ is index.html, anything else under /web/ is 404; and the pages'
#      data (/data/…) and the log's tiles.
#   3. check_web.js full: the pages (units by tier, people, a scorecard, the
#      unit, the commitment, the trust page) in Vietnamese and English; the
#      commitment's statement page says "verified by 1 of 1 witnesses"
#      (#verdict data-verdict="verified" data-witnesses="1" data-of="1"),
#      with every step passed; the same page with one byte of the entry
#      bundle altered on its way (a Playwright route) says NOT verified,
#      reason inclusion; a policy pasted on the trust page whose only
#      witness never cosigned says NOT verified, reason quorum; back to the
#      hub's policy, verified.
#   4. A hub whose stored copy of an entry was altered on disk, leaf hash
#      included, so its tiles serve the altered bytes (gs_tool alter-entry
#      --fix-leaf; the hub stopped and started again; the bundle it serves
#      differs from before): the statement page says NOT verified, reason
#      inclusion.
# Screenshots of every page in BUILD_DIR/web/.
#
# usage: it_web.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
browser=$top/tests/browser
out=$build/web
chromium=${CHROMIUM:-/usr/bin/chromium}
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-web-XXXXXX")
node_pid=
hub_pid=
cleanup() {
  for p in "$node_pid" "$hub_pid"; do
    [ -n "$p" ] || continue
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node.log" "$work/hub.log"; do
    [ -f "$f" ] && { echo "---- $(basename "$f")" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
json() { jq -r "$1" "$work/out"; }

[ -x "$chromium" ] || fail "no Chromium at $chromium: tests/run.sh installs Debian's chromium"
command -v node >/dev/null || fail "no node: tests/run.sh installs nodejs and npm"
[ -d "$browser/node_modules/playwright-core" ] ||
  fail "tests/browser/node_modules is missing: run 'npm ci --prefix tests/browser' (tests/run.sh does)"
rm -rf "$out"
mkdir -p "$out"


origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock

# ------------------------------------------------------------ 1. the network

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xã An Bình" --listen "$node_ep"
# A port free now (the system's choice), for the hub's configuration.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close(); });')
hub_base=http://127.0.0.1:$port
expect 0 "hub init --http" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep" \
  --http "127.0.0.1:$port"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin")
hub_cos=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin" --cosigner)

# A policy with the same logs whose one witness (a press key) never cosigned.
"$gs" key new --out "$work/press.key" >/dev/null
printf 'log %s\nlog %s\nwitness press %s\nquorum press\n' "$node_vkey" "$hub_vkey" \
  "$("$gs" key show "$work/press.key" --name press.example/witness --cosigner)" >"$work/press.policy"

# 140 citizens' feedback before anything else (one transaction on disk), so
# the entry altered in part 4 lies more than 128 entries below the end,
# where the store's check at open does not look (tests/it_network.sh).
filler=$(printf 'x%.0s' $(seq 160))
"$tool" append-feedbacks "$work/node/node.db" "$origin" 140 "gop-y-$filler" >/dev/null ||
  fail "gs_tool append-feedbacks"
"$tool" sign-checkpoint "$work/node/node.db" "$origin" "$work/node/node.key" >/dev/null ||
  fail "gs_tool sign-checkpoint"
altered=5

sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/' "$work/node/node.conf"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/' "$work/hub/hub.conf"
expect 0 "the hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
printf '\n[witness]\nwitness = %s,%s\n' "$hub_ep" "$hub_cos" >>"$work/node/node.conf"
start_hub() {
  "$hub_bin" --config "$work/hub/hub.conf" 2>>"$work/hub.log" &
  hub_pid=$!
  wait_until 120 "the hub answers" "$gs" checkpoint --connect "$hub_ep" --timeout 500
}
"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
start_hub
wait_until 120 "the node answers" "$gs" checkpoint --connect "$node_ep" --timeout 500

export GIAMSAT_CONNECT=$node_ep
"$gs" key new --out "$work/head.key" >/dev/null
"$gs" key new --out "$work/officer.key" >/dev/null
expect 0 "the node key appoints the head" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$("$gs" key show "$work/head.key")" --name "Nguyễn Văn An" --role head --title "Chủ tịch"
expect 0 "the head appoints an officer" -- "$gs" appoint --key "$work/head.key" \
  --person "$("$gs" key show "$work/officer.key")" --name "Trần Thị Bình" --role officer
expect 0 "the officer commits" -- "$gs" commit --key "$work/officer.key" --id road \
  --title "Trải nhựa đường liên xã" --indicator paved --unit-of-measure km --target 12 \
  --direction at-least --deadline 2030-12-31 --json
commitment=$(json .index)
expect 0 "the officer reports progress" -- "$gs" progress --key "$work/officer.key" \
  --id road --value 4.5 --note "Đoạn 1 xong" --json
size=$(($(json .index) + 1))
unset GIAMSAT_CONNECT

cosigned_by_hub() {
  "$gs" checkpoint --connect "$hub_ep" --origin "$origin" --timeout 2000 >"$work/cp" || return 1
  [ "$(sed -n 2p "$work/cp")" -ge "$size" ] && grep -q "^— $hub_origin " "$work/cp"
}
wait_until 120 "the hub cosigned $origin at size $size" cosigned_by_hub
pass "the hub cosigned the node's log at size $size"

# ------------------------------------------------------------ 2. the web view over HTTP

# The files, compiled into the hub, served as written with their types.
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$hub_base/")
[ "$code" = "302 $hub_base/web/" ] || fail "/ answers $code, not a redirect to /web/"
for f in index.html:text/html app.js:text/javascript verify.js:text/javascript style.css:text/css; do
  name=${f%%:*}
  got=$(curl -s -o "$work/served-$name" -w '%{http_code} %{content_type}' "$hub_base/web/$name")
  [ "$got" = "200 ${f#*:}; charset=utf-8" ] || fail "/web/$name answers $got"
  cmp -s "$work/served-$name" "$top/web/$name" || fail "/web/$name differs from web/$name"
done
curl -s "$hub_base/web/" | cmp -s - "$top/web/index.html" || fail "/web/ is not index.html"
for p in /web/nope.js /web/../hub.conf /web/a/app.js /web/%61pp.js; do
  got=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$hub_base$p")
  [ "$got" = 404 ] || fail "$p answers $got, not 404"
done
pass "the hub serves web/ as written: / and /web redirect, content types, 404 for anything else"

base=$hub_base
wait_until 120 "the hub's web data covers the node's log" \
  sh -c "curl -sf '$base/data/report.json' | jq -e '.units | length > 0'"
cpsize=$(curl -sf "$base/$origin/checkpoint" | sed -n 2p)
[ "$cpsize" -ge "$size" ] || fail "the hub's tiles serve $origin at size '$cpsize'"
bundle=$origin/tile/entries/000.p/$cpsize
curl -sf "$base/$bundle" -o "$work/bundle-before" || fail "the hub does not serve $bundle"
pass "the hub serves the web view, its data and tiles at $base"
if grep -Eqi 'https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(' "$top"/web/*.html "$top"/web/*.css; then
  fail "a web file refers to something outside the hub"
fi

# ------------------------------------------------------------ 3. Chromium

CHROMIUM=$chromium node "$browser/check_web.js" full "$base" "$origin" "$commitment" 1 1 "$out" \
  "$work/press.policy" "$commitment" || fail "the browser check (above)"
pass "Chromium: verified by 1 of 1; an altered bundle and a policy without the hub are NOT verified"

# ------------------------------------------------------------ 4. a hub that serves an altered entry

kill -TERM "$hub_pid"
wait "$hub_pid" 2>/dev/null || true
hub_pid=
"$tool" alter-entry "$work/hub/hub.db" "$origin" $altered --fix-leaf || fail "gs_tool alter-entry"
start_hub
# The hub's tiles serve the stored bytes as they are now (the store checks
# an entry only against its stored leaf hash, which --fix-leaf rewrote).
curl -sf "$base/$bundle" -o "$work/bundle-after" || fail "the restarted hub does not serve $bundle"
cmp -s "$work/bundle-before" "$work/bundle-after" && fail "the hub serves the same bundle after the alteration"
pass "the restarted hub serves the altered entry in $bundle"
CHROMIUM=$chromium node "$browser/check_web.js" tampered "$base" "$origin" $altered "$out" inclusion ||
  fail "the browser check of the altered hub (above)"
pass "Chromium: the entry the hub altered on disk is NOT verified (inclusion)"

echo "it_web: ok (screenshots in $out)"
