#!/usr/bin/env bash
# it_audit.sh — inspectors, press and citizens end to end (issue 5): a real
# giamsat-node on ipc://, a scenario played through the giamsat CLI, then
#   - `giamsat audit` against the node: the JSON names exactly the people and
#     statuses the scenario produced — the missed and overdue commitments are
#     attributed to the head in office at their deadline (the first head, who
#     has since resigned), and a later one to the successor;
#   - `giamsat export` / `giamsat verify`: bundles for a head's commitment, a
#     node-key appointment and a citizen's feedback verify offline against a
#     trust file; each tampered bundle (altered statement, wrong index, proof
#     from another checkpoint, checkpoint below quorum, unknown log key,
#     origin not in the trust file) is rejected with its specific reason and
#     exit 1.
# The bundles are taken apart and put back together by a small protobuf
# codec written here in Python, independent of the code under test.
#
# usage: it_audit.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-audit-XXXXXX")
node_pid=
cleanup() {
  if [ -n "$node_pid" ]; then
    kill -9 "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; [ -f "$work/node/node.log" ] && tail -20 "$work/node/node.log" >&2; exit 1; }
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
checkpoint_size_is() { [ "$("$gs" checkpoint --connect "$ipc" | sed -n 2p)" = "$1" ]; }

# json FILTER: jq's raw output of FILTER over the last command's stdout.
json() { jq -r "$1" "$work/out"; }
# ago SECONDS: the time that many seconds before now, for --issued-at.
ago() { date -u -d "@$(($(date +%s) - $1))" +%Y-%m-%dT%H:%M:%SZ; }

origin=giamsat/commune/xa-an-binh
ipc=ipc://$work/node/node.sock

for who in head1 head2 officer inspector citizen other witness; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done
expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$ipc"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
"$node_bin" --config "$work/node/node.conf" 2>"$work/node/node.log" &
node_pid=$!
wait_until 120 "the node answers" "$gs" checkpoint --connect "$ipc"
export GIAMSAT_CONNECT=$ipc
pub() { "$gs" key show "$work/$1.key"; }
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")

# ---- the scenario
# Nothing waits for a clock. The first head and the staff are appointed two
# minutes back; then three commitments are dated 30 s back with a deadline
# 10 s back (the rule book wants deadline > issued_at); what happens before
# that deadline is dated 20 s back; everything after it is signed now. The
# node accepts dated statements within its max_clock_skew (300 s): 270 s
# more for the seven statements that use those dates.
expect 0 "node key appoints the first head" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$(pub head1)" --name "Nguyen Van An" --role head --title "Chu tich" --json \
  --issued-at "$(ago 120)"
appoint_index=$(json .index)
expect 0 "head appoints an officer" -- "$gs" appoint --key "$work/head1.key" \
  --person "$(pub officer)" --name "Tran Thi Binh" --role officer --issued-at "$(ago 120)"
expect 0 "head appoints an inspector" -- "$gs" appoint --key "$work/head1.key" \
  --person "$(pub inspector)" --name "Le Van Cuong" --role inspector --issued-at "$(ago 120)"

committed=$(ago 30)
deadline=$(ago 10)
before_deadline=$(ago 20)
commit() { # KEY ID TITLE TARGET DIRECTION DEADLINE [FLAGS...]
  local key=$1 id=$2 title=$3 target=$4 dir=$5 dl=$6
  shift 6
  expect 0 "$key commits $id" -- "$gs" commit --key "$work/$key.key" --id "$id" --title "$title" \
    --indicator "measured" --unit-of-measure km --target "$target" --direction "$dir" \
    --deadline "$dl" --json "$@"
}
commit head1 road "Pave <script>alert(1)</script> the road" 100 at-least "$deadline" \
  --issued-at "$committed"
road_index=$(json .index)
commit head1 school "Repair the school" 100 at-least "$deadline" --issued-at "$committed"
school_index=$(json .index)
commit officer drains "Clear the drains" 10 at-most "$deadline" --issued-at "$committed"
drains_index=$(json .index)
commit officer lights "Install street lights" 50 at-least 2030-12-31
commit officer market "Open the market" 1 at-least 2030-06-30
expect 0 "head reports the road delivered before the deadline" -- "$gs" outcome \
  --key "$work/head1.key" --id road --value 120 --issued-at "$before_deadline"
expect 0 "officer reports progress on the drains before the deadline" -- "$gs" progress \
  --key "$work/officer.key" --id drains --value 14 --issued-at "$before_deadline"
expect 0 "head reports the school below target after the deadline" -- "$gs" outcome \
  --key "$work/head1.key" --id school --value 50.5
expect 0 "the first head resigns" -- "$gs" resign --key "$work/head1.key" --reason "retired"
expect 0 "node key appoints the second head" -- "$gs" appoint --key "$work/node/node.key" \
  --person "$(pub head2)" --name "Pham Thi Dung" --role head
expect 0 "inspector files a finding about the drains" -- "$gs" finding --key "$work/inspector.key" \
  --about "$origin:$drains_index" --severity high --text "No report on the drains" --json
finding_index=$(json .index)
expect 0 "officer responds to the finding" -- "$gs" respond --key "$work/officer.key" \
  --to "$origin:$finding_index" --text "Work resumes next week"
expect 0 "a citizen complains about the school" -- "$gs" feedback --key "$work/citizen.key" \
  --about "$origin:$school_index" --text "The roof still leaks" --json
feedback_index=$(json .index)

# Wait for a checkpoint covering everything.
expect 0 "entries" -- "$gs" entries --json
size=$(json length)
wait_until 120 "a checkpoint of size $size" checkpoint_size_is "$size"

printf 'log %s\nquorum none\n' "$node_vkey" >"$work/trust.policy"

# ---- audit
expect 0 "audit (json) as of mid-2030" -- "$gs" audit --connect "$ipc" --trust "$work/trust.policy" \
  --as-of 2030-07-01T00:00:00Z --format json
cp "$work/out" "$work/audit.json"
python3 - "$work/audit.json" "$origin" "$size" "$(pub head1)" "$(pub head2)" "$(pub officer)" <<'EOF' || fail "audit JSON"
import json, sys
d = json.load(open(sys.argv[1]))
origin, size, head1, head2, officer = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
assert d["verified"] is True, d["logs"]
assert d["as_of"] == "2030-07-01T00:00:00Z"
assert d["hub"] is None
[log] = d["logs"]
assert log["origin"] == origin and log["status"] == "verified", log
assert log["checkpoint"]["size"] == size
assert log["entries_verified"] == size and log["entries_replayed"] == size, log
assert log["failures"] == []
people = {p["key"]: p for p in d["people"]}
assert set(people) == {head1, head2, officer, [k for k in people if people[k]["name"] == "Le Van Cuong"][0]}
def commits(k): return {c["id"]: c["status"] for c in people[k]["commitments"]}
assert people[head1]["name"] == "Nguyen Van An"
assert commits(head1) == {"road": "delivered", "school": "missed"}, commits(head1)
# lights has no progress for more than a third of its time: at risk (silence).
assert commits(officer) == {"drains": "overdue", "lights": "at_risk", "market": "overdue"}, commits(officer)
assert commits(head2) == {}
assert people[head1]["summary"] == {"delivered": 1, "delivered_late": 0, "partially_delivered": 0, "missed": 1, "overdue": 0, "at_risk": 0, "open": 0, "unanswered": 1}, people[head1]["summary"]
[role] = people[head1]["roles"]
assert role["role"] == "head" and role["ended"] == "resigned" and role["until"] is not None
[role] = people[head2]["roles"]
assert role["role"] == "head" and role["ended"] == "active" and role["until"] is None
school = [c for c in people[head1]["commitments"] if c["id"] == "school"][0]
assert school["outcome"] == "50.5" and school["target"] == "100" and school["late"] is True
# Findings and feedback, addressed to the signer of what they are about.
[fb] = people[head1]["addressed"]
assert fb["kind"] == "feedback" and fb["status"] == "unanswered" and fb["text"] == "The roof still leaks"
[fi] = people[officer]["addressed"]
assert fi["kind"] == "finding" and fi["status"] == "responded" and fi["severity"] == "high"
assert fi["response_by"]["key"] == officer
# The head at each failed deadline: the first head, though they resigned;
# the market's deadline fell under the second head.
[unit] = d["units"]
assert unit["name"] == "Xa An Binh" and [h["key"] for h in unit["heads"]] == [head1, head2]
failed = {x["id"]: (x["status"], x["head_at_deadline"]["key"], x["head_at_deadline"]["still_in_office"]) for x in unit["deadlines_failed"]}
assert failed == {"school": ("missed", head1, False), "drains": ("overdue", head1, False),
                  "market": ("overdue", head2, True)}, failed
assert d["references"] == {"checked": 0, "failed": [], "unchecked": []}
assert d["delegation"] == []
EOF
pass "audit names the first head for the missed school and overdue drains, the second for the market"

expect 0 "audit as of now: the 2030 commitments are open" -- "$gs" audit --connect "$ipc" \
  --trust "$work/trust.policy" --json
python3 -c "
import json; d = json.load(open('$work/out'))
st = {c['id']: c['status'] for p in d['people'] for c in p['commitments']}
assert st == {'road': 'delivered', 'school': 'missed', 'drains': 'overdue', 'lights': 'open', 'market': 'open'}, st
fb = [a for p in d['people'] for a in p['addressed'] if a['kind'] == 'feedback']
assert [a['status'] for a in fb] == ['pending'], fb
" || fail "audit as of now"
pass "audit as of now"

expect 0 "audit (html)" -- "$gs" audit --connect "$ipc" --trust "$work/trust.policy" \
  --format html --out "$work/audit.html"
grep -q '<script>' "$work/audit.html" && fail "html carries a statement's markup unescaped"
grep -q 'Pave &lt;script&gt;alert(1)&lt;/script&gt; the road' "$work/audit.html" || fail "html lacks the escaped title"
grep -Eq '(src|href)="[^#]' "$work/audit.html" && fail "html refers to external assets"
pass "html escapes statement strings and is self-contained"
expect 0 "audit (text)" -- "$gs" audit --connect "$ipc" --trust "$work/trust.policy" \
  --as-of 2030-07-01
grep -q "head at the deadline Nguyen Van An (since left)" "$work/out" || fail "text report lacks the head at the deadline"
pass "text report names the head at the deadline"

other_vkey=$("$gs" key show "$work/other.key" --name "$origin")
printf 'log %s\nquorum none\n' "$other_vkey" >"$work/wrongkey.policy"
expect 1 "audit with the wrong log key fails" -- "$gs" audit --connect "$ipc" \
  --trust "$work/wrongkey.policy" --json
json '.logs[0].status' | grep -qx skipped || fail "log not marked skipped"
json '.logs[0].failures[0]' | grep -q "not signed by the log key" || fail "wrong key reason"
expect 2 "audit without --trust" -- "$gs" audit --connect "$ipc"
expect 2 "audit with a bad --format" -- "$gs" audit --connect "$ipc" --trust "$work/trust.policy" --format pdf

# ---- bundles
expect 0 "export the road commitment" -- "$gs" export --index "$road_index" --out "$work/road.bundle"
expect 0 "verify the road commitment" -- "$gs" verify "$work/road.bundle" --trust "$work/trust.policy" --json
python3 - "$work/out" "$origin" "$road_index" "$appoint_index" "$(pub head1)" <<'EOF' || fail "verify JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verified"] is True, d
assert d["origin"] == sys.argv[2] and d["index"] == int(sys.argv[3])
s = d["signer"]
assert s == {"key": sys.argv[5], "role": "head", "name": "Nguyen Van An", "title": "Chu tich",
             "appointment_index": int(sys.argv[4]), "appointment_kind": "appointment"}, s
assert d["statement"]["kind"] == "commitment" and d["statement"]["body"]["target"] == "100"
assert d["checkpoint"]["witnesses"] == [] and d["checkpoint"]["quorum"] == "none"
assert "Nguyen Van An" in d["summary"]
EOF
pass "verify says who signed the road commitment in which role"
expect 0 "verify (text)" -- "$gs" verify "$work/road.bundle" --trust "$work/trust.policy"
grep -q "^VERIFIED" "$work/out" && grep -q "Nguyen Van An, head, Chu tich" "$work/out" || fail "verify text"

expect 0 "export the first appointment (signed by the node key)" -- "$gs" export \
  --index "$appoint_index" --out "$work/appoint.bundle"
expect 0 "verify it" -- "$gs" verify "$work/appoint.bundle" --trust "$work/trust.policy" --json
[ "$(json '"\(.signer.role) \(.signer.appointment_index)"')" = "log-key 0" ] || fail "node key signer"
expect 0 "export the citizen's feedback" -- "$gs" export --index "$feedback_index" --out "$work/fb.bundle"
expect 0 "verify it" -- "$gs" verify "$work/fb.bundle" --trust "$work/trust.policy" --json
[ "$(json '"\(.signer.role) \(.signer.appointment_index)"')" = "citizen null" ] || fail "citizen signer"
expect 0 "export the charter" -- "$gs" export --index 0 --out "$work/charter.bundle"
expect 0 "verify it" -- "$gs" verify "$work/charter.bundle" --trust "$work/trust.policy"

# A newer checkpoint, for the proof-from-another-checkpoint case.
expect 0 "more feedback" -- "$gs" feedback --key "$work/citizen.key" --text "Thanks for the lights"
wait_until 120 "a checkpoint of size $((size + 1))" checkpoint_size_is "$((size + 1))"
expect 0 "export the road commitment again, at the new size" -- "$gs" export \
  --index "$road_index" --out "$work/road2.bundle"

# Bundle surgery: a minimal protobuf codec (varints and length-delimited
# fields only, which is all a Bundle holds), written here independently.
cat >"$work/pb.py" <<'EOF'
import sys
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
def enc_varint(v):
    o = bytearray()
    while True:
        if v < 0x80: o.append(v); return bytes(o)
        o.append((v & 0x7f) | 0x80); v >>= 7
def parse(b):
    out, i = [], 0
    while i < len(b):
        k, i = varint(b, i); f, t = k >> 3, k & 7
        if t == 0: v, i = varint(b, i)
        elif t == 2: n, i = varint(b, i); v = b[i:i + n]; i += n
        else: raise SystemExit("unexpected wire type")
        out.append((f, t, v))
    return out
def build(fields):
    o = bytearray()
    for f, t, v in fields:
        o += enc_varint(f << 3 | t)
        o += enc_varint(v) if t == 0 else enc_varint(len(v)) + v
    return bytes(o)
def get(fields, f): return [v for ff, _, v in fields if ff == f]
def put(fields, f, vals):
    t = 0 if isinstance(vals[0], int) else 2
    rest = [x for x in fields if x[0] != f] + [(f, t, v) for v in vals]
    return sorted(rest, key=lambda x: x[0])  # stable: repeated fields keep their order
cmd, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
b = parse(open(src, "rb").read())
if cmd == "alter":  # change the statement's text, keep the signature
    se = parse(get(b, 3)[0])
    st = bytes(get(se, 1)[0]).replace(b"Pave", b"Dig ")
    assert st != get(se, 1)[0]
    b = put(b, 3, [build(put(se, 1, [st]))])
elif cmd == "index":
    b = put(b, 2, [get(b, 2)[0] + 1])
elif cmd == "checkpoint":  # the checkpoint of another bundle
    b = put(b, 5, [get(parse(open(sys.argv[4], "rb").read()), 5)[0]])
elif cmd == "same":
    pass
open(dst, "wb").write(build(b))
EOF
python3 "$work/pb.py" same "$work/road.bundle" "$work/same.bundle"
cmp -s "$work/road.bundle" "$work/same.bundle" || fail "the test's protobuf codec does not round-trip a bundle"
python3 "$work/pb.py" alter "$work/road.bundle" "$work/altered.bundle"
python3 "$work/pb.py" index "$work/road.bundle" "$work/index.bundle"
python3 "$work/pb.py" checkpoint "$work/road.bundle" "$work/mixed.bundle" "$work/road2.bundle"
expect 0 "the newer bundle verifies on its own" -- "$gs" verify "$work/road2.bundle" --trust "$work/trust.policy"

witness_vkey=$("$gs" key show "$work/witness.key" --name press-witness --cosigner)
printf 'log %s\nwitness press %s\nquorum press\n' "$node_vkey" "$witness_vkey" >"$work/quorum.policy"
printf 'log %s\nquorum none\n' "$("$gs" key show "$work/other.key" --name giamsat/commune/xa-khac)" >"$work/otherlog.policy"

reject() { # DESCRIPTION BUNDLE POLICY REASON
  expect 1 "verify rejects $1" -- "$gs" verify "$2" --trust "$3" --json
  [ "$(json .verified)" = false ] || fail "$1: verified is not false"
  json .failure | grep -qF "$4" || fail "$1: reason \"$(json .failure)\" lacks \"$4\""
  expect 1 "verify (text) rejects $1" -- "$gs" verify "$2" --trust "$3"
  grep -qF "$4" "$work/err" || fail "$1: text reason \"$(cat "$work/err")\" lacks \"$4\""
}
reject "an altered statement" "$work/altered.bundle" "$work/trust.policy" \
  "the entry was altered: its signature does not verify"
reject "a wrong index" "$work/index.bundle" "$work/trust.policy" \
  "the inclusion proof does not lead to the checkpoint's root"
reject "a proof from another checkpoint" "$work/mixed.bundle" "$work/trust.policy" \
  "the inclusion proof does not lead to the checkpoint's root"
reject "a checkpoint below quorum" "$work/road.bundle" "$work/quorum.policy" \
  "checkpoint below quorum: 0 of 1 witnesses"
reject "an unknown log key" "$work/road.bundle" "$work/wrongkey.policy" \
  "is not signed by the log key the trust file lists"
reject "a log not in the trust file" "$work/road.bundle" "$work/otherlog.policy" \
  "origin $origin is not a log in the trust file"
head -c 100 "$work/road.bundle" >"$work/cut.bundle"
reject "a truncated bundle" "$work/cut.bundle" "$work/trust.policy" "this is not a giamsat bundle"
expect 2 "verify without --trust" -- "$gs" verify "$work/road.bundle"
expect 2 "verify an unreadable file" -- "$gs" verify "$work/nothing.bundle" --trust "$work/trust.policy"
expect 2 "export without --out" -- "$gs" export --index 1
expect 2 "export beyond the log" -- "$gs" export --index 9999 --out "$work/x.bundle"

echo "it_audit: all passed"
