#!/usr/bin/env bash
# it_node_rotation.sh — the node's side of a rotation of its log key (issue
# 12, D1): `key` of node.conf stays the node's transport identity, and the
# node signs its log with the log key in force, held in `signing_key` lines.
#   - a KeyRotation of the log key whose new secret the node does not hold is
#     refused at the door, saying to add `signing_key = FILE` first, and the
#     node goes on as before;
#   - with the line added (no restart: node.conf is read again then), the
#     rotation is accepted; every checkpoint the node signs of a size above
#     the rotation's index is signed by the new key, none by the retired one
#     (read from its database), and receipts still verify against `key`;
#   - the retired key signs nothing any more (key-rotated);
#   - the node restarts and signs with the new key; without the line it
#     refuses to start, naming the key it needs and the rotation's index;
#     with a wrong passphrase for it, it says so;
#   - a second rotation, signed by the new key, moves it again;
#   - `giamsat node rotate-key` adds the line to [node] and rotates in one
#     step, and leaves node.conf as it was when the node refuses.
#
# usage: it_node_rotation.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-node-rotation-XXXXXX")
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/node/node.log" ] && { echo "== node.log" >&2; tail -20 "$work/node/node.log" >&2; }
  exit 1
}
pass() { echo "ok   $*"; }
said() { grep -qF -- "$1" "$work/err" || fail "expected \"$1\" in: $(cat "$work/err")"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
until_true() {
  local secs=$1 what=$2
  shift 3
  wait_until "$secs" "$what" "$@"
  pass "$what"
}

origin=giamsat/commune/xa-an-binh
node_ep=ipc://$work/node/node.sock
export GIAMSAT_CONNECT=$node_ep
conf=$work/node/node.conf

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$conf"
# a tcp:// endpoint too, for node rotate-key over CURVE (a port free now)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "/^listen = ipc/a listen = tcp://127.0.0.1:$port" "$conf"
"$gs" key new --out "$work/citizen.key" >/dev/null
"$gs" key new --out "$work/log2.key" >/dev/null
(umask 077 && printf 'correct horse\n' >"$work/log3.pass")
"$gs" key new --out "$work/log3.key" --passphrase-file "$work/log3.pass" >/dev/null
vkey() { "$gs" key show "$1" --name "$origin"; }
original_vkey=$(vkey "$work/node/node.key")
log2_vkey=$(vkey "$work/log2.key")

start_node() {
  "$node_bin" --config "$conf" 2>>"$work/node/node.log" &
  node_pid=$!
}
stop_node() {
  kill "$node_pid"
  wait "$node_pid" || fail "the node did not stop cleanly"
  node_pid=
}
start_node
until_true 120 "the node serves" -- "$gs" checkpoint --connect "$node_ep"
expect 0 "a feedback" -- "$gs" feedback --key "$work/citizen.key" --text "one"

# ---- refused at the door while the node does not hold the new secret
expect 1 "a rotation of the log key to a key the node does not hold is refused" -- \
  "$gs" rotate-key --key "$work/node/node.key" --new-key "$work/log2.key"
said "this node holds no secret for it"
said "add \`signing_key = FILE\` naming the new key's file to [node] of $conf first"
grep -qF "refused a rotation of the log key" "$work/node/node.log" ||
  fail "the node did not log the refusal"
expect 0 "the node goes on with its key" -- "$gs" feedback --key "$work/citizen.key" --text "two"

# ---- accepted once node.conf names the new key (read again: no restart)
sed -i "/^\[node\]$/a signing_key = $work/log2.key" "$conf"
expect 0 "the rotation is accepted once node.conf names the new key" -- \
  "$gs" rotate-key --key "$work/node/node.key" --new-key "$work/log2.key" --json
rot=$(jq '.index' "$work/out")
pass "the rotation is entry $rot"
expect 0 "a feedback after the rotation (its receipt verifies against key)" -- \
  "$gs" feedback --key "$work/citizen.key" --text "three"
size=$((rot + 2))

# signed_by_only SIZE_ABOVE VKEY: every checkpoint of the node's database of a
# size above SIZE_ABOVE carries exactly one signature by the log, and it is
# VKEY's (its key hash; the signature itself is checked by `checkpoint`).
signed_by_only() {
  python3 - "$work/node/node.db" "$origin" "$1" "$2" <<'EOF'
import base64, sqlite3, sys
db, origin, above, vkey = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
want = bytes.fromhex(vkey.split('+')[1])
con = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
rows = con.execute('select size, note from checkpoints where size > ?', (above,)).fetchall()
if not rows:
    sys.exit('no checkpoint above %d' % above)
for size, note in rows:
    note = bytes(note).decode()
    sigs = [l.split(' ')[2] for l in note.split('\n') if l.startswith('\u2014 %s ' % origin)]
    hashes = [base64.b64decode(s)[:4] for s in sigs]
    if hashes != [want]:
        sys.exit('checkpoint %d is signed by %s, not %s' % (size, [h.hex() for h in hashes], want.hex()))
print(len(rows))
EOF
}
node_note_size() { "$gs" checkpoint --connect "$node_ep" --log-key "$1" | sed -n 2p; }
# node_signs VKEY SIZE: the node serves a checkpoint of SIZE that VKEY signed
# (read at each poll of wait_until).
node_signs() { [ "$(node_note_size "$1")" = "$2" ]; }
until_true 120 "the node signs size $size with the new key" -- node_signs "$log2_vkey" "$size"
signed_by_only "$rot" "$log2_vkey" >"$work/out" 2>"$work/err" ||
  fail "a checkpoint above the rotation: $(cat "$work/err")"
pass "every checkpoint above entry $rot ($(cat "$work/out")) is signed by the new key alone"
grep -qF "the log key of $origin is now key" "$work/node/node.log" || fail "the switch was not logged"
expect 1 "the retired key signs nothing any more" -- \
  "$gs" parameters --key "$work/node/node.key" --feedback-per-day 5
said "key-rotated"

# ---- a restart signs with the new key; without its line, a precise refusal
stop_node
start_node
until_true 120 "the node restarts" -- "$gs" checkpoint --connect "$node_ep" --log-key "$log2_vkey"
expect 0 "a feedback after the restart" -- "$gs" feedback --key "$work/citizen.key" --text "four"
size=$((size + 1))
until_true 120 "the restarted node signs size $size with the new key" -- \
  node_signs "$log2_vkey" "$size"
stop_node
cp "$conf" "$work/node/with-line.conf"
sed -i '/^signing_key = /d' "$conf"
fp=$(python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1])[:8].hex())' \
  "$("$gs" key show "$work/log2.key")")
expect 2 "without its signing_key line the node refuses to start" -- \
  timeout 60 "$node_bin" --config "$conf"
said "the log key of $origin is key $fp"
said "made the log key by the KeyRotation at entry $rot"
said "add \`signing_key = FILE\` naming that key's file to [node] of $conf"
cp "$work/node/with-line.conf" "$conf"

# ---- a second rotation, to a passphrase-protected key
(umask 077 && printf 'wrong\n' >"$work/wrong.pass")
sed -i "/^\[node\]$/a signing_key = $work/log3.key,$work/wrong.pass" "$conf"
start_node
until_true 120 "the node serves again" -- "$gs" checkpoint --connect "$node_ep" --log-key "$log2_vkey"
expect 1 "a rotation to a key whose passphrase file is wrong is refused" -- \
  "$gs" rotate-key --key "$work/log2.key" --new-key "$work/log3.key" \
  --new-passphrase-file "$work/log3.pass"
said "signing_key $work/log3.key"
sed -i "s|^signing_key = $work/log3.key,.*|signing_key = $work/log3.key,$work/log3.pass|" "$conf"
expect 0 "the second rotation, signed by the new key" -- \
  "$gs" rotate-key --key "$work/log2.key" --new-key "$work/log3.key" \
  --new-passphrase-file "$work/log3.pass" --json
rot2=$(jq '.index' "$work/out")
size=$((rot2 + 1))
log3_vkey=$(vkey "$work/log3.key")
until_true 120 "the node signs size $size with the third key" -- \
  node_signs "$log3_vkey" "$size"
signed_by_only "$rot2" "$log3_vkey" >"$work/out" 2>"$work/err" ||
  fail "a checkpoint above the second rotation: $(cat "$work/err")"
pass "every checkpoint above entry $rot2 is signed by the third key alone"
signed_by_only "$rot" "$log2_vkey" >/dev/null 2>&1 &&
  fail "the check of signers cannot fail (it passed for the wrong key)"
pass "the check of signers tells keys apart"

# ---- the operator's command: node.conf and the rotation in one step
"$gs" key new --out "$work/log4.key" >/dev/null
cp "$conf" "$work/node/before.conf"
expect 1 "node rotate-key to a key that signed in this log is refused, node.conf kept" -- \
  "$gs" node rotate-key --config "$conf" --new-key "$work/citizen.key"
said "key-in-use"
cmp -s "$conf" "$work/node/before.conf" || fail "a refused rotation changed node.conf"
expect 2 "node rotate-key without --new-key is a usage error" -- \
  "$gs" node rotate-key --config "$conf"
expect 0 "node rotate-key moves the log key to a fourth key (over tcp://, CURVE)" -- \
  "$gs" node rotate-key --config "$conf" --new-key "$work/log4.key" --json \
  --connect "tcp://127.0.0.1:$port"
rot3=$(jq '.index' "$work/out")
jq -e --arg o "$origin" --arg nk "$("$gs" key show "$work/log4.key")" \
  --arg ok "$("$gs" key show "$work/log3.key")" --argjson i "$rot3" '
  .origin == $o and .new_key == $nk and .old_key == $ok and .index == $i and
  .checkpoint_size > $i and (.new_key_fingerprint | length) == 16' "$work/out" >/dev/null ||
  fail "node rotate-key --json: $(cat "$work/out")"
pass "node rotate-key says the index, both keys and a checkpoint above the rotation"
log4_vkey=$(vkey "$work/log4.key")
[ "$(awk '/^\[/{s=$0} /^signing_key = /{print s}' "$conf" | sort -u)" = "[node]" ] ||
  fail "a signing_key line outside [node]: $(cat "$conf")"
grep -qxF "signing_key = $work/log4.key" "$conf" || fail "node.conf: $(cat "$conf")"
pass "node.conf names the fourth key in its [node] section"
signed_by_only "$rot3" "$log4_vkey" >"$work/out" 2>"$work/err" ||
  fail "a checkpoint above the third rotation: $(cat "$work/err")"
pass "every checkpoint above entry $rot3 is signed by the fourth key alone"
stop_node
start_node
until_true 120 "the node restarts on the fourth key" -- \
  "$gs" checkpoint --connect "$node_ep" --log-key "$log4_vkey"
stop_node
grep -qF "ERROR" "$work/node/node.log" && fail "the node logged an error: $(grep ERROR "$work/node/node.log")"
pass "the node logged no error"

echo "all node rotation checks passed"
