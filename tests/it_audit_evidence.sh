#!/usr/bin/env bash
# it_audit_evidence.sh — the audit tells the whole truth (issue 9 part 4): a
# real giamsat-node and giamsat-hub on ipc://, a split view planted against
# the hub, then
#   - `giamsat audit` through the hub reports the hub's evidence first (text,
#     JSON, HTML), gives the log the status "evidence", exits 1 and never
#     says "everything verified"; the verdict is the audit's own (the same
#     bytes `giamsat verify-evidence` accepts);
#   - tampered evidence handed to the audit (--monitor DIR): a piece whose
#     detector signature was altered, and a piece a lying detector signed
#     whose claim is false, are reported as unverifiable with their detector
#     named, and are never held against the log (audited through the node,
#     where no real evidence exists, the log stays "verified");
#   - a real `giamsat monitor` acting as a witness records a split view in
#     its database; `giamsat audit --monitor DB` reports it as proof.
#
# usage: it_audit_evidence.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
gs=$build/cli/giamsat
node_bin=$build/node/giamsat-node
hub_bin=$build/hub/giamsat-hub
tool=$build/tests/gs_tool
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-audit-evidence-XXXXXX")
node_pid=
hub_pid=
mon_pid=
cleanup() {
  for p in "$node_pid" "$hub_pid" "$mon_pid"; do
    [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
  done
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work/node/node.log" "$work/hub/hub.log" "$work/monitor.log"; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -20 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok   $*"; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"


origin=giamsat/commune/xa-an-binh
hub_origin=giamsat/hub/tinh
node_ep=ipc://$work/node/node.sock
hub_ep=ipc://$work/hub/hub.sock
mon_ep=ipc://$work/mon.sock

for who in citizen liar press; do
  "$gs" key new --out "$work/$who.key" >/dev/null
done

expect 0 "node init" -- "$gs" node init --dir "$work/node" --tier commune --unit xa-an-binh \
  --name "Xa An Binh" --listen "$node_ep"
sed -i 's/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' "$work/node/node.conf"
node_vkey=$("$gs" key show "$work/node/node.key" --name "$origin")
expect 0 "hub init" -- "$gs" hub init --dir "$work/hub" --name tinh --listen "$hub_ep"
sed -i 's/^poll_interval_ms = .*/poll_interval_ms = 100/; s/^checkpoint_interval_ms = .*/checkpoint_interval_ms = 50/' \
  "$work/hub/hub.conf"
hub_vkey=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin")
hub_cosigner=$("$gs" key show "$work/hub/hub.key" --name "$hub_origin" --cosigner)
press_cosigner=$("$gs" key show "$work/press.key" --name press-monitor --cosigner)
expect 0 "hub follows the node" -- "$gs" hub follow --config "$work/hub/hub.conf" \
  --origin "$origin" --log-key "$node_vkey" --source "$node_ep"
# The hub and the press monitor are witnesses of the trust file (no quorum
# needed): the report then names them as such.
printf 'log %s\nlog %s\nwitness tinh %s\nwitness press %s\nquorum none\n' \
  "$node_vkey" "$hub_vkey" "$hub_cosigner" "$press_cosigner" >"$work/trust.policy"

"$node_bin" --config "$work/node/node.conf" 2>"$work/node/node.log" &
node_pid=$!
"$hub_bin" --config "$work/hub/hub.conf" 2>"$work/hub/hub.log" &
hub_pid=$!
wait_until 120 "the node serves" "$gs" checkpoint --connect "$node_ep"
wait_until 120 "the hub serves" "$gs" checkpoint --connect "$hub_ep"

for i in 1 2 3; do
  expect 0 "feedback $i" -- "$gs" feedback --connect "$node_ep" --key "$work/citizen.key" \
    --text "feedback $i"
done
size=4
node_at() { [ "$("$gs" checkpoint --connect "$node_ep" | sed -n 2p)" = "$1" ]; }
hub_cosigned() {
  local note
  note=$("$gs" checkpoint --connect "$hub_ep" --origin "$origin" 2>/dev/null) || return 1
  [ "$(sed -n 2p <<<"$note")" = "$1" ] && grep -q "^— $hub_origin " <<<"$note"
}
wait_until 120 "the node's checkpoint reaches $size" node_at $size
wait_until 120 "the hub cosigns $size" hub_cosigned $size
pass "the hub cosigned the log at size $size"

audit() { "$gs" audit --connect "$hub_ep" --trust "$work/trust.policy" "$@"; }

# ---- before: nothing held, everything verified
expect 0 "audit before any evidence" -- audit
sed -n 2p "$work/out" | grep -qx "EVIDENCE: none" || fail "the text report does not lead with EVIDENCE: none: $(head -3 "$work/out")"
grep -q "everything verified" "$work/out" || fail "no 'everything verified' for an honest network"
expect 0 "audit (json) before any evidence" -- audit --json
jq -e '.verified == true and .evidence == [] and .evidence_count == {"proof": 0, "unverifiable": 0}
       and ([.logs[] | .status] | all(. == "verified"))
       and ([.logs[] | .frozen_by_evidence] | all(. == false))' "$work/out" >/dev/null ||
  fail "JSON before the split view: $(cat "$work/out")"
pass "no evidence: the JSON says so and every log is verified"

# ---- the split view: a second checkpoint of the same size, another root,
# signed with the node's key, shown to the hub.
forged_root=$(python3 -c 'import base64, hashlib; print(base64.b64encode(hashlib.sha256(b"another history").digest()).decode())')
"$tool" note "$work/node/node.key" "$origin" $size "$forged_root" >"$work/forged.note"
set +e
"$tool" add-checkpoint "$hub_ep" - $size "$work/forged.note" >"$work/add.out" 2>&1
set -e
grep -q "split view" "$work/add.out" || fail "the hub did not take the forged checkpoint as a split view: $(cat "$work/add.out")"
hub_holds_evidence() {
  "$gs" evidence --connect "$hub_ep" --origin "$origin" --json >"$work/ev.json" 2>/dev/null &&
    [ "$(jq length "$work/ev.json")" = 1 ]
}
wait_until 120 "the hub holds the split-view evidence" hub_holds_evidence
# Its own log shows it too (the Evidence entry), once checkpointed.
hub_log_has_evidence() {
  "$gs" entries --connect "$hub_ep" --origin "$hub_origin" --json >"$work/hub-entries.json" 2>/dev/null &&
    jq -e '[.[] | select(.kind == "evidence")] | length == 1' "$work/hub-entries.json" >/dev/null
}
wait_until 120 "the hub's own log carries the Evidence entry" hub_log_has_evidence
pass "the hub recorded split-view evidence against $origin"

# ---- text: evidence first, exit 1, never "everything verified"
expect 1 "audit (text) exits 1 on the hub's evidence" -- audit
cp "$work/out" "$work/audit.txt"
sed -n 2p "$work/audit.txt" | grep -qx "EVIDENCE: 1 verified (proof), 0 unverifiable (not proof)" ||
  fail "the text report does not lead with the evidence: $(head -5 "$work/audit.txt")"
sed -n 3p "$work/audit.txt" | grep -qF "[1] PROOF split-view against the log $origin (frozen by evidence)" ||
  fail "the first piece is not the proof: $(sed -n 3p "$work/audit.txt")"
grep -qF "detector: $hub_origin (key $("$gs" key show "$work/hub/hub.key"))" "$work/audit.txt" ||
  fail "the detector is not named: $(cat "$work/audit.txt")"
grep -q "everything verified" "$work/audit.txt" && fail "'everything verified' printed with evidence"
grep -q "^verification: FAILED: verified evidence of misbehaviour" "$work/audit.txt" || fail "verification line"
grep -qE "^  $origin +evidence " "$work/audit.txt" || fail "the log's status is not evidence: $(cat "$work/audit.txt")"
grep -qx "      EVIDENCE \[1\]: proof of split-view by $hub_origin" "$work/audit.txt" ||
  fail "the log's line does not name its evidence: $(cat "$work/audit.txt")"
grep -qF "the audit found evidence: 1 verified" "$work/err" || fail "stderr: $(cat "$work/err")"
pass "text: the evidence leads, the log's status is evidence, no 'everything verified'"

# ---- JSON
expect 1 "audit (json) exits 1 on the hub's evidence" -- audit --format json
cp "$work/out" "$work/audit.json"
python3 - "$work/audit.json" "$origin" "$hub_origin" "$("$gs" key show "$work/hub/hub.key")" "$forged_root" "$size" <<'EOF' || fail "audit JSON with evidence"
import base64, json, sys
d = json.load(open(sys.argv[1]))
origin, hub_origin, hub_key, forged_root, size = sys.argv[2:6] + [int(sys.argv[6])]
keys = list(d.keys())
assert keys.index("evidence") < keys.index("logs"), keys
assert d["verified"] is False
assert d["evidence_count"] == {"proof": 1, "unverifiable": 0}, d["evidence_count"]
[e] = d["evidence"]
assert e["n"] == 1 and e["verdict"] == "proof" and e["kind"] == "split-view", e
assert e["origin"] == origin and e["against"] == "log" and e["error"] is None, e
assert e["proves"] and "split view" in e["description"], e
det = e["detector"]
assert det.pop("fingerprint") == base64.b64decode(hub_key)[:8].hex(), det
assert det == {"key": hub_key, "origin": hub_origin, "witness": "tinh", "signature_verified": True}, det
sizes = [c["size"] for c in e["checkpoints"]]
roots = [c["root_b64"] for c in e["checkpoints"]]
assert sizes == [size, size] and roots[0] != roots[1] and forged_root in roots, e["checkpoints"]
assert e["found_in"]["hub"] is True and isinstance(e["found_in"]["hub_log_index"], int), e["found_in"]
assert e["found_in"]["monitor"] is None
logs = {l["origin"]: l for l in d["logs"]}
assert logs[origin]["status"] == "evidence" and logs[origin]["frozen_by_evidence"] is True, logs[origin]
assert logs[origin]["evidence"] == [1]
# The replay itself still verifies: the evidence is what changes the status.
assert logs[origin]["entries_verified"] == size and logs[origin]["failures"] == [], logs[origin]
assert logs[hub_origin]["status"] == "verified" and logs[hub_origin]["evidence"] == [], logs[hub_origin]
EOF
pass "json: evidence before logs, the proof with its kind, detector and checkpoints; the log frozen"

# ---- HTML
expect 1 "audit (html) exits 1 on the hub's evidence" -- audit --format html --out "$work/audit.html"
grep -q "everything verified" "$work/audit.html" && fail "html says everything verified"
# The page leads with the evidence alert, before the summary, the units and
# the technical verification (where the log's status is).
ev_line=$(grep -n 'id="evidence-alert"' "$work/audit.html" | head -1 | cut -d: -f1)
summary_line=$(grep -n 'id="summary"' "$work/audit.html" | head -1 | cut -d: -f1)
logs_line=$(grep -n 'id="verification"' "$work/audit.html" | head -1 | cut -d: -f1)
[ -n "$ev_line" ] && [ -n "$summary_line" ] && [ -n "$logs_line" ] &&
  [ "$ev_line" -lt "$summary_line" ] && [ "$ev_line" -lt "$logs_line" ] ||
  fail "html does not lead with the evidence (alert $ev_line, summary $summary_line, verification $logs_line)"
grep -q 'PROOF against the log (frozen)' "$work/audit.html" || fail "html lacks the proof"
grep -q '<td data-label="Status"><span class="badge"[^>]*>evidence</span></td>' "$work/audit.html" ||
  fail "html log status"
pass "html: the evidence section comes first"

# ---- the same verdict from the same bytes: verify-evidence agrees
mkdir "$work/hubev"
expect 0 "giamsat evidence --out" -- "$gs" evidence --connect "$hub_ep" --origin "$origin" --out "$work/hubev"
expect 0 "verify-evidence accepts the hub's piece" -- "$gs" verify-evidence "$work/hubev/1-split-view.evidence" \
  --trust "$work/trust.policy"

# ---- tampered evidence: never held against the log
mkdir "$work/tampered"
# (1) the hub's piece with one byte of its detector signature flipped
python3 - "$work/hubev/1-split-view.evidence" "$work/tampered/1-split-view.evidence" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-1] ^= 0x01  # the last byte of the SignedStatement's signature field
open(sys.argv[2], "wb").write(bytes(b))
EOF
# (2) a lying detector: validly signed, but its claim is false
"$tool" false-evidence "$work/liar.key" "$work/hubev/1-split-view.evidence" \
  "$work/tampered/2-split-view.evidence"
for f in "$work/tampered"/*.evidence; do
  expect 1 "verify-evidence refuses $(basename "$f")" -- "$gs" verify-evidence "$f" --trust "$work/trust.policy"
done
expect 1 "audit of the node with tampered evidence exits 1" -- "$gs" audit --connect "$node_ep" \
  --trust "$work/trust.policy" --monitor "$work/tampered" --json
python3 - "$work/out" "$origin" "$hub_origin" "$("$gs" key show "$work/hub/hub.key")" "$("$gs" key show "$work/liar.key")" "$work/tampered" <<'EOF' || fail "audit JSON with tampered evidence"
import base64, json, sys
d = json.load(open(sys.argv[1]))
origin, hub_origin, hub_key, liar_key, folder = sys.argv[2:7]
assert d["verified"] is False
assert d["evidence_count"] == {"proof": 0, "unverifiable": 2}, d["evidence_count"]
a, b = d["evidence"]
for e in (a, b):
    assert e["verdict"] == "unverifiable" and e["against"] is None and e["proves"] is None, e
    assert e["origin"] == origin and e["kind"] == "split-view" and e["error"], e
# the altered piece: its detector named as it claims, its signature refused
assert a["detector"].pop("fingerprint") == base64.b64decode(hub_key)[:8].hex(), a["detector"]
assert a["detector"] == {"key": hub_key, "origin": hub_origin, "witness": "tinh",
                         "signature_verified": False}, a["detector"]
assert "signature does not verify" in a["error"], a["error"]
assert a["found_in"]["monitor"] == folder + "/1-split-view.evidence", a["found_in"]
# the lying detector: its signature holds, its claim does not
assert b["detector"]["key"] == liar_key and b["detector"]["signature_verified"] is True, b["detector"]
assert b["detector"]["witness"] is None and b["detector"]["origin"] == origin, b["detector"]
[log] = d["logs"]
assert log["origin"] == origin and log["status"] == "verified", log
assert log["frozen_by_evidence"] is False and log["evidence"] == [1, 2], log
EOF
pass "tampered evidence: unverifiable, its detectors named, the log still verified"
expect 1 "audit (text) of the node with tampered evidence" -- "$gs" audit --connect "$node_ep" \
  --trust "$work/trust.policy" --monitor "$work/tampered"
sed -n 2p "$work/out" | grep -qx "EVIDENCE: 0 verified (proof), 2 unverifiable (not proof)" ||
  fail "text with tampered evidence: $(head -5 "$work/out")"
grep -qF "UNVERIFIABLE split-view about $origin: NOT proof, nothing is held against the log" "$work/out" ||
  fail "text does not say the piece is not proof: $(cat "$work/out")"
grep -qF "its signature does NOT verify" "$work/out" || fail "text does not say the detector signature fails"
grep -q "everything verified" "$work/out" && fail "'everything verified' printed with unverifiable evidence"
grep -qE "^  $origin +verified " "$work/out" || fail "the log is not verified in text: $(cat "$work/out")"
pass "text: unverifiable pieces lead the report and the log stays verified"

# The hub's real piece with the tampered ones: one piece (the same bytes via
# the hub and a folder count once), two unverifiable.
cp "$work/hubev/1-split-view.evidence" "$work/tampered/3-split-view.evidence"
expect 1 "audit through the hub with the tampered folder" -- audit --monitor "$work/tampered" --json
jq -e '.evidence_count == {"proof": 1, "unverifiable": 2}
       and ([.evidence[] | select(.verdict == "proof")][0].found_in | .hub == true and (.monitor | endswith("/3-split-view.evidence")))' \
  "$work/out" >/dev/null || fail "the same piece from the hub and a folder: $(jq .evidence "$work/out")"
pass "the same bytes from the hub and a monitor folder are one piece"

# ---- a real monitor's database
mkdir -p "$work/mon"
"$gs" monitor --trust "$work/trust.policy" --witness-key "$work/press.key" --witness-name press-monitor \
  --listen "$mon_ep" --db "$work/mon/monitor.db" --duration 300 >"$work/monitor.log" 2>&1 &
mon_pid=$!
wait_until 120 "the monitor listens" test -S "$work/mon.sock"
"$gs" checkpoint --connect "$node_ep" >"$work/true.note"
wait_until 120 "the monitor cosigns the true checkpoint" "$tool" add-checkpoint "$mon_ep" - 0 "$work/true.note"
set +e
"$tool" add-checkpoint "$mon_ep" - $size "$work/forged.note" >"$work/add.out" 2>&1
set -e
monitor_has_evidence() { ls "$work/mon"/*-split-view.evidence >/dev/null 2>&1; }
wait_until 120 "the monitor records the split view" monitor_has_evidence
kill -TERM "$mon_pid"
wait "$mon_pid" || true
mon_pid=
expect 1 "audit of the node with the monitor's database" -- "$gs" audit --connect "$node_ep" \
  --trust "$work/trust.policy" --monitor "$work/mon/monitor.db" --json
python3 - "$work/out" "$origin" "$("$gs" key show "$work/press.key")" "$work/mon/monitor.db" <<'EOF' || fail "audit JSON with a monitor's database"
import json, sys
d = json.load(open(sys.argv[1]))
origin, press_key, db = sys.argv[2:5]
assert d["evidence_count"] == {"proof": 1, "unverifiable": 0}, d["evidence_count"]
[e] = d["evidence"]
assert e["verdict"] == "proof" and e["kind"] == "split-view" and e["against"] == "log", e
assert e["detector"]["key"] == press_key and e["detector"]["witness"] == "press", e["detector"]
assert e["found_in"]["monitor"].startswith(db + "#") and e["found_in"]["hub"] is False, e["found_in"]
[log] = d["logs"]
assert log["status"] == "evidence" and log["frozen_by_evidence"] is True, log
EOF
pass "the monitor's database: its split view is proof, the log's status is evidence"

expect 2 "audit --monitor of a file that is no monitor database" -- audit --monitor "$work/trust.policy"
grep -q "monitor" "$work/err" || fail "no clear error: $(cat "$work/err")"
expect 2 "audit --monitor of a missing path" -- audit --monitor "$work/nothing"

echo "it_audit_evidence: all passed"
