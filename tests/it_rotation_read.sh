#!/usr/bin/env bash
# it_rotation_read.sh — readers that do not replay everything follow a log's
# key across a rotation of its log key (issue 12, D2/D3), given only the
# ORIGINAL key (the Charter's signer):
#   - `giamsat checkpoint`, `proof inclusion`, `proof consistency` (from a
#     checkpoint saved before the rotation) and `entries` verify a checkpoint
#     signed by the new key, through GetKeyChain;
#   - `export` writes the rotation into the bundle (log_key_chain) and
#     `verify` with a trust file naming the original key accepts it, for an
#     entry before the rotation and for an act of the new log key after it;
#   - `audit` with that trust file verifies across the rotation, and so does
#     `monitor --once`, with no evidence;
#   - a bundle whose chain was left out, whose link was altered or moved to
#     another index, or whose checkpoint was re-signed by the retired key
#     above the rotation, is refused.
#
# usage: it_rotation_read.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
tool=$build/tests/gs_tool
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-rotation-read-XXXXXX")
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

origin=giamsat/commune/xa-binh-an
node_ep=ipc://$work/node/node.sock
export GIAMSAT_CONNECT=$node_ep
conf=$work/node/node.conf

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-binh-an \
  --name "Xa Binh An" --listen "$node_ep"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$conf"
"$gs" key new --out "$work/citizen.key" >/dev/null
"$gs" key new --out "$work/log2.key" >/dev/null
vkey() { "$gs" key show "$1" --name "$origin"; }
original=$(vkey "$work/node/node.key")
log2=$(vkey "$work/log2.key")
printf 'log %s\nquorum none\n' "$original" >"$work/trust.policy"

"$node_bin" --config "$conf" 2>>"$work/node/node.log" &
node_pid=$!
wait_until 120 "the node serves" "$gs" checkpoint
for t in one two three; do
  expect 0 "a feedback ($t)" -- "$gs" feedback --key "$work/citizen.key" --text "$t"
done
size_of() { "$gs" checkpoint --log-key "$1" 2>/dev/null | sed -n 2p; }
wait_until 120 "a checkpoint of the 4 entries" test "$(size_of "$original")" = 4
"$gs" checkpoint >"$work/before.note"
expect 0 "a bundle of entry 1 before the rotation" -- \
  "$gs" export --index 1 --out "$work/before.bundle" --json
test "$(jq .log_key_rotations "$work/out")" = 0 || fail "a chain in a bundle before any rotation"

# ---- the rotation (the node's side is it_node_rotation's)
sed -i "/^\[node\]$/a signing_key = $work/log2.key" "$conf"
expect 0 "the log key rotates" -- \
  "$gs" rotate-key --key "$work/node/node.key" --new-key "$work/log2.key" --json
rot=$(jq .index "$work/out")
expect 0 "an act of the new log key (a parameter change)" -- \
  "$gs" parameters --key "$work/log2.key" --feedback-per-day 5 --json
act=$(jq .index "$work/out")
expect 0 "a feedback after the rotation" -- "$gs" feedback --key "$work/citizen.key" --text four
size=$((act + 2))
wait_until 120 "the node signs size $size with the new key" test "$(size_of "$log2")" = "$size"
pass "the rotation is entry $rot; the new key signs size $size"

# ---- light readers, given the original key (or nothing: the Charter's signer)
expect 0 "checkpoint --log-key ORIGINAL verifies a note by the new key" -- \
  "$gs" checkpoint --log-key "$original"
test "$(sed -n 2p "$work/out")" = "$size" || fail "checkpoint: size $(sed -n 2p "$work/out")"
expect 0 "checkpoint with no key (the Charter's signer) verifies it too" -- "$gs" checkpoint
expect 0 "proof inclusion verifies against it" -- \
  "$gs" proof inclusion --index 2 --log-key "$original" --json
test "$(jq .size "$work/out")" = "$size" || fail "proof: size $(jq .size "$work/out")"
expect 0 "proof consistency from the checkpoint saved before the rotation" -- \
  "$gs" proof consistency --old 4 --old-checkpoint "$work/before.note" --log-key "$original" --json
expect 0 "entries verify" -- "$gs" entries --log-key "$original" --json

# ---- bundles
expect 0 "export after the rotation carries the chain" -- \
  "$gs" export --index "$act" --out "$work/after.bundle" --json
test "$(jq .log_key_rotations "$work/out")" = 1 || fail "export: $(cat "$work/out")"
expect 0 "verify (trust file: the original key) accepts the act of the new key" -- \
  "$gs" verify "$work/after.bundle" --trust "$work/trust.policy" --json
test "$(jq -r .verified "$work/out")" = true || fail "verify: $(cat "$work/out")"
expect 0 "export of an entry before the rotation, after it" -- \
  "$gs" export --index 1 --out "$work/old-entry.bundle"
expect 0 "verify accepts it" -- "$gs" verify "$work/old-entry.bundle" --trust "$work/trust.policy"
expect 0 "the bundle made before the rotation still verifies" -- \
  "$gs" verify "$work/before.bundle" --trust "$work/trust.policy"

# edit FILE OUT WHAT: rewrites a bundle's top-level fields (proto Bundle):
# drop-chain leaves log_key_chain (9) out; alter-link flips a byte of the
# link's entry; move-link names another index; old-key replaces the
# checkpoint (5) with the same size and root signed by the retired key.
cat >"$work/edit.py" <<'EOF'
import subprocess, sys, base64
src, out, what = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
def enc(v):
    o = bytearray()
    while True:
        c = v & 0x7f; v >>= 7
        o.append(c | (0x80 if v else 0))
        if not v: return bytes(o)
def fields(b):
    i, f = 0, []
    while i < len(b):
        k, i = varint(b, i)
        if k & 7 == 0:
            v, i = varint(b, i); f.append((k >> 3, 0, v))
        else:
            n, i = varint(b, i); f.append((k >> 3, 2, b[i:i + n])); i += n
    return f
def pack(f):
    o = bytearray()
    for num, wt, v in f:
        o += enc(num << 3 | wt)
        o += enc(v) if wt == 0 else enc(len(v)) + v
    return bytes(o)
top = fields(data)
if not any(n == 9 for n, _, _ in top):
    sys.exit('the bundle carries no key chain')
res = []
for num, wt, v in top:
    if num == 9 and what == 'drop-chain':
        continue
    if num == 9 and what in ('alter-link', 'move-link'):
        link = []
        for n2, w2, v2 in fields(v):
            if n2 == 2 and what == 'alter-link':
                v2 = v2[:-5] + bytes([v2[-5] ^ 1]) + v2[-4:]
            if n2 == 1 and what == 'move-link':
                v2 = v2 - 1
            link.append((n2, w2, v2))
        v = pack(link)
    if num == 5 and what == 'old-key':
        body = v.decode().split('\n\n')[0].split('\n')
        note = subprocess.run([sys.argv[4], 'note', sys.argv[5], body[0], body[1], body[2]],
                              check=True, capture_output=True).stdout
        v = note
    res.append((num, wt, v))
open(out, 'wb').write(pack(res))
EOF
refused() {
  python3 "$work/edit.py" "$work/after.bundle" "$work/bad.bundle" "$1" "$tool" \
    "$work/node/node.key" || fail "editing the bundle ($1)"
  expect 1 "verify refuses a bundle: $2" -- "$gs" verify "$work/bad.bundle" --trust "$work/trust.policy"
  said "$3"
}
refused drop-chain "its key chain left out" "is signed by a key"
refused alter-link "its link altered" "key chain"
refused move-link "its link at another index" "key chain"
refused old-key "its checkpoint re-signed by the retired key above the rotation" \
  "is signed by the retired log key"

# ---- readers of every entry
expect 0 "audit with the original key verifies across the rotation" -- \
  "$gs" audit --trust "$work/trust.policy" --json
python3 - "$work/out" "$origin" "$size" <<'EOF' || fail "audit: $(head -c 2000 "$work/out")"
import json, sys
a = json.load(open(sys.argv[1]))
logs = [l for l in a['logs'] if l['origin'] == sys.argv[2]]
assert len(logs) == 1, a['logs']
l = logs[0]
assert l['status'] == 'verified', l
assert l['failures'] == [] and l['evidence'] == [], l
assert l['checkpoint']['size'] == int(sys.argv[3]), l
assert l['entries_replayed'] == int(sys.argv[3]), l
assert not a.get('evidence'), a.get('evidence')
EOF
pass "the audit reads every entry up to size $size, no failure, no evidence"
expect 0 "monitor --once with the original key sees the new key's checkpoint, no evidence" -- \
  "$gs" monitor --trust "$work/trust.policy" --connect "$node_ep" --db "$work/monitor.db" --once
grep -qF "checkpoint $origin size $size" "$work/out" || fail "monitor: $(cat "$work/out" "$work/err")"
ls "$work"/*.evidence >/dev/null 2>&1 && fail "the monitor wrote evidence"
pass "the monitor wrote no evidence"

kill "$node_pid"
wait "$node_pid" || fail "the node did not stop cleanly"
node_pid=
grep -qF "ERROR" "$work/node/node.log" && fail "the node logged an error: $(grep ERROR "$work/node/node.log")"
pass "the node logged no error"
echo "all rotation read checks passed"
