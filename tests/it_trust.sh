#!/usr/bin/env bash
# it_trust.sh — trust files made with `giamsat trust`, and the audit of the
# smallest network: one node, one hub (issue 10, part 7).
#
#   1. `giamsat trust new / add-log / add-witness / quorum / show` build the
#      trust file from keys; each refusal (an existing file, a duplicate log,
#      a key named other than its origin, a cosigner key as a log key, a
#      duplicate witness, an unknown name in a group or the quorum, a name of
#      the wrong kind) exits 1 with its sentence and leaves the file as it
#      was; a malformed key or flag exits 2; `show --json` gives the key
#      fingerprint (first 8 bytes of the key in hex) and the quorum in words.
#   2. One node and one hub that cosigns it; after a few statements the hub
#      cosigned, `giamsat audit --connect HUB --trust FILE --format json`
#      without --origin exits 0, the hub's own log is verified (the hub's
#      witness counts for its own log), the node's log is verified and its
#      people and units are reported.
#   3. The node's log still needs its quorum: with a trust file whose quorum
#      is a witness that never cosigned it, the node's log (--origin) is
#      skipped below quorum, and so is the hub's own log, and the audit exits
#      1; with a trust file that does not list the node's log, it is skipped
#      as unknown and the audit exits 1. (That the hub's standing for itself
#      never counts for a node's log is shown in tests/test_policy.c.)
#
# usage: it_trust.sh BUILD_DIR      (GS_IT_KEEP=1 keeps the folder)
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
for b in "$gs" "$node_bin" "$hub_bin"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-trust-XXXXXX")
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

# said TEXT: the last command's stderr holds TEXT.
said() { grep -qF -- "$1" "$work/err" || fail "stderr lacks \"$1\": $(cat "$work/err")"; }
json() { jq -r "$1" "$work/out"; }
# hex8 BASE64: the first 8 bytes of a base64 key in hex (gs_key_fingerprint).
hex8() { printf '%s' "$1" | base64 -d | head -c 8 | od -An -tx1 | tr -d ' \n'; }

origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
trust=$work/trust.policy

# ------------------------------------------------------------ the daemons' keys

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
hub_cos=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin" --cosigner)
hub_b64=$("$gs" key show "$work/hub/hub.key")
node_b64=$("$gs" key show "$work/node/node.key")
"$gs" key new --out "$work/other.key" >/dev/null
other_vkey=$("$gs" key show "$work/other.key" --name giamsat/commune/xa-khac)
other_cos=$("$gs" key show "$work/other.key" --name press --cosigner)

# ------------------------------------------------------------ 1. giamsat trust

expect 0 "trust new" -- "$gs" trust new --file "$trust"
expect 1 "trust new refuses an existing file" -- "$gs" trust new --file "$trust"
said "already exists"
expect 0 "trust add-log: the node's log by its verifier key" -- \
  "$gs" trust add-log --file "$trust" --key "$node_vkey"
expect 0 "trust add-log: the hub's own log from its key file" -- \
  "$gs" trust add-log --file "$trust" --origin "$hub_origin" --key-file "$work/hub/hub.key"
expect 0 "trust add-witness: the hub" -- \
  "$gs" trust add-witness --file "$trust" --name tinh --key "$hub_cos"

cp "$trust" "$work/before"
unchanged() { cmp -s "$trust" "$work/before" || fail "a refused change altered the trust file"; }
expect 1 "a second log for the node's origin is refused" -- \
  "$gs" trust add-log --file "$trust" --origin "$origin" --key-file "$work/other.key"
said "already lists the log $origin"
unchanged
expect 1 "a key that is already another log's is refused" -- \
  "$gs" trust add-log --file "$trust" --origin giamsat/commune/xa-khac --key "$node_b64"
said "is already the key of the log $origin"
unchanged
expect 1 "a key named other than --origin is refused" -- \
  "$gs" trust add-log --file "$trust" --origin giamsat/commune/xa-khac --key "$node_vkey"
said "--key is named $origin but --origin is giamsat/commune/xa-khac"
unchanged
expect 1 "a cosigner key as a log key is refused" -- \
  "$gs" trust add-log --file "$trust" --key "$hub_cos"
said "is a cosigner key"
unchanged
expect 2 "a malformed key is a usage error" -- \
  "$gs" trust add-log --file "$trust" --key "giamsat/commune/xa-khac+zzzz+AAAA"
said "--key is not a verifier key"
unchanged
expect 2 "add-log without a key is a usage error" -- "$gs" trust add-log --file "$trust" \
  --origin giamsat/commune/xa-khac
expect 1 "a second witness with the hub's key is refused" -- \
  "$gs" trust add-witness --file "$trust" --name tinh2 --key "$hub_cos"
said "is already the key of the witness tinh"
unchanged
expect 1 "a witness name defined twice is refused" -- \
  "$gs" trust add-witness --file "$trust" --name tinh --key "$other_cos"
said "already defines a witness or group named \"tinh\""
unchanged
expect 1 "the quorum naming an unknown witness is refused" -- \
  "$gs" trust quorum --file "$trust" --witness nobody
said "defines no witness named \"nobody\""
unchanged
expect 1 "a group with an unknown member is refused" -- \
  "$gs" trust group --file "$trust" --name hubs --need any --member tinh --member nobody
said "no witness or group named \"nobody\""
unchanged
expect 1 "a witness given as a group is refused" -- "$gs" trust quorum --file "$trust" --group tinh
said "is a witness"
unchanged
expect 2 "a trust file that does not parse is an environment error" -- \
  "$gs" trust show --file "$work/node/node.conf"
expect 0 "trust quorum: the hub" -- "$gs" trust quorum --file "$trust" --witness tinh
[ "$(grep -c '^quorum ' "$trust")" = 1 ] || fail "the trust file has more than one quorum line"
[ "$(grep -v '^#' "$trust" | tail -n 1)" = "quorum tinh" ] || fail "the quorum line is not last"

expect 0 "trust show --json" -- "$gs" trust show --file "$trust" --json
[ "$(json '.logs | length')" = 2 ] || fail "show lists $(json '.logs | length') logs"
[ "$(json ".logs[] | select(.origin == \"$origin\") | .fingerprint")" = "$(hex8 "$node_b64")" ] ||
  fail "the node log's fingerprint is not the first 8 bytes of its key"
[ "$(json ".logs[] | select(.origin == \"$hub_origin\") | .witness")" = tinh ] ||
  fail "show does not say the hub's log key is the witness tinh"
[ "$(json '.witnesses[0].fingerprint')" = "$(hex8 "$hub_b64")" ] || fail "the witness fingerprint"
[ "$(json '.witnesses[0].key')" = "$hub_cos" ] || fail "the witness key is not the cosigner key"
[ "$(json '.quorum.kind') $(json '.quorum.name')" = "witness tinh" ] || fail "the quorum: $(cat "$work/out")"
pass "show --json: fingerprints, the hub's two roles, the quorum"
expect 0 "trust show (text)" -- "$gs" trust show --file "$trust"
grep -q "^  $origin  key $(hex8 "$node_b64")\$" "$work/out" || fail "show (text): $(cat "$work/out")"
grep -q "^quorum: tinh — a checkpoint needs a valid cosignature by witness tinh\$" "$work/out" ||
  fail "show (text) does not say the quorum in words: $(cat "$work/out")"

# A multi-hub shape: groups over witnesses, read back by the same parser.
multi=$work/multi.policy
expect 0 "trust new (multi)" -- "$gs" trust new --file "$multi"
expect 0 "multi: add witness tinh" -- "$gs" trust add-witness --file "$multi" --name tinh --key "$hub_cos"
expect 0 "multi: add witness press" -- "$gs" trust add-witness --file "$multi" --name press \
  --key-file "$work/other.key" --key-name press
expect 1 "multi: a threshold above the members is refused" -- "$gs" trust group --file "$multi" \
  --name both --need 3 --member tinh --member press
expect 0 "multi: group both" -- "$gs" trust group --file "$multi" --name both --need all \
  --member tinh --member press
expect 0 "multi: quorum both" -- "$gs" trust quorum --file "$multi" --group both
expect 0 "multi: a log added after the quorum" -- "$gs" trust add-log --file "$multi" --key "$other_vkey"
expect 0 "multi: show" -- "$gs" trust show --file "$multi" --json
[ "$(json '.groups[0].need') $(json '.groups[0].of') $(json '.groups[0].members | join(",")')" = "2 2 tinh,press" ] ||
  fail "multi: the group: $(cat "$work/out")"
[ "$(json '.quorum.kind')" = group ] || fail "multi: the quorum kind"
[ "$(grep -v '^#' "$multi" | tail -n 1)" = "quorum both" ] || fail "multi: the quorum line is not last"

# ------------------------------------------------------------ 2. one node, one hub

sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/' "$work/node/node.conf"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 100/' "$work/hub/hub.conf"
expect 0 "the hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
printf '\n[witness]\nwitness = %s,%s\n' "$hub_ep" "$hub_cos" >>"$work/node/node.conf"
"$node_bin" --config "$work/node/node.conf" 2>"$work/node.log" &
node_pid=$!
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub.log" &
hub_pid=$!
wait_until 120 "the node answers" "$gs" checkpoint --connect "$node_ep" --timeout 500
wait_until 120 "the hub answers" "$gs" checkpoint --connect "$hub_ep" --timeout 500

export GIAMSAT_CONNECT=$node_ep
"$gs" key new --out "$work/head.key" >/dev/null
"$gs" key new --out "$work/officer.key" >/dev/null
expect 0 "the node key appoints the head" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$("$gs" key show "$work/head.key")" --name "Nguyen Van An" --role head
expect 0 "the head appoints an officer" -- "$gs" appoint --key "$work/head.key" \
  --person "$("$gs" key show "$work/officer.key")" --name "Tran Thi Binh" --role officer
expect 0 "the head commits" -- "$gs" commit --key "$work/head.key" --id road --title "Pave the road" \
  --indicator paved --unit-of-measure km --target 12 --direction at-least --deadline 2030-12-31 --json
size=$(($(json .index) + 1))
unset GIAMSAT_CONNECT

# The hub serves the node's checkpoint at $size with its own cosignature,
# and its own log records the Observation of it (what the audit follows).
cosigned_by_hub() {
  "$gs" checkpoint --connect "$hub_ep" --origin "$origin" --timeout 2000 >"$work/cp" || return 1
  [ "$(sed -n 2p "$work/cp")" -ge "$size" ] && grep -q "^— $hub_origin " "$work/cp"
}
observed() {
  "$gs" entries --connect "$hub_ep" --json --timeout 2000 >"$work/hub-entries" || return 1
  jq -e --arg o "$origin" --argjson s "$size" \
    '[.[] | select(.kind == "observation" and .body.origin == $o and .body.size >= $s)]
      | length > 0' \
    "$work/hub-entries" >/dev/null
}
wait_until 120 "the hub cosigned $origin at size $size" cosigned_by_hub
wait_until 120 "the hub's own log observes $origin at size $size" observed
pass "the hub cosigned the node's log and observed it in its own log"

expect 0 "audit of one node and one hub without --origin" -- "$gs" audit --connect "$hub_ep" \
  --trust "$trust" --format json
[ "$(json '.verified')" = true ] || fail "the audit is not verified: $(json '.logs')"
[ "$(json ".logs[] | select(.origin == \"$hub_origin\") | .status")" = verified ] ||
  fail "the hub's own log: $(json '.logs')"
[ "$(json ".logs[] | select(.origin == \"$origin\") | .status")" = verified ] ||
  fail "the node's log: $(json '.logs')"
[ "$(json ".logs[] | select(.origin == \"$origin\") | .checkpoint.witnesses[0].name")" = tinh ] ||
  fail "the node's log is not reported cosigned by tinh"
[ "$(json '[.people[].name] | sort | join(",")')" = "Nguyen Van An,Tran Thi Binh" ] ||
  fail "the people: $(json '[.people[].name]')"
[ "$(json ".people[] | select(.name == \"Nguyen Van An\") | .commitments[0].id")" = road ] ||
  fail "the head's commitment: $(json '.people')"
[ "$(json ".units[] | select(.origin == \"$origin\") | .origin")" = "$origin" ] ||
  fail "the unit is not reported: $(json '.units')"
pass "the node's log is verified, its people and its unit reported"

# ------------------------------------------------------------ 3. node logs still need their quorum

# Quorum: a witness that never cosigned anything. The node's log, asked for
# by name, is below quorum and skipped; the hub's own log is too (the hub
# stands for itself only in a quorum it is part of).
printf 'log %s\nlog %s\nwitness tinh %s\nwitness press %s\nquorum press\n' "$node_vkey" \
  "$("$gs" key show "$work/hub/hub.key" --name "$hub_origin")" "$hub_cos" "$other_cos" >"$work/press.policy"
expect 1 "audit of the node's log with a quorum nobody met" -- "$gs" audit --connect "$hub_ep" \
  --trust "$work/press.policy" --origin "$origin" --format json
[ "$(json ".logs[] | select(.origin == \"$origin\") | .status")" = skipped ] ||
  fail "the node's log below quorum is not skipped: $(json '.logs')"
json ".logs[] | select(.origin == \"$origin\") | .failures[0]" | grep -q "checkpoint below quorum" ||
  fail "the reason is not the quorum: $(json '.logs')"
[ "$(json ".logs[] | select(.origin == \"$hub_origin\") | .status")" = skipped ] ||
  fail "the hub's own log met a quorum it is no part of: $(json '.logs')"
[ "$(json '.people | length')" = 0 ] || fail "people reported from a log below quorum"
pass "a node log below quorum is skipped, and so is the hub's own log under a quorum without the hub"

# The node's log missing from the trust file.
grep -v "^log $origin+" "$trust" >"$work/nonode.policy"
expect 1 "audit with a trust file that does not list the node's log" -- "$gs" audit \
  --connect "$hub_ep" --trust "$work/nonode.policy" --format json
[ "$(json ".logs[] | select(.origin == \"$origin\") | .status")" = skipped ] ||
  fail "the unknown node log is not skipped: $(json '.logs')"
json ".logs[] | select(.origin == \"$origin\") | .failures[0]" |
  grep -q "origin $origin is not a log in the trust file" || fail "the reason: $(json '.logs')"
[ "$(json '.people | length')" = 0 ] || fail "people reported from an unknown log"
pass "a node log the trust file does not list is skipped as unknown"

echo "ok: trust files and the audit of one node and one hub"
