#!/usr/bin/env bash
# it_node_cli.sh — officials' side end to end: a real giamsat-node on ipc://
# and tcp:// (CURVE), every statement kind submitted through the giamsat CLI,
# receipts checked, proofs verified both by the CLI and by an independent
# RFC 9162 verifier written here in Python, the roster checked after
# appointments, a resignation, a dismissal and a key rotation.
#
# usage: it_node_cli.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-cli-XXXXXX")
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill -9 "$node_pid" 2>/dev/null || true
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$work/node/node.log" ] && tail -20 "$work/node/node.log" >&2; exit 1; }
pass() { echo "ok   $*"; }


# json FILTER: jq's raw output of FILTER over the last command's stdout.
json() { jq -r "$1" "$work/out"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
checkpoint_size_is() { [ "$("$gs" checkpoint --connect "$ipc" | sed -n 2p)" = "$1" ]; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ipc=ipc://$work/node/node.sock
tcp=tcp://127.0.0.1:$port
origin=giamsat/commune/xa-an-binh

# ---- keys and the node
for who in head officer inspector deputy citizen officer2; do
  expect 0 "key new $who" -- "$gs" key new --out "$work/$who.key"
done
[ "$(stat -c %a "$work/head.key")" = 600 ] || fail "key file mode is not 600"
expect 2 "key new refuses to overwrite" -- "$gs" key new --out "$work/head.key"

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$ipc" --listen "$tcp"
grep -q "^origin = $origin\$" "$work/node/node.conf" || fail "node.conf lacks the origin"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node/node.log" &
node_pid=$!
wait_until 120 "the node answers" "$gs" checkpoint --connect "$ipc"
expect 0 "checkpoint of the new log (Charter only)" -- "$gs" checkpoint --connect "$ipc"
head -2 "$work/out" | tail -1 | grep -qx 1 || fail "the new log's checkpoint is not at size 1"

pub() { "$gs" key show "$work/$1.key"; }
export GIAMSAT_CONNECT=$ipc

# ---- appointments
expect 0 "node key appoints the head" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$(pub head)" --name "Nguyen Van An" --role head --title "Chu tich" --decision "QD-01/2026" --json
[ "$(json .origin)" = "$origin" ] || fail "receipt origin"
[ "$(json .index)" = 1 ] || fail "receipt index of the first appointment"
jq -e '(.leaf_hash_b64 | type) == "string" and (.time | type) == "number"' "$work/out" >/dev/null ||
  fail "receipt fields"
jq -e 'keys == ["index", "leaf_hash_b64", "origin", "time"]' "$work/out" >/dev/null ||
  fail "receipt JSON has other fields than the contract: $(jq -c keys "$work/out")"
expect 0 "head appoints an officer" -- "$gs" appoint --key "$work/head.key" \
  --person "$(pub officer)" --name "Tran Thi Binh" --role officer --json
expect 0 "head appoints an inspector" -- "$gs" appoint --key "$work/head.key" \
  --person "$(pub inspector)" --name "Le Van Cuong" --role inspector
expect 0 "node key appoints a deputy" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$(pub deputy)" --name "Pham Thi Dung" --role deputy
expect 1 "an officer may not appoint a head" -- "$gs" appoint --key "$work/officer.key" \
  --person "$(pub citizen)" --name "Ke Mao Danh" --role head
grep -q "role-forbids" "$work/err" || fail "the refusal does not give its reason"

# ---- commitments, progress, outcome
expect 0 "officer commits" -- "$gs" commit --key "$work/officer.key" --id road-2026 \
  --title "Pave the village road" --indicator "road paved" --unit-of-measure km \
  --target 12.5 --direction at-least --deadline 2027-12-31 --json
commit_index=$(json .index)
expect 0 "officer reports progress" -- "$gs" progress --key "$work/officer.key" --id road-2026 \
  --value 4.25 --note "first section done"
echo "survey report" >"$work/evidence.txt"
expect 0 "officer reports progress with evidence" -- "$gs" progress --key "$work/officer.key" \
  --id road-2026 --value 8 --evidence "$work/evidence.txt"
expect 0 "deputy commits" -- "$gs" commit --key "$work/deputy.key" --id clinic-2026 \
  --title "Open the clinic" --indicator "days to open" --unit-of-measure days --target 30 \
  --direction at-most --deadline 2027-06-30T17:00:00+07:00
expect 1 "duplicate commitment id" -- "$gs" commit --key "$work/officer.key" --id road-2026 \
  --title x --indicator x --unit-of-measure x --target 1 --direction at-least --deadline 2027-01-01
grep -q "duplicate-commitment" "$work/err" || fail "duplicate id refusal without its reason"
expect 1 "progress on a commitment that does not exist" -- "$gs" progress \
  --key "$work/officer.key" --id nothing --value 1
expect 2 "a bad number is a usage error" -- "$gs" progress --key "$work/officer.key" \
  --id road-2026 --value 1e3

# ---- finding, feedback, response
expect 0 "inspector files a finding" -- "$gs" finding --key "$work/inspector.key" \
  --about "$origin:$commit_index" --severity high --text "Road width below the standard" --json
finding_index=$(json .index)
expect 0 "a citizen gives feedback" -- "$gs" feedback --key "$work/citizen.key" \
  --about "$origin:$commit_index" --text "The road floods every rain" --json
feedback_index=$(json .index)
expect 0 "the officer responds to the finding" -- "$gs" respond --key "$work/officer.key" \
  --to "$origin:$finding_index" --text "Widening is scheduled for March"
expect 0 "the head responds to the feedback" -- "$gs" respond --key "$work/head.key" \
  --to "$origin:$feedback_index" --text "Drainage is added to the plan"

# ---- resignation, dismissal, key rotation
expect 0 "the officer reports the outcome" -- "$gs" outcome --key "$work/officer.key" \
  --id road-2026 --value 12.5 --evidence "$work/evidence.txt"
expect 1 "no progress after the outcome" -- "$gs" progress --key "$work/officer.key" \
  --id road-2026 --value 13
expect 0 "the deputy resigns" -- "$gs" resign --key "$work/deputy.key" --reason "moving to the province"
expect 1 "a resigned deputy signs nothing" -- "$gs" progress --key "$work/deputy.key" \
  --id clinic-2026 --value 40
grep -q "resigned" "$work/err" || fail "resigned refusal without its reason"
expect 0 "the head answers for the deputy's commitment" -- "$gs" progress --key "$work/head.key" \
  --id clinic-2026 --value 20 --note "taken over by the head"
expect 0 "the head dismisses the inspector" -- "$gs" dismiss --key "$work/head.key" \
  --person "$(pub inspector)" --reason "reassigned to the district"
expect 0 "the officer rotates to a new key" -- "$gs" rotate-key --key "$work/officer.key" \
  --new-key "$work/officer2.key"
expect 1 "the old key signs nothing after rotation" -- "$gs" commit --key "$work/officer.key" \
  --id late --title x --indicator x --unit-of-measure x --target 1 --direction at-least \
  --deadline 2027-01-01
grep -q "key-rotated" "$work/err" || fail "rotation refusal without its reason"
expect 0 "the new key signs" -- "$gs" commit --key "$work/officer2.key" --id bridge-2027 \
  --title "Repair the bridge" --indicator "bridge open" --unit-of-measure "%" --target 100 \
  --direction at-least --deadline 2027-12-31

# ---- over tcp:// with CURVE
expect 2 "tcp without --server-key is a usage error" -- "$gs" checkpoint --connect "$tcp"
expect 0 "feedback over tcp with CURVE" -- "$gs" feedback --connect "$tcp" \
  --server-key "$node_vkey" --key "$work/citizen.key" --text "Thank you for the road" --json
tcp_index=$(json .index)

wait_until 120 "a checkpoint over everything" checkpoint_size_is $((tcp_index + 1))
expect 0 "checkpoint over tcp" -- "$gs" checkpoint --connect "$tcp" --server-key "$node_vkey"
cp "$work/out" "$work/cp.txt"
size=$(sed -n 2p "$work/cp.txt")
[ "$size" -eq $((tcp_index + 1)) ] || fail "checkpoint size $size, want $((tcp_index + 1))"

# ---- proofs: the CLI verifies, and so does an independent verifier
cat >"$work/verify.py" <<'EOF'
# RFC 9162 §2.1.3.2 inclusion verification, independent of the C code: one
# run checks every proof file named after the checkpoint.
import base64, hashlib, json, sys
lines = open(sys.argv[1]).read().split("\n")
root = base64.b64decode(lines[2])
def node(l, r): return hashlib.sha256(b"\x01" + l + r).digest()
for path in sys.argv[2:]:
    proof = json.load(open(path))
    leaf = base64.b64decode(proof["leaf_b64"])
    h = hashlib.sha256(b"\x00" + leaf).digest()
    assert base64.b64encode(h).decode() == proof["leaf_hash_b64"], (path, "leaf hash")
    fn, sn = proof["index"], proof["size"] - 1
    for p in map(base64.b64decode, proof["proof"]):
        assert sn != 0, (path, "proof too long")
        if fn & 1 or fn == sn:
            h = node(p, h)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1; sn >>= 1
        else:
            h = node(h, p)
        fn >>= 1; sn >>= 1
    assert sn == 0 and h == root, (path, "does not lead to the checkpoint root")
    assert proof["origin"] == lines[0] and proof["size"] == int(lines[1]), path
    assert sorted(proof) == ["index", "leaf_b64", "leaf_hash_b64", "origin", "proof", "size"], path
EOF
checked=()
for i in 0 1 "$commit_index" "$finding_index" "$tcp_index"; do
  expect 0 "proof inclusion of entry $i" -- "$gs" proof inclusion --index "$i" --json
  cp "$work/out" "$work/proof-$i.json"
  checked+=("$work/proof-$i.json")
done
python3 "$work/verify.py" "$work/cp.txt" "${checked[@]}" || fail "independent check of the proofs"
pass "independent RFC 9162 check of entries 0 1 $commit_index $finding_index $tcp_index"
expect 2 "inclusion proof for an index beyond the log (a usage error)" -- "$gs" proof inclusion --index 999 --json

# Consistency: an old checkpoint saved, more entries, then the proof.
"$gs" checkpoint >"$work/old.txt"
old_size=$(sed -n 2p "$work/old.txt")
expect 0 "one more feedback" -- "$gs" feedback --key "$work/citizen.key" --text "Lights are out"
wait_until 120 "a checkpoint of size $((old_size + 1))" checkpoint_size_is $((old_size + 1))
expect 0 "consistency proof verified against the saved checkpoint" -- "$gs" proof consistency \
  --old "$old_size" --old-checkpoint "$work/old.txt" --json
jq -e --argjson old "$old_size" 'keys == ["new_size", "old_size", "origin", "proof"] and
  .old_size == $old and .new_size == $old + 1' "$work/out" >/dev/null ||
  fail "consistency JSON shape: $(cat "$work/out")"
# A tampered old checkpoint (another root) must not verify.
python3 - "$work/old.txt" "$work/bad.txt" <<'EOF'
import base64, sys
lines = open(sys.argv[1]).read().split("\n")
root = bytearray(base64.b64decode(lines[2])); root[0] ^= 1
lines[2] = base64.b64encode(bytes(root)).decode()
open(sys.argv[2], "w").write("\n".join(lines))
EOF
expect 1 "a tampered old checkpoint is refused" -- "$gs" proof consistency --old "$old_size" \
  --old-checkpoint "$work/bad.txt" --json

# ---- entries and roster
expect 0 "entries --json" -- "$gs" entries --json --count 1000
python3 - "$work/out" <<'EOF' || fail "entries JSON"
import json, sys
d = json.load(open(sys.argv[1]))
kinds = [e["kind"] for e in d]
for k in ["charter", "appointment", "commitment", "progress", "outcome", "finding",
          "feedback", "response", "resignation", "dismissal", "key_rotation"]:
    assert any(k.replace("_", "") in x.replace("-", "").replace("_", "") for x in kinds), k
assert [e["index"] for e in d] == list(range(len(d)))
EOF
pass "entries list every statement kind in order"
expect 0 "entries (human)" -- "$gs" entries
grep -q "Pave the village road" "$work/out" || fail "entries do not show the commitment"

expect 0 "roster --json" -- "$gs" roster --json
python3 - "$work/out" "$(pub head)" "$(pub officer)" "$(pub officer2)" "$(pub deputy)" "$(pub inspector)" <<'EOF' || fail "roster"
import json, sys
d = json.load(open(sys.argv[1]))
head, officer, officer2, deputy, inspector = sys.argv[2:7]
by = {}
for t in d:
    by.setdefault(t["key"], []).append(t)
def one(k):
    assert k in by, "no tenure for " + k
    return by[k][-1]
assert one(head)["role"] == "head" and one(head)["status"] == "active"
assert one(officer)["status"] == "rotated" and one(officer)["successor"] == officer2, one(officer)
assert one(officer2)["role"] == "officer" and one(officer2)["status"] == "active"
assert one(officer2)["name"] == "Tran Thi Binh" and one(officer2)["predecessor"] == officer
assert one(deputy)["status"] == "resigned" and "until_index" in one(deputy)
assert one(inspector)["status"] == "dismissed" and one(inspector)["ended_by"] == head
EOF
pass "roster: head active, deputy resigned, inspector dismissed, officer rotated to the new key"

# ---- usage and environment errors
expect 2 "unknown flag" -- "$gs" commit --bogus
expect 2 "unreachable endpoint" -- "$gs" checkpoint --connect "ipc://$work/nothing.sock" --timeout 300
expect 2 "unreadable key file" -- "$gs" resign --key "$work/missing.key"

kill -TERM "$node_pid"
wait "$node_pid" || fail "the node did not stop cleanly"
node_pid=
pass "the node stops cleanly on SIGTERM"
echo "ok: all CLI cases passed"

# ---- issue 10: the unit's time zone, revisions, ratings, verdicts
# A second node whose clock check is off (max_clock_skew = 0), so that
# statements can be dated in the past with --issued-at.
expect 2 "node init refuses a time zone that is not an IANA name" -- "$gs" node init \
  --dir "$work/badtz" --tier commune --unit xa-bad --name "Xa Bad" --time-zone "Ho Chi Minh"
grep -q "IANA zone name" "$work/err" || fail "bad time zone without its reason: $(cat "$work/err")"
expect 2 "node init refuses a zone this machine does not know" -- "$gs" node init \
  --dir "$work/badtz" --tier commune --unit xa-bad --name "Xa Bad" --time-zone Mars/Olympus_Mons
grep -q "does not know that zone" "$work/err" || fail "unknown zone without its reason: $(cat "$work/err")"
expect 2 "node init refuses --partial-percent 100" -- "$gs" node init \
  --dir "$work/badtz" --tier commune --unit xa-bad --name "Xa Bad" --partial-percent 100
[ ! -e "$work/badtz/node.key" ] || fail "a refused node init left a key behind"
ipc2=ipc://$work/node2/node.sock
expect 0 "node init with --partial-percent (default time zone)" -- "$gs" node init \
  --dir "$work/node2" --tier commune --unit xa-phu-my --name "Xa Phu My" --listen "$ipc2" \
  --partial-percent 80
sed -i 's/^max_clock_skew = .*/max_clock_skew = 0/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/node2/node.conf"
"$node_bin" --config "$work/node2/node.conf" 2>"$work/node2/node.log" &
node_pid=$!
export GIAMSAT_CONNECT=$ipc2
wait_until 120 "the second node answers" "$gs" checkpoint
expect 0 "node 2: the head" -- "$gs" appoint --key "$work/node2/node.key" --person "$(pub head)" \
  --name "Vo Van Hai" --role head --issued-at 2026-01-01
expect 0 "node 2: an officer" -- "$gs" appoint --key "$work/node2/node.key" \
  --person "$(pub deputy)" --name "Dang Thi Ba" --role officer --issued-at 2026-01-01
expect 0 "node 2: an inspector" -- "$gs" appoint --key "$work/node2/node.key" \
  --person "$(pub citizen)" --name "Bui Van Tu" --role inspector --issued-at 2026-01-01
expect 0 "a date-only deadline ends in the unit's time zone" -- "$gs" commit --key "$work/deputy.key" \
  --id canal-2026 --title "Dredge the canal" --indicator "canal dredged" --unit-of-measure km \
  --target 8 --direction at-least --deadline 2026-03-31 --issued-at 2026-01-02 --json
canal_index=$(json .index)
expect 0 "progress on the canal" -- "$gs" progress --key "$work/deputy.key" --id canal-2026 \
  --value 2 --issued-at 2026-01-20 --json
progress_index=$(json .index)
expect 2 "revise needs --target or --deadline" -- "$gs" revise --key "$work/deputy.key" \
  --id canal-2026 --reason "nothing"
expect 0 "the owner revises the target before the deadline" -- "$gs" revise --key "$work/deputy.key" \
  --id canal-2026 --target 6.5 --reason "dry season came early" --issued-at 2026-02-01
expect 0 "the owner revises the deadline before it passes" -- "$gs" revise --key "$work/deputy.key" \
  --id canal-2026 --deadline 2026-06-30 --reason "decision 45/QD moved the budget" \
  --issued-at 2026-03-01 --json
revision_index=$(json .index)
expect 1 "a revision after the deadline in force is refused" -- "$gs" revise --key "$work/deputy.key" \
  --id canal-2026 --deadline 2026-12-31 --reason "too late" --issued-at 2026-07-01
grep -q "revision-after-deadline" "$work/err" || fail "late revision without its reason: $(cat "$work/err")"
expect 1 "someone else may not revise" -- "$gs" revise --key "$work/head.key" \
  --id canal-2026 --target 5 --reason "not mine" --issued-at 2026-03-02
grep -q "not-owner" "$work/err" || fail "revision by another without its reason"
expect 2 "a rating of 6 is refused before signing" -- "$gs" feedback --key "$work/officer2.key" \
  --text "great" --rating 6
grep -q "1 (worst) to 5 (best)" "$work/err" || fail "rating 6 without its reason: $(cat "$work/err")"
expect 2 "a rating of 0 is refused before signing" -- "$gs" feedback --key "$work/officer2.key" \
  --text "great" --rating 0
expect 0 "a citizen rates the unit" -- "$gs" feedback --key "$work/officer2.key" --text "good work" \
  --rating 4 --issued-at 2026-02-10 --json
rated_index=$(json .index)
expect 2 "--confirms and --contests exclude each other" -- "$gs" finding --key "$work/citizen.key" \
  --about "xa:1" --severity low --text x --confirms --contests
expect 0 "the inspector contests a progress report" -- "$gs" finding --key "$work/citizen.key" \
  --about "giamsat/commune/xa-phu-my:$progress_index" --severity medium --text "only 1 km" \
  --contests --issued-at 2026-01-25
expect 1 "a verdict about a feedback is refused" -- "$gs" finding --key "$work/citizen.key" \
  --about "giamsat/commune/xa-phu-my:$rated_index" --severity low --text "x" --confirms \
  --issued-at 2026-02-11
grep -q "reference-wrong-kind" "$work/err" || fail "verdict about a feedback without its reason"
expect 1 "partial_percent 100 is refused by the rule book" -- "$gs" parameters \
  --key "$work/node2/node.key" --partial-percent 100
grep -q "bad-parameter" "$work/err" || fail "partial_percent 100 without its reason"
expect 0 "partial_percent changed to 60" -- "$gs" parameters --key "$work/node2/node.key" \
  --partial-percent 60

expect 0 "entries --json of node 2" -- "$gs" entries --json --count 1000
python3 - "$work/out" "$canal_index" "$revision_index" "$rated_index" <<'EOF' || fail "entries of node 2"
import json, sys
d = json.load(open(sys.argv[1]))
canal, revision, rated = map(int, sys.argv[2:5])
charter = d[0]["body"]
assert charter["time_zone"] == "Asia/Ho_Chi_Minh" and charter["partial_percent"] == 80, charter
c = d[canal]["body"]
# 2026-03-31T23:59:59+07:00
assert c["deadline_unix"] == 1774976399, c
r = d[revision]
assert r["kind"] == "revision" and r["body"]["deadline_unix"] == 1782838799, r
assert "target" not in r["body"] and r["body"]["reason"] == "decision 45/QD moved the budget", r
t = d[revision - 1]["body"]
assert t["target"] == "6.5" and "deadline" not in t, t
assert d[rated]["body"]["rating"] == 4, d[rated]
findings = [e["body"] for e in d if e["kind"] == "finding"]
assert [f["verdict"] for f in findings] == ["contests"], findings
EOF
pass "entries show the charter's zone, the revisions, the rating and the verdict"
expect 0 "entries (human) of node 2" -- "$gs" entries
grep -q "reason: decision 45/QD moved the budget" "$work/out" || fail "entries do not show the revision"
rater_fp=$(python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1])[:8].hex())' "$(pub officer2)")
grep -q "feedback by $rater_fp " "$work/out" || fail "entries do not show the signer's fingerprint $rater_fp"
expect 0 "roster of node 2" -- "$gs" roster
grep -q "rule parameters: partial_percent 60" "$work/out" || fail "roster: $(cat "$work/out")"
pass "the roster names partial_percent in force"

kill -TERM "$node_pid"
wait "$node_pid" || fail "the second node did not stop cleanly"
node_pid=
# --version: every program names itself and the project's version, as
# CMakeLists.txt's project() declares it.
want_version=$(sed -n 's/^project(giamsat VERSION \([0-9.]*\) .*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../CMakeLists.txt")
[ -n "$want_version" ] || fail "no version in CMakeLists.txt"
for prog in "$gs:giamsat" "$build/node/giamsat-node:giamsat-node" "$build/hub/giamsat-hub:giamsat-hub"; do
  expect 0 "${prog##*:} --version" -- "${prog%%:*}" --version
  [ "$(cat "$work/out")" = "${prog##*:} $want_version" ] ||
    fail "${prog##*:} --version says '$(cat "$work/out")', not '${prog##*:} $want_version'"
done
pass "giamsat, giamsat-node and giamsat-hub --version name version $want_version"
echo "ok: issue 10 CLI cases passed"
