#!/usr/bin/env bash
# it_quickstart.sh — the quickstart scenario as an integration test: the
# whole multi-tier network of deploy/network.sh, the story of
# deploy/quickstart.sh, then the audit's JSON must name exactly the people
# and statuses the story produced — the missed commitment attributed to the
# head in office at its deadline, not to the successor — and the exported
# bundle must verify offline.
#
# usage: it_quickstart.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/giamsat-it-quickstart-XXXXXX")
cleanup() {
  "$top/deploy/network.sh" down "$work/net" >/dev/null 2>&1 || true
  [ -n "${GS_IT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

if ! GIAMSAT_HTTP_PORT=28470 GIAMSAT_BIN=$build "$top/deploy/quickstart.sh" --dir "$work/net" >"$work/out" 2>&1; then
  tail -40 "$work/out" >&2
  for f in "$work"/net/logs/*.log; do echo "== $f" >&2; tail -5 "$f" >&2; done
  echo "FAIL: the quickstart did not complete" >&2
  exit 1
fi
echo "ok   the quickstart ran to the end"

python3 - "$work/net/audit.json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

if not a["verified"]:
    fail("the audit did not verify every log")
logs = {l["origin"]: l for l in a["logs"]}
for o in ["giamsat/central/chinh-phu", "giamsat/province/ha-noi", "giamsat/province/da-nang",
          "giamsat/commune/phuc-xa", "giamsat/commune/ba-dinh", "giamsat/commune/hai-chau",
          "giamsat/commune/thanh-khe"]:
    if o not in logs:
        fail("the audit did not cover " + o)

people = {p["name"]: p for p in a["people"]}
def status(name, cid):
    for c in people[name]["commitments"]:
        if c["id"] == cid:
            return c["status"]
    fail("%s owns no commitment %s" % (name, cid))

want = {
    ("Pham Thi Lan", "px-2026"): "delivered",
    ("Hoang Van Minh", "bd-2026"): "missed",
    ("Vo Van Tam", "hc-2026"): "overdue",
    ("Bui Thi Mai", "tk-2027"): "open",
    ("Tran Van Quoc", "poverty-2027"): "open",
    ("Le Thi Hoa", "poverty-hn"): "open",
    ("Nguyen Van Son", "poverty-dn"): "open",
}
for (name, cid), st in want.items():
    got = status(name, cid)
    if got != st:
        fail("%s %s: %s, want %s" % (name, cid, got, st))
print("ok   every commitment has its owner and status")

tk = [c for c in people["Bui Thi Mai"]["commitments"] if c["id"] == "tk-2027"][0]
if tk["revision_count"] != 1 or tk["target"] != "50" or tk["baseline"]["target"] != "60":
    fail("thanh-khe's revision: %s" % {k: tk.get(k) for k in ("revision_count", "target", "baseline")})
print("ok   the revision is in force and the original target is kept")

# The successor reported the outcome, but owns nothing and answers for nothing.
if people["Trinh Van Khoa"]["summary"]["missed"] != 0 or people["Trinh Van Khoa"]["commitments"]:
    fail("the successor head is charged with the missed commitment")
units = {u["origin"]: u for u in a["units"]}
bd = [d for d in units["giamsat/commune/ba-dinh"]["deadlines_failed"] if d["id"] == "bd-2026"]
if len(bd) != 1 or bd[0]["status"] != "missed":
    fail("ba-dinh's missed deadline is not listed")
h = bd[0]["head_at_deadline"]
if h["name"] != "Hoang Van Minh" or h["still_in_office"]:
    fail("the head at ba-dinh's deadline is %s (in office: %s)" % (h["name"], h["still_in_office"]))
hc = [d for d in units["giamsat/commune/hai-chau"]["deadlines_failed"] if d["id"] == "hc-2026"]
if len(hc) != 1 or hc[0]["status"] != "overdue" or hc[0]["head_at_deadline"]["name"] != "Vo Van Tam":
    fail("hai-chau's overdue deadline is not attributed to Vo Van Tam")
if units["giamsat/commune/phuc-xa"]["deadlines_failed"]:
    fail("phuc-xa delivered but is listed with a failed deadline")
print("ok   the missed deadline is attributed to the head in office then, not the successor")

def addressed(name):
    return people[name]["addressed"]
lan = [x for x in addressed("Pham Thi Lan") if x["kind"] == "feedback"]
tam = [x for x in addressed("Vo Van Tam") if x["kind"] == "feedback"]
minh = [x for x in addressed("Hoang Van Minh") if x["kind"] == "finding"]
if len(lan) != 1 or lan[0]["status"] != "responded":
    fail("phuc-xa's answered complaint: %s" % lan)
if len(tam) != 1 or tam[0]["status"] == "responded":
    fail("hai-chau's unanswered complaint: %s" % tam)
if len(minh) != 1 or minh[0]["severity"] != "high":
    fail("ba-dinh's finding: %s" % minh)
print("ok   the finding, the answered and the unanswered complaint are attributed")

for unit, rating in (("giamsat/commune/phuc-xa", 2), ("giamsat/commune/hai-chau", 1)):
    sat = units[unit]["satisfaction"]
    if len(sat) != 1 or sat[0]["count"] != 1 or sat[0]["sum"] != rating:
        fail("%s's satisfaction: %s" % (unit, sat))
print("ok   the citizens' ratings are counted per unit")

# The delegation tree: national -> provinces -> communes.
def find(tree, cid):
    for n in tree:
        if n["id"] == cid:
            return n
        got = find(n.get("children", []), cid)
        if got:
            return got
root = find(a["delegation"], "poverty-2027")
if root is None:
    fail("no delegation tree for the national commitment")
kids = sorted(c["id"] for c in root.get("children", []))
if kids != ["poverty-dn", "poverty-hn"]:
    fail("national commitment's children: %s" % kids)
hn = find(a["delegation"], "poverty-hn")
if sorted(c["id"] for c in hn.get("children", [])) != ["bd-2026", "px-2026"]:
    fail("Ha Noi's children: %s" % [c["id"] for c in hn.get("children", [])])
print("ok   the delegation tree runs from the government to the communes")
EOF

grep -q "^VERIFIED" "$work/out" || { echo "FAIL: the exported bundle did not verify" >&2; exit 1; }
grep -q "who: *Trinh Van Khoa, head" "$work/out" || { echo "FAIL: verify does not name the signer's role" >&2; exit 1; }
echo "ok   the exported bundle verifies offline and names its signer and role"
[ -s "$work/net/audit.html" ] || { echo "FAIL: no HTML report" >&2; exit 1; }
grep -q '<html lang="vi"' "$work/net/audit.html" || { echo "FAIL: the HTML report is not in Vietnamese" >&2; exit 1; }
grep -q "^    giamsat/commune/ba-dinh$" "$work/out" ||
  { echo "FAIL: the quickstart did not read Ba Dinh's checkpoint over HTTP" >&2; exit 1; }
grep -Eq "Atom feed of Ba Dinh \([1-9][0-9]* entries\)" "$work/out" ||
  { echo "FAIL: Ba Dinh's Atom feed has no entries" >&2; exit 1; }
grep -q "web view, which verifies every statement in your browser: http://127.0.0.1:[0-9]*/web/" "$work/out" ||
  { echo "FAIL: the quickstart does not show the web view's address" >&2; exit 1; }
echo "ok   the logs are read over plain HTTP: a checkpoint, a feed, the web view's address"
echo "ok: quickstart scenario"
