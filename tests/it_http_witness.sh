#!/usr/bin/env bash
# it_http_witness.sh — a hub as a c2sp.org/tlog-witness witness over HTTP:
# POST /add-checkpoint (docs/http.md "Witness"), with curl, against a real
# node and a real hub that follows it.
#
#   - the hub cosigned the node at N0 (its first poll); it then polls too
#     rarely to learn more by itself; the node grows to N1;
#   - GET /add-checkpoint: 405;
#   - old size 0 with the node's checkpoint at N1: 409, Content-Type
#     text/x.tlog.size, body "N0\n";
#   - old size N0 with the node's consistency proof: the hub syncs N0..N1
#     from the node (a deferred answer: the sync starts after the request)
#     and answers 200 with one cosignature line that verifies with the hub's
#     cosigner key (gs_tool verify-note with a trust file);
#   - the same request again: 200 with the same line (already cosigned);
#   - a proof that does not verify: 422; old size above the checkpoint's:
#     400; a log the hub does not follow: 404; a checkpoint signed by
#     another key, or the log's line with a spoiled signature: 403;
#   - malformed bodies: 400 each; a body above the tlog-witness bound and
#     one above the server's body limit: 413;
#   - a checkpoint beyond max_growth: 503 (its sync refused while the
#     request was being deferred);
#   - a root for the cosigned size that the node's key signed too (a split
#     view): 422 and evidence; then the log is frozen: 403;
#   - every request that can be said over ZeroMQ too (gs_tool
#     add-checkpoint-body sends what a body says) gets the same verdict
#     there: the matching status name and the same body (the cosignature
#     line, the size, or the sentence);
#   - until the split view, no evidence was recorded against the node.
#
# usage: it_http_witness.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
for c in curl jq; do
  command -v "$c" >/dev/null || { echo "FAIL: $c is not installed" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-http-witness-XXXXXX")
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
    [ -f "$f" ] && { echo "---- $(basename "$f")" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
export GIAMSAT_CONNECT=$node_ep


"$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh --name "Xa An Binh" \
  --listen "$node_ep" >/dev/null || fail "node init"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
pg_hub_database hub
"$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep" --http 127.0.0.1:0 \
  "${hub_database[@]}" >/dev/null || fail "hub init"
# One poll at start, then none within the test: what the hub learns next
# comes from the requests below.
# max_growth 6: the growths below (3, then 2) pass, the one of 7 does not.
sed -i "s/^poll_interval_ms = .*/poll_interval_ms = 3600000/; s/^max_growth = .*/max_growth = 6/" \
  "$work/hub/hub.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
hub_cos=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin" --cosigner)
"$gs" hub follow --config "$work/hub/hub.conf" --origin "$origin" --log-key "$node_vkey" \
  --source "$node_ep" >/dev/null || fail "hub follow"
trust=$work/trust.policy
"$gs" trust new --file "$trust" >/dev/null
"$gs" trust add-log --file "$trust" --key "$node_vkey" >/dev/null
"$gs" trust add-witness --file "$trust" --name tinh --key "$hub_cos" >/dev/null
"$gs" trust quorum --file "$trust" --witness tinh >/dev/null

"$node_bin" --config "$work/node/node.conf" 2>>"$work/node.log" &
node_pid=$!
wait_until 120 "the node serves" "$gs" checkpoint --connect "$node_ep"
# The hub's one poll at start must find the node's checkpoint.
"$hub_bin" --config "$work/hub/hub.conf" 2>>"$work/hub.log" &
hub_pid=$!
# Port 0: the hub picks a free port and says which.
wait_until 120 "the hub serves HTTP" grep -q "HTTP on 127.0.0.1:0 (port [0-9]*)" "$work/hub.log"
port=$(sed -n 's/.*HTTP on 127\.0\.0\.1:0 (port \([0-9]*\)).*/\1/p' "$work/hub.log" | head -n 1)
url=http://127.0.0.1:$port/add-checkpoint
hub_cosigned() { "$gs" checkpoint --connect "$hub_ep" --origin "$origin" >"$work/hub.note"; }
wait_until 120 "the hub cosigns the node at start" hub_cosigned
n0=$(sed -n 2p "$work/hub.note")
pass "the hub cosigned the node at $n0 after its first poll"

k=0
submit() {
  for _ in $(seq "$1"); do
    k=$((k + 1))
    "$gs" key new --out "$work/c$k.key" >/dev/null
    "$gs" feedback --key "$work/c$k.key" --text "feedback $k" >/dev/null 2>"$work/err" ||
      fail "feedback $k refused: $(cat "$work/err")"
  done
}
# node_at SIZE FILE: the node's checkpoint is at SIZE (kept in FILE).
node_at() {
  "$gs" checkpoint --connect "$node_ep" >"$2" 2>/dev/null && [ "$(sed -n 2p "$2")" = "$1" ]
}
submit 3
n1=$((n0 + 3))
wait_until 120 "the node signs size $n1" node_at "$n1" "$work/n1.note"

# post NAME BODYFILE: POST the body; the status in $work/NAME.code, the
# content type in $work/NAME.type, the body in $work/NAME.body.
post() {
  curl -sS -o "$work/$1.body" -w '%{http_code}\n%{content_type}\n' --max-time 120 \
    -H 'Content-Type: text/plain' --data-binary "@$2" "$url" >"$work/$1.meta" ||
    fail "curl $1 failed"
  sed -n 1p "$work/$1.meta" >"$work/$1.code"
  sed -n 2p "$work/$1.meta" >"$work/$1.type"
}
# want NAME CODE WHAT: the response to NAME had status CODE.
want() {
  [ "$(cat "$work/$1.code")" = "$2" ] ||
    fail "$3: HTTP $(cat "$work/$1.code"), want $2; body: $(head -c 2000 "$work/$1.body")"
  pass "$3: $2"
}
# same_over_zmq NAME BODYFILE STATUS: the same request over ZeroMQ is
# answered STATUS with the same body.
same_over_zmq() {
  set +e
  "$tool" add-checkpoint-body "$hub_ep" - "$2" >"$work/$1.zmq" 2>"$work/err"
  set -e
  [ "$(sed -n 1p "$work/$1.zmq")" = "$3" ] ||
    fail "$1 over ZeroMQ: $(cat "$work/$1.zmq") $(cat "$work/err"), want $3"
  tail -n +2 "$work/$1.zmq" | cmp -s - "$work/$1.body" ||
    fail "$1: ZeroMQ said \"$(tail -n +2 "$work/$1.zmq")\", HTTP \"$(cat "$work/$1.body")\""
  pass "$1 over ZeroMQ: $3 with the same body"
}

# ------------------------------------------------------------ 405

code=$(curl -sS -o /dev/null -D "$work/h405" -w '%{http_code}' "$url")
[ "$code" = 405 ] || fail "GET /add-checkpoint: $code, want 405"
grep -qi '^allow: POST' "$work/h405" || fail "405 without Allow: POST: $(cat "$work/h405")"
pass "GET /add-checkpoint: 405, Allow: POST"

# ------------------------------------------------------------ 409

"$tool" witness-body "$work/node/node.db" 0 "$work/n1.note" >"$work/b409"
post c409 "$work/b409"
want c409 409 "old size 0 while the hub holds $n0"
[ "$(cat "$work/c409.type")" = text/x.tlog.size ] ||
  fail "409 content type: $(cat "$work/c409.type")"
[ "$(cat "$work/c409.body")" = "$n0" ] && [ "$(tail -c 1 "$work/c409.body" | od -An -c | tr -d ' ')" = '\n' ] ||
  fail "409 body: \"$(cat "$work/c409.body")\", want \"$n0\\n\""
pass "the 409 says $n0 in a text/x.tlog.size body"
same_over_zmq c409 "$work/b409" CONFLICT

# ------------------------------------------------------------ 200, deferred

syncs_before=$(grep -c "sync $origin from $n0 to $n1" "$work/hub.log" || true)
[ "$syncs_before" = 0 ] || fail "the hub synced to $n1 before it was asked"
"$tool" witness-body "$work/node/node.db" "$n0" "$work/n1.note" >"$work/b200"
post c200 "$work/b200"
want c200 200 "old size $n0 with the node's proof to $n1"
grep -q "sync $origin from $n0 to $n1" "$work/hub.log" ||
  fail "the hub answered without syncing $n0..$n1 from the node"
pass "the answer waited for the hub's sync of $n0..$n1 from the node"
[ "$(wc -l <"$work/c200.body")" = 1 ] && grep -q "^— $hub_origin " "$work/c200.body" ||
  fail "200 body is not one cosignature line of $hub_origin: $(cat "$work/c200.body")"
cat "$work/n1.note" "$work/c200.body" >"$work/cosigned.note"
"$tool" verify-note "$work/cosigned.note" "$trust" >"$work/verified" 2>"$work/err" ||
  fail "verify-note: $(cat "$work/err")"
grep -qx "cosigned tinh" "$work/verified" ||
  fail "the line does not verify with the hub's cosigner key: $(cat "$work/verified")"
pass "the cosignature line verifies with the hub's cosigner key"
hub_cosigned
[ "$(sed -n 2p "$work/hub.note")" = "$n1" ] || fail "the hub does not serve $n1 as cosigned"

# The same request again: the checkpoint it cosigned, the same line.
post c200b "$work/b200"
want c200b 200 "the same request again"
cmp -s "$work/c200.body" "$work/c200b.body" || fail "another line the second time"
same_over_zmq c200b "$work/b200" OK

# ------------------------------------------------------------ 422

submit 2
n2=$((n1 + 2))
wait_until 120 "the node signs size $n2" node_at "$n2" "$work/n2.note"
"$tool" witness-body "$work/node/node.db" "$n1" "$work/n2.note" >"$work/good2"
# The last proof line replaced by a zero hash: every proof hash enters the
# new root, so this proof reaches no signed root (a bad proof, never a
# rewrite: nothing is recorded against the node).
{
  sed -n 1p "$work/good2"
  awk 'NR > 1 && $0 == "" { exit } NR > 1 { print }' "$work/good2" | head -n -1
  head -c 32 /dev/zero | base64
  echo
  cat "$work/n2.note"
} >"$work/b422"
post c422 "$work/b422"
want c422 422 "a consistency proof that does not verify"
same_over_zmq c422 "$work/b422" INVALID_ARGUMENT
{
  printf 'old %s\n\n' "$n1"
  cat "$work/n2.note"
} >"$work/b422e"
post c422e "$work/b422e"
want c422e 422 "no proof at all from $n1"

# ------------------------------------------------------------ 400, 404, 403

{
  printf 'old %s\n\n' $((n2 + 1))
  cat "$work/n2.note"
} >"$work/b400"
post c400 "$work/b400"
want c400 400 "old size above the checkpoint's"
same_over_zmq c400 "$work/b400" INVALID_ARGUMENT

"$gs" key new --out "$work/other.key" >/dev/null
root2=$(sed -n 3p "$work/n2.note")
"$tool" note "$work/other.key" giamsat/commune/khong-co 5 "$root2" >"$work/unknown.note"
{
  printf 'old 0\n\n'
  cat "$work/unknown.note"
} >"$work/b404"
post c404 "$work/b404"
want c404 404 "a log the hub does not follow"
same_over_zmq c404 "$work/b404" NOT_FOUND

"$tool" note "$work/other.key" "$origin" "$n2" "$root2" >"$work/forged.note"
{
  printf 'old %s\n\n' "$n1"
  cat "$work/forged.note"
} >"$work/b403"
post c403 "$work/b403"
want c403 403 "the node's origin signed by another key"
same_over_zmq c403 "$work/b403" UNAUTHENTICATED

# The node's own line with its signature spoiled: one base64 character in
# the signature changed (same key name and ID, still canonical base64).
sig=$(grep "^— $origin " "$work/n2.note" | awk '{print $3}')
c=${sig:40:1}
[ "$c" = A ] && c=B || c=A
bad_sig=${sig:0:40}$c${sig:41}
{
  printf 'old %s\n\n' "$n1"
  sed "s|^— $origin .*|— $origin $bad_sig|" "$work/n2.note"
} >"$work/b403b"
post c403b "$work/b403b"
want c403b 403 "the log's line with a signature that does not verify"

# ------------------------------------------------------------ malformed: 400

i=0
malformed() { # WHAT PRINTF_FORMAT [ARGS]: a body that must be refused with 400
  local what=$1
  shift
  i=$((i + 1))
  # shellcheck disable=SC2059
  printf "$@" >"$work/m$i"
  post "m$i" "$work/m$i"
  want "m$i" 400 "malformed: $what"
  [ -s "$work/m$i.body" ] || fail "malformed $what: no sentence in the body"
}
note2=$(cat "$work/n2.note")
malformed "an empty body" ''
malformed "no newline after the old line" 'old %s' "$n1"
malformed "no old line" '\n%s\n' "$note2"
malformed "old size with a leading zero" 'old 0%s\n\n%s\n' "$n1" "$note2"
malformed "old size not a number" 'old x\n\n%s\n' "$note2"
malformed "CRLF lines" 'old %s\r\n\r\n%s\n' "$n1" "$note2"
malformed "no empty line" 'old %s\n%s\n' "$n1" "$note2"
malformed "a proof line that is not base64" 'old %s\nnot-base64\n\n%s\n' "$n1" "$note2"
malformed "a proof line of 16 bytes" 'old %s\n%s\n\n%s\n' "$n1" "$(head -c 16 /dev/zero | base64)" "$note2"
malformed "no checkpoint" 'old %s\n\n' "$n1"
malformed "a checkpoint that is not a signed note" 'old %s\n\nhello\n' "$n1"
malformed "a checkpoint without its newline" 'old %s\n\n%s' "$n1" "$note2"
z=$(head -c 32 /dev/zero | base64)
{
  printf 'old %s\n' "$n1"
  for _ in $(seq 64); do echo "$z"; done
  echo
  cat "$work/n2.note"
} >"$work/b64lines"
post c64 "$work/b64lines"
want c64 400 "malformed: 64 proof lines (the spec allows 63)"

# ------------------------------------------------------------ 413

{
  printf 'old %s\n\n' "$n1"
  head -c 30000 /dev/zero | tr '\0' a
} >"$work/big"
post big "$work/big"
want big 413 "a body above the tlog-witness bound"
head -c 200000 /dev/zero | tr '\0' a >"$work/huge"
post huge "$work/huge"
want huge 413 "a body above the server's body limit"

# ------------------------------------------------------------ still honest, still serving

"$gs" evidence --connect "$hub_ep" --json >"$work/ev" 2>"$work/err" ||
  fail "evidence: $(cat "$work/err")"
[ "$(jq length "$work/ev")" = 0 ] || fail "the hub recorded evidence: $(cat "$work/ev")"
pass "no evidence against the honest node"
"$tool" witness-body "$work/node/node.db" "$n1" "$work/n2.note" >"$work/b200c"
post c200c "$work/b200c"
want c200c 200 "the hub still cosigns $n2 after the refusals"

# ------------------------------------------------------------ 503, answered while deferring

# A checkpoint growing the log by more than max_growth: the request is
# deferred and its sync refused at once, before the handler returned.
submit 7
n3=$((n2 + 7))
wait_until 120 "the node signs size $n3" node_at "$n3" "$work/n3.note"
"$tool" witness-body "$work/node/node.db" "$n2" "$work/n3.note" >"$work/b503"
post c503 "$work/b503"
want c503 503 "a checkpoint adding more than max_growth entries"
grep -q "max_growth" "$work/c503.body" || fail "the 503 does not say why: $(cat "$work/c503.body")"

# ------------------------------------------------------------ a split view, then frozen

# The node's key signs another root for the size the hub cosigned: 422, and
# the hub records the split view (both notes are the log's own word) and
# freezes the log; from then on it refuses the log for good: 403, the same
# over ZeroMQ.
"$tool" note "$work/node/node.key" "$origin" "$n2" "$(sed -n 3p "$work/n1.note")" >"$work/split.note"
{
  printf 'old %s\n\n' "$n2"
  cat "$work/split.note"
} >"$work/bsplit"
post csplit "$work/bsplit"
want csplit 422 "another root signed by the log for size $n2 (a split view)"
"$gs" evidence --connect "$hub_ep" --json >"$work/ev" 2>"$work/err" ||
  fail "evidence: $(cat "$work/err")"
[ "$(jq length "$work/ev")" = 1 ] || fail "the split view is not recorded: $(cat "$work/ev")"
pass "the split view is recorded as evidence"
post cfrozen "$work/b200c"
want cfrozen 403 "a log the hub holds evidence against"
grep -q "holds evidence against $origin" "$work/cfrozen.body" ||
  fail "the 403 does not say why: $(cat "$work/cfrozen.body")"
same_over_zmq cfrozen "$work/b200c" PERMISSION_DENIED
kill -0 "$hub_pid" || fail "the hub died"
pass "POST /add-checkpoint follows c2sp.org/tlog-witness"
