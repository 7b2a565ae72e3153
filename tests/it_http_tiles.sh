#!/usr/bin/env bash
# it_http_tiles.sh — tlog-tiles over HTTP (docs/http.md "Tiles") from another
# implementation's point of view:
#   - a node with `--http` whose log holds 601 entries (the Charter and 600
#     feedbacks appended on disk by gs_tool), and a hub with `--http` that
#     follows it and cosigns it;
#   - tests/http/tiles_client.mjs, which knows only a URL and an origin and
#     shares no code with giamsat, fetches the checkpoint, rebuilds the root
#     from the tiles alone, builds inclusion proofs from the tiles, and
#     reads every entry bundle (it checks headers and that nothing beyond
#     the size is served); what it computed must equal what the same daemon
#     serves over ZeroMQ: `giamsat checkpoint` (byte for byte),
#     `giamsat proof inclusion --json` for several indices (both sides of
#     tile boundaries), and `giamsat entries --json` (every leaf hash);
#   - against the node (its log), the hub (the replica, at its cosigned
#     size and with its cosigned note) and the hub's own log;
#   - /logs.json on both, HEAD of a full tile, and 404/400 from curl.
#
# usage: it_http_tiles.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
client=$top/tests/http/tiles_client.mjs
for b in "$gs" "$node_bin" "$hub_bin" "$tool"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
for c in curl jq node python3; do
  command -v "$c" >/dev/null || { echo "FAIL: $c is not installed (tests/run.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-http-tiles-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node/node.log" "$work/hub/hub.log"; do
    [ -f "$f" ] && { echo "---- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
until_true() {
  local secs=$1 what=$2
  shift 3
  wait_until "$secs" "$what" "$@"
  pass "$what"
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

origin=giamsat/commune/xa-tile
hub_origin=giamsat/hub/a
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
node_port=$(free_port)
hub_port=$(free_port)
node_url=http://127.0.0.1:$node_port
hub_url=http://127.0.0.1:$hub_port
size=601

"$gs" node init --dir "$work/node" --tier commune --unit xa-tile --name "Xa Tile" \
  --listen "$node_ep" --http "127.0.0.1:$node_port" >/dev/null || fail "node init --http"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
"$tool" append-feedbacks "$work/node/node.db" "$origin" $((size - 1)) "gop-y" >/dev/null ||
  fail "gs_tool append-feedbacks"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
"$gs" hub init --dir "$work/hub" --name a --http "127.0.0.1:$hub_port" >/dev/null ||
  fail "hub init --http"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
"$gs" hub follow --config "$work/hub/hub.conf" --origin "$origin" --log-key "$node_vkey" \
  --source "$node_ep" >/dev/null || fail "hub follow"

"$node_bin" --config "$work/node/node.conf" 2>>"$work/node/node.log" &
pids+=($!)
"$hub_bin" --config "$work/hub/hub.conf" 2>>"$work/hub/hub.log" &
pids+=($!)

# http_size URL ORIGIN: the size line of the checkpoint served over HTTP.
http_size() { curl -sf "$1/$2/checkpoint" | sed -n 2p; }
# serves_at URL ORIGIN SIZE: the checkpoint served over HTTP has that size.
serves_at() { [ "$(http_size "$1" "$2")" = "$3" ]; }
until_true 120 "the node serves its checkpoint of size $size over HTTP" -- \
  serves_at "$node_url" "$origin" "$size"
until_true 120 "the hub serves the replica cosigned at $size over HTTP" -- \
  serves_at "$hub_url" "$origin" "$size"
# own_settled: the hub's own log, as served over HTTP, ends with its
# Observation of the replica at $size (nothing more is recorded after it:
# the node's log does not grow), so both protocols serve the same note.
own_settled() {
  local n
  n=$(http_size "$hub_url" "$hub_origin") && [ -n "$n" ] || return 1
  "$gs" entries --connect "$hub_ep" --origin "$hub_origin" --start 0 --count "$n" --json |
    jq -e --arg o "$origin" --argjson s "$size" \
      'last | .kind == "observation" and .body.origin == $o and .body.size == $s'
}
until_true 120 "the hub serves its own log, ending with its Observation at $size" -- own_settled

# check URL EP ORIGIN INDEX...: the client's view over HTTP equals the
# daemon's ZeroMQ answers.
check() {
  local url=$1 ep=$2 o=$3 what=$4
  shift 4
  node "$client" "$url" "$o" "$@" >"$work/client.json" 2>"$work/client.err" ||
    fail "$what: tiles_client: $(cat "$work/client.err")"
  local n
  n=$(jq -r .size "$work/client.json")
  pass "$what: root rebuilt from tiles alone equals the checkpoint's (size $n, $(jq .fetches "$work/client.json") fetches)"
  "$gs" checkpoint --connect "$ep" --origin "$o" >"$work/zmq-cp" 2>"$work/err" ||
    fail "$what: giamsat checkpoint: $(cat "$work/err")"
  curl -sf "$url/$o/checkpoint" >"$work/http-cp" || fail "$what: curl checkpoint"
  cmp -s "$work/zmq-cp" "$work/http-cp" ||
    fail "$what: the HTTP checkpoint differs from giamsat checkpoint: $(diff "$work/zmq-cp" "$work/http-cp")"
  pass "$what: the HTTP checkpoint is byte for byte the one served over ZeroMQ"
  for i in "$@"; do
    "$gs" proof inclusion --connect "$ep" --origin "$o" --index "$i" --size "$n" --json \
      >"$work/zmq-proof" 2>"$work/err" || fail "$what: giamsat proof inclusion $i: $(cat "$work/err")"
    jq -e --slurpfile z "$work/zmq-proof" --argjson i "$i" \
      '(.proofs[] | select(.index == $i)) as $p | $p.proof == $z[0].proof and
       $p.leaf_b64 == $z[0].leaf_b64 and $p.leaf_hash_b64 == $z[0].leaf_hash_b64' \
      "$work/client.json" >/dev/null ||
      fail "$what: the proof of $i from tiles differs from ZeroMQ's: $(cat "$work/zmq-proof")"
  done
  pass "$what: inclusion proofs from tiles of $* equal giamsat proof inclusion --json"
  "$gs" entries --connect "$ep" --origin "$o" --start 0 --count "$n" --json >"$work/zmq-entries" \
    2>"$work/err" || fail "$what: giamsat entries: $(cat "$work/err")"
  jq -e --slurpfile z "$work/zmq-entries" '.leaf_hashes == [$z[0][].leaf_hash_b64]' \
    "$work/client.json" >/dev/null || fail "$what: the entry bundles differ from giamsat entries"
  pass "$what: every entry of the bundles is the entry giamsat entries lists"
}

check "$node_url" "$node_ep" "$origin" "node" 0 1 254 255 256 257 511 512 513 600
check "$hub_url" "$hub_ep" "$origin" "hub replica" 0 255 256 300 512 600
own=$(http_size "$hub_url" "$hub_origin")
check "$hub_url" "$hub_ep" "$hub_origin" "hub own log" 0 $((own - 1))

# The hub's replica note carries the hub's cosignature.
curl -sf "$hub_url/$origin/checkpoint" | grep -q "^— $hub_origin " ||
  fail "the hub's HTTP checkpoint of the replica lacks its cosignature"
pass "the hub serves the replica with its cosigned note"

# /logs.json: what each daemon serves, at the sizes above.
curl -sf "$node_url/logs.json" >"$work/logs" || fail "node /logs.json"
jq -e --arg o "$origin" --arg k "$node_vkey" --argjson s "$size" \
  'length == 1 and .[0].origin == $o and .[0].size == $s and .[0].prefix == "/" + $o + "/" and
   .[0].log_key == $k' "$work/logs" >/dev/null || fail "node /logs.json: $(cat "$work/logs")"
curl -sf "$hub_url/logs.json" >"$work/logs" || fail "hub /logs.json"
jq -e --arg o "$origin" --arg h "$hub_origin" --arg k "$node_vkey" --argjson s "$size" \
  'length == 2 and .[0].origin == $h and (.[1] | .origin == $o and .size == $s and .log_key == $k)' \
  "$work/logs" >/dev/null || fail "hub /logs.json: $(cat "$work/logs")"
pass "/logs.json lists the logs served with their sizes, prefixes and keys"

# HEAD of a full tile: its headers, no body.
curl -sfI "$node_url/$origin/tile/0/001" >"$work/head" || fail "HEAD tile/0/001"
grep -qi '^content-length: 8192' "$work/head" || fail "HEAD tile/0/001: $(cat "$work/head")"
grep -qi '^cache-control: public, max-age=31536000, immutable' "$work/head" ||
  fail "HEAD tile/0/001: $(cat "$work/head")"
pass "HEAD of a full tile: 8192 bytes announced, immutable"
code() { curl -s -o /dev/null -w '%{http_code}' "$1"; }
[ "$(code "$node_url/$origin/tile/0/002")" = 404 ] || fail "a full tile beyond the size is not 404"
[ "$(code "$node_url/$origin/tile/0/002.p/88")" = 404 ] || fail "a partial tile of another width is not 404"
[ "$(code "$node_url/$origin/tile/0/2")" = 400 ] || fail "a malformed tile path is not 400"
[ "$(code "$node_url/giamsat/commune/nobody/checkpoint")" = 404 ] || fail "an unknown origin is not 404"
[ "$(code "$hub_url/giamsat/commune/nobody/tile/0/000")" = 404 ] || fail "an unknown origin is not 404 (hub)"
pass "404 beyond the size and for unknown logs, 400 for a malformed path"

echo "it_http_tiles: ok"
