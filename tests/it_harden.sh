#!/usr/bin/env bash
# it_harden.sh — the smaller attacks of issue 9, with real processes:
#   - a second daemon on a data folder in use exits at once, naming the folder
#     and the pid holding it, and the first one keeps serving;
#   - `--out F` never follows a symbolic link planted at F or at F.tmp;
#   - a key file whose KDF line was raised to 4 GiB is refused before the KDF
#     runs; a passphrase file readable by others is refused like a key file.
#
# usage: it_harden.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-harden-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks \"$1\": $(cat "$work/err")"; }

ipc=ipc://$work/node/node.sock

# ---- one daemon per data folder
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$ipc"
"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
pids+=("$node_pid")
wait_until 120 "the node answers" "$gs" checkpoint --connect "$ipc"
# The second one exits by itself (no timeout needed: it must not start).
expect 2 "a second node on the same folder exits" -- "$node_bin" --config "$work/node/node.conf"
err_has "data folder $work/node is in use: pid $node_pid holds $work/node/node.db.lock"
expect 0 "the first node still answers on its socket" -- "$gs" checkpoint --connect "$ipc"
kill -0 "$node_pid" || fail "the first node died"

expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name hub-a
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub.log" &
hub_pid=$!
pids+=("$hub_pid")
wait_until 120 "the hub answers" "$gs" checkpoint --connect "ipc://$work/hub/hub.sock"
expect 2 "a second hub on the same folder exits" -- "$hub_bin" --config "$work/hub/hub.conf"
err_has "data folder $work/hub is in use: pid $hub_pid holds $work/hub/hub.db.lock"
expect 0 "the first hub still answers" -- "$gs" checkpoint --connect "ipc://$work/hub/hub.sock"

# ---- --out never follows a planted link
echo precious >"$work/victim-a"
echo precious >"$work/victim-b"
ln -s "$work/victim-a" "$work/charter.bundle.tmp" # the name the old code wrote to
ln -s "$work/victim-b" "$work/charter.bundle"
expect 0 "export --out over planted links" -- "$gs" export --connect "$ipc" --index 0 \
  --out "$work/charter.bundle"
[ "$(cat "$work/victim-a")" = precious ] || fail "export wrote through the link at F.tmp"
[ "$(cat "$work/victim-b")" = precious ] || fail "export wrote through the link at F"
[ -f "$work/charter.bundle" ] && [ ! -L "$work/charter.bundle" ] || fail "the bundle is not a file"
[ -L "$work/charter.bundle.tmp" ] || fail "the planted link was touched"
[ -z "$(find "$work" -maxdepth 1 -name 'charter.bundle.*.tmp')" ] || fail "a temporary was left"
pass "the links were left alone and the bundle replaced the link at F"

# ---- key files and passphrase files
printf 'correct horse\n' >"$work/pass"
chmod 600 "$work/pass"
expect 0 "key new with a passphrase" -- "$gs" key new --out "$work/p.key" --passphrase-file "$work/pass"
grep -q '^kdf argon2id13 2 67108864 ' "$work/p.key" || fail "unexpected KDF line: $(sed -n 2p "$work/p.key")"
vk=$("$gs" key show "$work/p.key")
expect 0 "feedback signed with the protected key" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "the road is paved"

sed -i 's/^kdf argon2id13 2 67108864 /kdf argon2id13 2 4294967296 /' "$work/p.key"
expect 2 "a KDF line raised to 4 GiB is refused" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "again"
err_has "memlimit"
err_has "refusing to allocate it"
sed -i 's/^kdf argon2id13 2 4294967296 /kdf argon2id13 64 67108864 /' "$work/p.key"
expect 2 "a KDF line raised to 64 passes is refused" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "again"
err_has "opslimit"
sed -i 's/^kdf argon2id13 64 67108864 /kdf argon2id13 2 67108864 /' "$work/p.key"
[ "$("$gs" key show "$work/p.key")" = "$vk" ] || fail "the restored key file changed"

chmod 644 "$work/pass"
expect 2 "a passphrase file readable by others is refused" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "again"
err_has "passphrase file $work/pass is readable by others; chmod 600 it"
chmod 600 "$work/pass"
expect 0 "the same passphrase file, chmod 600, is accepted" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "again, later"

# ---- names with bidi controls: refused at submission
expect 1 "feedback with a right-to-left override is refused" -- "$gs" feedback --connect "$ipc" \
  --key "$work/p.key" --passphrase-file "$work/pass" --text "$(printf 'paid \u202e0001 dong')"
err_has "U+202E"
err_has "malformed"
