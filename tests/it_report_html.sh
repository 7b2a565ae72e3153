#!/usr/bin/env bash
# it_report_html.sh — the audit's HTML report (common/report_html.h) opened in
# headless Chromium (Debian's chromium, driven by playwright-core from
# tests/browser, installed by tests/run.sh):
#   - tests/data/report10_sample.json (every status, revisions, verdicts, at
#     risk by projection and by silence, a roll-up, a head of two units in
#     turn, ratings over two quarters, a proof and an unverifiable piece of
#     evidence, a name with <script>alert(1)</script>, a name with U+202E) is
#     drawn in Vietnamese and in English with `gs_tool report-html`;
#   - the file refers to nothing outside itself (no script, link, src, url(),
#     @import, http);
#   - tests/browser/check_report.js checks from the rendered DOM: the summary
#     counts equal the JSON's, every chart is present and drawn, the lang
#     attribute and a known heading, no <script> element, the hostile names
#     shown as text, no request leaves the file; it writes a desktop and a
#     phone screenshot into BUILD_DIR/report-html/;
#   - an unknown language is refused (exit 2, a sentence).
#
# usage: it_report_html.sh BUILD_DIR
set -euo pipefail

build=$(cd "$1" && pwd)
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool=$build/tests/gs_tool
sample=$top/tests/data/report10_sample.json
browser=$top/tests/browser
out=$build/report-html
chromium=${CHROMIUM:-/usr/bin/chromium}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ -x "$chromium" ] || fail "no Chromium at $chromium: tests/run.sh installs Debian's chromium"
command -v node >/dev/null || fail "no node: tests/run.sh installs nodejs and npm"
[ -d "$browser/node_modules/playwright-core" ] ||
  fail "tests/browser/node_modules is missing: run 'npm ci --prefix tests/browser' (tests/run.sh does)"

rm -rf "$out"
mkdir -p "$out"

for lang in vi en; do
  html=$out/report-$lang.html
  "$tool" report-html "$sample" "$lang" "$html" || fail "gs_tool report-html $lang failed"
  [ -s "$html" ] || fail "empty report for $lang"
  # Self-contained: nothing that could fetch or run anything.
  if grep -Eqi '<script|<link|<iframe|<img|<object|<embed| src=|url\(|@import|https?://' "$html"; then
    grep -Eoi '.{0,40}(<script|<link|<iframe|<img|<object|<embed| src=|url\(|@import|https?://).{0,40}' \
      "$html" | head -5 >&2
    fail "the $lang report refers to something outside the file or carries markup from the document"
  fi
  grep -q "<html lang=\"$lang\">" "$html" || fail "the $lang report does not declare lang=\"$lang\""
  CHROMIUM=$chromium node "$browser/check_report.js" "$html" "$sample" "$lang" \
    "$out/report-$lang.png" "$out/report-$lang-mobile.png" ||
    fail "the $lang report does not pass the browser check (above)"
done

# Vietnamese labels with their diacritics, from the one table.
for want in "Tóm tắt" "Đã hoàn thành" "Hoàn thành muộn" "Hoàn thành một phần" "Không đạt" "Quá hạn" \
  "Có nguy cơ" "Đang thực hiện" "Người đứng đầu chịu trách nhiệm" "Mức độ hài lòng" "Bằng chứng" \
  "Kiểm chứng kỹ thuật"; do
  grep -qF "$want" "$out/report-vi.html" || fail "the Vietnamese report lacks \"$want\""
done

# A document with nothing to show (no evidence, no logs, none of the issue-10
# fields) still draws a page: no alert, "none" said plainly, zero counts.
cat >"$out/empty.json" <<'EOF'
{ "as_of": "2030-07-01T00:00:00Z", "as_of_unix": 1908748800, "response_days": 30, "hub": null,
  "verified": true, "evidence_count": { "proof": 0, "unverifiable": 0 }, "evidence": [],
  "logs": [], "references": { "checked": 0, "failed": [], "unchecked": [] },
  "people": [], "units": [], "delegation": [] }
EOF
"$tool" report-html "$out/empty.json" en "$out/empty.html" || fail "an empty document does not draw"
grep -q 'id="evidence-none"' "$out/empty.html" || fail "an empty document: no 'evidence: none' line"
if grep -q 'id="evidence-alert"' "$out/empty.html"; then
  fail "an empty document shows an evidence alert"
fi
grep -q 'data-status="total" data-count="0"' "$out/empty.html" || fail "an empty document: no zero total"
grep -q 'data-verified="true"' "$out/empty.html" || fail "an empty document: not shown verified"

# An unknown language is a usage error with a sentence.
set +e
msg=$("$tool" report-html "$sample" fr "$out/report-fr.html" 2>&1)
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "lang fr: exit $rc, expected 2"
case $msg in
*"unknown report language"*) ;;
*) fail "lang fr: unexpected message: $msg" ;;
esac

echo "it_report_html: ok (screenshots in $out)"
