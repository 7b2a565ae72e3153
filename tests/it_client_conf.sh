#!/usr/bin/env bash
# it_client_conf.sh — the client configuration (issue 12, item 5): a person
# writes ~/.config/giamsat/client.conf once and types commands without
# --connect, --server-key or --key.
#
#   1. With only client.conf ([defaults] endpoint and key, an [endpoint NAME]
#      with connect, server_key and origin) and no flag: `checkpoint`,
#      `feedback` (signed with the default key, its receipt checked against
#      the endpoint's server_key), `entries`, `audit`, and `monitor --once`
#      (the default endpoint polled) all work; $XDG_CONFIG_HOME moves the
#      file; --client-config and $GIAMSAT_CLIENT_CONFIG point elsewhere.
#   2. Flags win over the file, and the environment over the file: --key
#      signs with another key, a wrong --server-key fails the receipt check
#      (exit 1), --connect NAME and $GIAMSAT_CONNECT=NAME pick another
#      endpoint (a dead one: exit 2), --connect EP uses that endpoint; an
#      endpoint's protected key signs with its passphrase_file, and a --key
#      given on the command line is not offered the file's passphrase.
#   3. A broken file is a clear error with exit 2, whatever the flags: a line
#      that is not INI, an unknown setting or section, a bad key, a tcp://
#      endpoint without server_key, a [defaults] endpoint naming nothing, an
#      unknown --connect NAME (the known names listed), a missing
#      --client-config file.
#
# usage: it_client_conf.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
for b in "$gs" "$node_bin"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-client-conf-XXXXXX")
node_pid=
cleanup() {
  if [ -n "$node_pid" ]; then
    kill -9 "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/node.log" ] && { echo "---- node.log" >&2; tail -n 15 "$work/node.log" >&2; }
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

said() { grep -qF -- "$1" "$work/err" || fail "stderr lacks \"$1\": $(cat "$work/err")"; }

# The person's environment: a home of its own, nothing set.
export HOME=$work/home
unset XDG_CONFIG_HOME GIAMSAT_CONNECT GIAMSAT_CLIENT_CONFIG
mkdir -p "$HOME/.config/giamsat"
conf=$HOME/.config/giamsat/client.conf

origin=giamsat/commune/xa-an-binh
node_ep=ipc://$work/node/node.sock
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
"$gs" key new --out "$HOME/citizen.key" >/dev/null
"$gs" key new --out "$work/other.key" >/dev/null
citizen_b64=$("$gs" key show "$HOME/citizen.key")
other_b64=$("$gs" key show "$work/other.key")
"$gs" key new --out "$work/stranger.key" >/dev/null
stranger_vkey=$("$gs" key show "$work/stranger.key" --name "$origin")
printf 'log %s\nquorum none\n' "$node_vkey" >"$work/trust.policy"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
wait_until 120 "the node serves" "$gs" checkpoint --connect "$node_ep"

# A relative path is the file's folder's; "~/" is $HOME.
cat >"$conf" <<EOF
# the commune this person works with
[defaults]
endpoint = commune
key = ~/citizen.key
timeout = 20000

[endpoint commune]
connect = $node_ep
server_key = $node_vkey
origin = $origin

[endpoint dead]
connect = ipc://$work/nobody-listens.sock
EOF

# ------------------------------------------------------ 1. the file alone

expect 0 "checkpoint with no flag" -- "$gs" checkpoint
[ "$(sed -n 1p "$work/out")" = "$origin" ] || fail "checkpoint printed $(cat "$work/out")"
expect 0 "feedback with no flag: the default key signs, the receipt is checked" -- \
  "$gs" feedback --text "the road to the school floods" --json
jq -e --arg o "$origin" '.origin == $o and .index == 1' "$work/out" >/dev/null ||
  fail "receipt: $(cat "$work/out")"
expect 0 "entries with no flag" -- "$gs" entries --json
jq -e --arg k "$citizen_b64" 'length == 2 and .[1].signer == $k' "$work/out" >/dev/null ||
  fail "entries: $(cat "$work/out")"
pass "the feedback was signed with client.conf's key"
expect 0 "audit with no --connect" -- "$gs" audit --trust "$work/trust.policy" --json
jq -e '.verified == true' "$work/out" >/dev/null || fail "audit: $(head -c 2000 "$work/out")"
expect 0 "monitor --once polls client.conf's default endpoint" -- \
  "$gs" monitor --trust "$work/trust.policy" --once --db "$work/monitor.db"
grep -q "checkpoint $origin size 2 " "$work/out" || fail "monitor: $(cat "$work/out")"
expect 0 "monitor --connect NAME" -- "$gs" monitor --trust "$work/trust.policy" --once \
  --connect commune --db "$work/monitor2.db"
grep -q "checkpoint $origin size 2 " "$work/out" || fail "monitor: $(cat "$work/out")"

mkdir -p "$work/xdg/giamsat"
mv "$conf" "$work/xdg/giamsat/client.conf"
expect 2 "without client.conf, no endpoint" -- "$gs" checkpoint
said "no endpoint"
expect 0 "\$XDG_CONFIG_HOME/giamsat/client.conf is read" -- \
  env XDG_CONFIG_HOME="$work/xdg" "$gs" checkpoint
expect 0 "--client-config FILE" -- "$gs" checkpoint --client-config "$work/xdg/giamsat/client.conf"
expect 0 "\$GIAMSAT_CLIENT_CONFIG" -- \
  env GIAMSAT_CLIENT_CONFIG="$work/xdg/giamsat/client.conf" "$gs" checkpoint
mv "$work/xdg/giamsat/client.conf" "$conf"

# ------------------------------------------------------ 2. flags win

expect 0 "--key wins over client.conf's key" -- "$gs" feedback --key "$work/other.key" \
  --text "the market is clean"
expect 0 "entries" -- "$gs" entries --start 2 --json
jq -e --arg k "$other_b64" '.[0].signer == $k' "$work/out" >/dev/null ||
  fail "the feedback was not signed with --key: $(cat "$work/out")"
expect 1 "a wrong --server-key wins over client.conf's (the receipt fails)" -- \
  "$gs" feedback --server-key "$stranger_vkey" --text "a third word"
expect 2 "--connect NAME picks that endpoint" -- "$gs" checkpoint --connect dead --timeout 1000
expect 2 "\$GIAMSAT_CONNECT=NAME wins over [defaults] endpoint" -- \
  env GIAMSAT_CONNECT=dead "$gs" checkpoint --timeout 1000
expect 0 "--connect wins over \$GIAMSAT_CONNECT" -- \
  env GIAMSAT_CONNECT=dead "$gs" checkpoint --connect commune
expect 0 "--connect EP (not a name) works beside the file" -- \
  "$gs" checkpoint --connect "$node_ep"

# A protected key with its passphrase file, for one endpoint only; a --key
# given on the command line never gets the file's passphrase.
printf 'a long passphrase for the officer\n' >"$HOME/officer.pass"
chmod 600 "$HOME/officer.pass"
"$gs" key new --out "$HOME/officer.key" --passphrase-file "$HOME/officer.pass" >/dev/null
officer_b64=$("$gs" key show "$HOME/officer.key")
cp "$conf" "$work/plain.conf"
printf '[endpoint as-officer]\nconnect = %s\nserver_key = %s\nkey = ~/officer.key\npassphrase_file = ~/officer.pass\n' \
  "$node_ep" "$node_vkey" >>"$conf"
expect 0 "an endpoint's protected key signs with its passphrase file" -- \
  "$gs" feedback --connect as-officer --text "signed by the officer's key"
expect 0 "entries" -- "$gs" entries --json
jq -e --arg k "$officer_b64" '[.[] | select(.body.text == "signed by the officer'"'"'s key")]
       | length == 1 and .[0].signer == $k' "$work/out" >/dev/null ||
  fail "the feedback was not signed with the endpoint's key: $(cat "$work/out")"
expect 2 "--key on the command line does not take the file's passphrase" -- \
  "$gs" feedback --connect as-officer --key "$HOME/officer.key" --text "no passphrase given"
cp "$work/plain.conf" "$conf"

# ------------------------------------------------------ 3. broken files

cp "$conf" "$work/good.conf"
broken() { # broken DESCRIPTION SENTENCE: the file as it is now is refused
  expect 2 "$1" -- "$gs" checkpoint --connect "$node_ep"
  said "$2"
  said "$conf"
  cp "$work/good.conf" "$conf"
}
printf 'this is not a setting\n' >>"$conf"
broken "a line that is not INI" "is not an INI setting"
sed -i 's/^connect = ipc/conect = ipc/' "$conf"
broken "an unknown setting" "[endpoint commune] conect: unknown setting"
printf '[endpoints x]\nconnect = %s\n' "$node_ep" >>"$conf"
broken "an unknown section" "unknown section"
sed -i "s|^server_key = .*|server_key = not-a-key|" "$conf"
broken "a bad server_key" "[endpoint commune] server_key"
printf '[endpoint far]\nconnect = tcp://192.0.2.1:7400\n' >>"$conf"
broken "tcp:// without server_key" "[endpoint far] connects over tcp:// and needs server_key"
sed -i 's/^endpoint = commune/endpoint = nosuch/' "$conf"
broken "[defaults] endpoint naming nothing" "[defaults] endpoint = nosuch"
expect 2 "an unknown --connect NAME" -- "$gs" checkpoint --connect nosuch
said "no [endpoint nosuch]"
said "commune, dead"
expect 2 "a --client-config file that does not exist" -- \
  "$gs" checkpoint --client-config "$work/missing.conf"
said "$work/missing.conf"
expect 2 "monitor: an unknown --connect NAME" -- "$gs" monitor --trust "$work/trust.policy" \
  --once --connect nosuch --db "$work/monitor3.db"
said "no [endpoint nosuch]"

echo "PASS it_client_conf"
