// app.js — the hub's public web view (docs/http.md "Web view"): a
// single-page app over the hub's own JSON (/data/…) and tiles (/<origin>/…),
// with hash routes
//   #/                              units by tier, the network's summary
//   #/people                        people and their scorecards
//   #/unit/<origin>                 a unit: heads, commitments, statements
//   #/person/<key>                  a person (key: unpadded base64url)
//   #/commitment/<origin>/<index>   a commitment, its status and history
//   #/statement/<origin>/<index>    a statement, verified in this browser
//   #/trust                         the trust policy in use; paste or load one
// Vietnamese by default, English with ?lang=en or the toggle.
//
// Every string from the hub is untrusted: it reaches the page only as text
// (textContent, never markup), with bidi and zero-width controls shown as
// <U+202E> (as the audit's reports do, docs/audit.md).
import * as V from './verify.js';

// ---------------------------------------------------------------- words

const WORDS = {
  home: ['Units', 'Đơn vị'],
  people: ['People', 'Cá nhân'],
  trust: ['Trust policy', 'Chính sách tin cậy'],
  lang_other: ['Tiếng Việt', 'English'],
  lang_other_label: ['Xem bằng tiếng Việt', 'View in English'],
  title: ['Public accountability', 'Giám sát trách nhiệm công khai'],
  as_of: ['As of', 'Tính đến'],
  summary: ['Summary', 'Tóm tắt'],
  all_commitments: ['All commitments in the network', 'Tất cả cam kết trong mạng lưới'],
  evidence_alert: ['Evidence of misbehaviour: %s verified proof(s). See the audit report.', 'Bằng chứng vi phạm: %s bằng chứng đã xác thực. Xem báo cáo kiểm toán.'],
  report_unverified: ['The hub\'s audit did NOT verify everything.', 'Kiểm toán của trạm KHÔNG kiểm chứng được tất cả.'],
  delivered: ['Delivered', 'Đã hoàn thành'],
  delivered_late: ['Delivered late', 'Hoàn thành muộn'],
  partially_delivered: ['Partially delivered', 'Hoàn thành một phần'],
  missed: ['Missed', 'Không đạt'],
  overdue: ['Overdue', 'Quá hạn'],
  at_risk: ['At risk', 'Có nguy cơ'],
  open: ['In progress', 'Đang thực hiện'],
  total: ['Total', 'Tổng'],
  central: ['Central', 'Trung ương'],
  province: ['Province', 'Tỉnh'],
  commune: ['Commune', 'Xã'],
  hub: ['Hub', 'Trạm'],
  unit: ['Unit', 'Đơn vị'],
  origin: ['Log', 'Sổ'],
  heads: ['Heads of the unit', 'Người đứng đầu đơn vị'],
  head_now: ['Head', 'Người đứng đầu'],
  in_office: ['in office', 'đương nhiệm'],
  until: ['until', 'đến'],
  since: ['since', 'từ'],
  none: ['(none)', '(không có)'],
  log_status: ['Log', 'Sổ'],
  logs: ['Logs checked by the hub\'s audit', 'Các sổ được trạm kiểm toán'],
  size: ['Entries', 'Số mục'],
  witnesses: ['Cosigned by', 'Đồng ký bởi'],
  verified: ['verified', 'đã kiểm chứng'],
  failed: ['failed', 'thất bại'],
  skipped: ['skipped', 'bỏ qua'],
  evidence: ['evidence against it', 'có bằng chứng vi phạm'],
  commitments: ['Commitments', 'Cam kết'],
  commitment: ['Commitment', 'Cam kết'],
  status: ['Status', 'Trạng thái'],
  owner: ['Owner', 'Người chịu trách nhiệm'],
  target: ['Target', 'Mục tiêu'],
  deadline: ['Deadline', 'Hạn chót'],
  outcome: ['Outcome', 'Kết quả'],
  progress: ['Latest progress', 'Tiến độ mới nhất'],
  progress_reports: ['progress report(s)', 'báo cáo tiến độ'],
  baseline: ['Original promise', 'Cam kết ban đầu'],
  revisions: ['Revisions', 'Điều chỉnh'],
  verdicts: ['Inspectors\' verdicts', 'Kết luận của thanh tra'],
  history: ['History', 'Lịch sử'],
  statements: ['Statements', 'Các tuyên bố'],
  no_events: ['No statements published yet.', 'Chưa có tuyên bố nào được công bố.'],
  events_unavailable: ['The list of statements is not available: %s', 'Không tải được danh sách tuyên bố: %s'],
  feed: ['Atom feed', 'Nguồn tin Atom'],
  deadlines_failed: ['Deadlines that failed', 'Các hạn chót không đạt'],
  head_at_deadline: ['Head at the deadline', 'Người đứng đầu khi đến hạn'],
  findings_feedback: ['Findings and feedback', 'Kết luận thanh tra và phản ánh'],
  satisfaction: ['Satisfaction', 'Mức độ hài lòng'],
  scorecard: ['Scorecard', 'Bảng đánh giá'],
  roles: ['Roles', 'Chức vụ'],
  own: ['Their own commitments', 'Cam kết của chính họ'],
  failed_as_head: ['Failed deadlines while head', 'Hạn chót không đạt khi là người đứng đầu'],
  addressed: ['Findings and feedback addressed to them', 'Kết luận và phản ánh gửi tới họ'],
  answered_in_time: ['answered in time', 'trả lời đúng hạn'],
  answered_late: ['answered late', 'trả lời muộn'],
  unanswered: ['unanswered', 'chưa trả lời'],
  pending: ['awaiting an answer', 'đang chờ trả lời'],
  key: ['Key', 'Khóa'],
  fingerprint: ['Fingerprint', 'Dấu vân tay'],
  not_found: ['Not found: %s', 'Không tìm thấy: %s'],
  load_failed: ['Could not load %s: %s', 'Không tải được %s: %s'],
  verify_this: ['verify', 'xác minh'],
  statement: ['Statement', 'Tuyên bố'],
  statement_of: ['Entry %s of %s', 'Mục %s của sổ %s'],
  checking: ['Checking in this browser…', 'Đang kiểm chứng trong trình duyệt này…'],
  verified_by: ['Verified by %s of %s witnesses', 'Đã xác minh bởi %s/%s nhân chứng'],
  not_verified: ['NOT verified: %s', 'KHÔNG xác minh được: %s'],
  what_checked: ['What this browser checked', 'Những gì trình duyệt này đã kiểm chứng'],
  step_policy: ['Trust policy: %s logs, %s witnesses, quorum "%s"', 'Chính sách tin cậy: %s sổ, %s nhân chứng, ngưỡng "%s"'],
  step_checkpoint: ['Checkpoint: tree size %s, root %s', 'Điểm kiểm tra: kích thước cây %s, gốc %s'],
  step_log_signature_ok: ['The log key signed the checkpoint (%s)', 'Khóa của sổ đã ký điểm kiểm tra (%s)'],
  step_log_signature_bad: ['The checkpoint is NOT signed by the log key %s', 'Điểm kiểm tra KHÔNG được ký bởi khóa của sổ %s'],
  step_cosignatures: ['Cosignatures: %s of %s witnesses; quorum "%s" %s', 'Chữ ký đồng xác nhận: %s/%s nhân chứng; ngưỡng "%s" %s'],
  quorum_met: ['met', 'đạt'],
  quorum_not_met: ['NOT met', 'KHÔNG đạt'],
  witness_cosigned: ['cosigned at %s', 'đồng ký lúc %s'],
  witness_self: ['the log\'s own key (its signature counts)', 'chính khóa của sổ (chữ ký của sổ được tính)'],
  witness_bad: ['a line that does NOT verify', 'một dòng chữ ký KHÔNG hợp lệ'],
  witness_missing: ['no cosignature', 'không có chữ ký'],
  step_entry: ['Entry read from %s (%s bytes), leaf hash %s', 'Đã đọc mục từ %s (%s byte), băm lá %s'],
  step_inclusion_ok: ['Inclusion proof from %s hash tile(s) (%s hashes) leads to the checkpoint\'s root', 'Bằng chứng bao hàm từ %s ô băm (%s giá trị băm) dẫn đến gốc của điểm kiểm tra'],
  step_inclusion_bad: ['The inclusion proof leads to %s, NOT to the checkpoint\'s root', 'Bằng chứng bao hàm dẫn đến %s, KHÔNG phải gốc của điểm kiểm tra'],
  step_statement: ['The entry is a %s statement for %s', 'Mục này là tuyên bố loại %s cho sổ %s'],
  step_signature_ok: ['The signer\'s signature verifies (%s)', 'Chữ ký của người ký hợp lệ (%s)'],
  step_signature_bad: ['The signature does NOT verify with the signer\'s key %s', 'Chữ ký KHÔNG hợp lệ với khóa của người ký %s'],
  step_failed: ['Failed: %s', 'Thất bại: %s'],
  reason_policy: ['the trust policy', 'chính sách tin cậy'],
  reason_fetch: ['the hub did not serve the data', 'trạm không cung cấp dữ liệu'],
  reason_checkpoint: ['the checkpoint', 'điểm kiểm tra'],
  'reason_log-signature': ['the log\'s signature', 'chữ ký của sổ'],
  reason_quorum: ['quorum (not enough witnesses)', 'ngưỡng nhân chứng (không đủ nhân chứng)'],
  reason_entry: ['the entry', 'mục nhật ký'],
  reason_inclusion: ['inclusion (the entry is not the one in the log)', 'bằng chứng bao hàm (mục không khớp với sổ)'],
  reason_statement: ['the statement', 'tuyên bố'],
  reason_signature: ['signature (the statement was not signed by its signer)', 'chữ ký (tuyên bố không được người ký ký)'],
  details: ['What it says', 'Nội dung'],
  kind: ['Kind', 'Loại'],
  signer: ['Signer', 'Người ký'],
  issued_at: ['Issued at', 'Thời điểm ban hành'],
  seq: ['Sequence', 'Số thứ tự'],
  policy_in_use: ['The policy in use', 'Chính sách đang dùng'],
  policy_source_hub: ['The hub\'s suggested policy (%s). A policy you paste or load here replaces it in this browser.', 'Chính sách do trạm đề xuất (%s). Chính sách bạn dán hoặc tải lên ở đây sẽ thay thế nó trong trình duyệt này.'],
  policy_source_local: ['Your own policy, kept in this browser.', 'Chính sách của riêng bạn, lưu trong trình duyệt này.'],
  policy_explain: ['A statement is verified when the log key listed here signed the checkpoint, the witnesses listed here cosigned it as the quorum asks, and the entry, proven included in that checkpoint, carries its signer\'s valid signature. Format: c2sp.org/tlog-policy.', 'Một tuyên bố được xác minh khi khóa của sổ liệt kê ở đây đã ký điểm kiểm tra, các nhân chứng liệt kê ở đây đã đồng ký đủ ngưỡng, và mục nhật ký — được chứng minh nằm trong điểm kiểm tra đó — mang chữ ký hợp lệ của người ký. Định dạng: c2sp.org/tlog-policy.'],
  policy_logs: ['Logs', 'Sổ'],
  policy_witnesses: ['Witnesses', 'Nhân chứng'],
  policy_groups: ['Groups', 'Nhóm'],
  policy_quorum: ['Quorum', 'Ngưỡng'],
  group_need: ['%s of %s: %s', '%s trong %s: %s'],
  policy_edit: ['Paste a policy', 'Dán chính sách'],
  policy_load: ['…or load a file', '…hoặc tải tệp lên'],
  policy_use: ['Use this policy', 'Dùng chính sách này'],
  policy_reset: ['Back to the hub\'s policy', 'Quay lại chính sách của trạm'],
  policy_saved: ['Saved: this browser now verifies with this policy.', 'Đã lưu: trình duyệt này giờ kiểm chứng theo chính sách này.'],
  policy_refused: ['Refused, nothing changed: %s', 'Bị từ chối, không có gì thay đổi: %s'],
  policy_reset_done: ['This browser uses the hub\'s policy again.', 'Trình duyệt này lại dùng chính sách của trạm.'],
  policy_unavailable: ['No policy: the hub\'s could not be loaded (%s); paste one.', 'Không có chính sách: không tải được chính sách của trạm (%s); hãy dán một chính sách.'],
  quorum_none: ['none (no cosignature needed)', 'không (không cần chữ ký đồng xác nhận)'],
  footer: ['Every statement page verifies in your browser against the trust policy; nothing here is taken on the hub\'s word.', 'Mỗi trang tuyên bố được kiểm chứng ngay trong trình duyệt của bạn theo chính sách tin cậy; không điều gì ở đây chỉ dựa vào lời của trạm.'],
  count_units: ['%s units', '%s đơn vị'],
  rating: ['rating', 'đánh giá'],
  severity: ['severity', 'mức độ'],
  response_status: ['answer', 'trả lời'],
  responded: ['answered', 'đã trả lời'],
  'responded-late': ['answered late', 'trả lời muộn'],
  of_target: ['of target', 'so với mục tiêu'],
  mean: ['mean', 'trung bình'],
  ratings: ['ratings', 'lượt đánh giá'],
};

const LANGS = ['en', 'vi'];
let lang = 'vi';
function pickLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (LANGS.includes(q)) return q;
  try {
    const s = localStorage.getItem('giamsat.lang');
    if (LANGS.includes(s)) return s;
  } catch (e) {
    /* storage off: the default */
  }
  return 'vi';
}
function t(key, ...args) {
  const w = WORDS[key];
  let s = w ? w[LANGS.indexOf(lang)] : key;
  for (const a of args) s = s.replace('%s', String(a));
  return s;
}

// ---------------------------------------------------------------- the DOM, as text only

// Bidi and zero-width controls shown, not obeyed (docs/audit.md).
const CONTROLS = /[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
const shown = (s) => String(s).replace(CONTROLS, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(shown(k)));
  }
  return e;
}
const link = (href, ...kids) => el('a', { href }, ...kids);
const enc = (s) => s.split('/').map(encodeURIComponent).join('/');
const unitHref = (origin) => `#/unit/${enc(origin)}`;
const statementHref = (origin, index) => `#/statement/${enc(origin)}/${index}`;
const commitmentHref = (origin, index) => `#/commitment/${enc(origin)}/${index}`;
function personHref(key) {
  try {
    return `#/person/${V.toBase64Url(V.fromBase64(key))}`;
  } catch (e) {
    return '#/people';
  }
}
// "ORIGIN:INDEX" references of the report.
function refLink(ref) {
  const i = ref.lastIndexOf(':');
  return i > 0 ? link(statementHref(ref.slice(0, i), ref.slice(i + 1)), ref) : ref;
}

function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return s;
  return d.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'UTC', dateStyle: 'medium', timeStyle: 'short' }) + ' UTC';
}
const fmtDate = (s) => (s ? String(s).slice(0, 10) : '');

// ---------------------------------------------------------------- data

async function getBytes(url) {
  const r = await fetch(url, { cache: 'no-cache', credentials: 'omit' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}
async function getText(url) {
  return V.fromUtf8(await getBytes(url));
}
async function getJSON(url) {
  return JSON.parse(await getText(url));
}

let reportPromise = null;
function report() {
  if (!reportPromise) reportPromise = getJSON('/data/report.json').catch((e) => {
    reportPromise = null;
    throw e;
  });
  return reportPromise;
}

const POLICY_KEY = 'giamsat.policy';
// {text, source: 'local'|'hub', error}
async function policy() {
  try {
    const s = localStorage.getItem(POLICY_KEY);
    if (s) return { text: s, source: 'local' };
  } catch (e) {
    /* storage off: the hub's */
  }
  try {
    return { text: await getText('/data/trust.txt'), source: 'hub' };
  } catch (e) {
    return { text: null, source: 'hub', error: e.message };
  }
}

function allCommitments(doc) {
  const seen = new Map();
  for (const p of doc.people || [])
    for (const c of p.commitments || []) seen.set(`${c.origin}:${c.index}`, c);
  return [...seen.values()];
}

// ---------------------------------------------------------------- pieces

const STATUSES = ['delivered', 'delivered_late', 'partially_delivered', 'missed', 'overdue', 'at_risk', 'open'];

function statusBadge(s) {
  return el('span', { class: `status st-${s}`, 'data-status': s }, t(s));
}

function counts(c, id) {
  if (!c) return null;
  return el('ul', { class: 'counts', id },
    [...STATUSES, 'total'].map((s) => el('li', { class: `st-${s}`, 'data-status': s, 'data-count': c[s] ?? 0 },
      el('span', { class: 'n' }, String(c[s] ?? 0)), ' ', el('span', { class: 'l' }, t(s)))));
}

function personLine(p) {
  if (!p) return t('none');
  const name = p.name || p.fingerprint || '?';
  return el('span', {}, link(personHref(p.key), name), p.fingerprint ? el('code', { class: 'fp' }, ' ', p.fingerprint) : null);
}

function section(title, ...kids) {
  return el('section', {}, el('h2', {}, title), ...kids);
}

function commitmentTable(list) {
  if (!list.length) return el('p', {}, t('none'));
  return el('table', { class: 'list' },
    el('thead', {}, el('tr', {}, [t('commitment'), t('status'), t('target'), t('deadline'), t('owner')].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, list.map((c) => el('tr', { 'data-commitment': `${c.origin}/${c.index}` },
      el('td', {}, link(commitmentHref(c.origin, c.index), c.title || c.id), el('br'), el('code', {}, c.id)),
      el('td', {}, statusBadge(c.status)),
      el('td', {}, `${c.direction === 'at-most' ? '≤' : '≥'} ${c.target} ${c.unit_of_measure || ''}`,
        c.outcome !== null && c.outcome !== undefined ? el('div', { class: 'sub' }, `${t('outcome')}: ${c.outcome}`) : null,
        c.progress_percent ? el('div', { class: 'sub' }, `${t('progress')}: ${c.progress_percent}%`) : null),
      el('td', {}, fmtDate(c.deadline_local || c.deadline)),
      el('td', {}, personLine(c.owner))))));
}

// A list of events (/data/events/…json), each linking to its verifying page.
async function eventsSection(url, feedUrl) {
  const box = el('section', { class: 'events' }, el('h2', {}, t('statements'), ' ', feedUrl ? el('a', { class: 'feed', href: feedUrl }, t('feed')) : null));
  let doc;
  try {
    doc = await getJSON(url);
  } catch (e) {
    box.append(el('p', { class: 'muted' }, /HTTP 404/.test(e.message) ? t('no_events') : t('events_unavailable', e.message)));
    return box;
  }
  const evs = Array.isArray(doc.events) ? doc.events : [];
  if (!evs.length) {
    box.append(el('p', { class: 'muted' }, t('no_events')));
    return box;
  }
  box.append(el('ol', { class: 'timeline' }, evs.map((e) => el('li', { 'data-kind': e.kind },
    el('time', { datetime: e.issued_at }, fmtTime(e.issued_at)), ' ',
    el('span', { class: 'kind' }, e.kind), ' ',
    el('span', {}, e.summary || ''), ' ',
    e.signer_name ? el('span', { class: 'muted' }, '— ', e.signer_name) : null, ' ',
    link(statementHref(e.origin, e.index), `${t('verify_this')} #${e.index}`)))));
  return box;
}

// ---------------------------------------------------------------- views

async function viewHome(main) {
  const doc = await report();
  main.append(el('h1', {}, t('title')));
  main.append(el('p', { class: 'muted' }, `${t('as_of')} ${fmtTime(doc.as_of)}`, doc.hub ? ` · ${doc.hub}` : ''));
  if (doc.evidence_count && doc.evidence_count.proof > 0)
    main.append(el('p', { class: 'alert', role: 'alert', id: 'evidence-alert' }, t('evidence_alert', doc.evidence_count.proof)));
  else if (doc.verified === false) main.append(el('p', { class: 'alert', role: 'alert' }, t('report_unverified')));
  if (doc.summary) main.append(section(t('all_commitments'), counts(doc.summary.by_status, 'summary-network')));

  const logs = new Map((doc.logs || []).map((l) => [l.origin, l]));
  for (const tier of ['central', 'province', 'commune']) {
    const units = (doc.units || []).filter((u) => u.tier === tier);
    if (!units.length) continue;
    main.append(section(`${t(tier)} · ${t('count_units', units.length)}`,
      el('table', { class: 'list units', 'data-tier': tier },
        el('thead', {}, el('tr', {}, [t('unit'), t('head_now'), t('log_status'), t('commitments')].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, units.map((u) => {
          const log = logs.get(u.origin);
          const heads = (u.heads || []).filter((h) => !h.until);
          return el('tr', { 'data-unit': u.origin },
            el('td', {}, link(unitHref(u.origin), u.name || u.origin), el('br'), el('code', {}, u.origin)),
            el('td', {}, heads.length ? heads.map((h) => personLine(h)) : t('none')),
            el('td', {}, log ? el('span', { class: `log-${log.status}` }, t(log.status)) : '',
              log && log.checkpoint ? el('div', { class: 'sub' }, `#${log.checkpoint.size}`) : null),
            el('td', {}, counts(u.summary)));
        })))));
  }
  main.append(logsSection(doc) || '');
}

// Every log the hub's audit read, the hub's own included: its status, the
// size checked and who cosigned it.
function logsSection(doc) {
  const logs = doc.logs || [];
  if (!logs.length) return null;
  return section(t('logs'), el('table', { class: 'list', id: 'logs' },
    el('thead', {}, el('tr', {}, [t('origin'), t('status'), t('size'), t('witnesses')].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, logs.map((l) => el('tr', { 'data-log': l.origin, 'data-status': l.status },
      el('td', {}, link(unitHref(l.origin), l.name || l.origin), l.name ? [el('br'), el('code', {}, l.origin)] : null),
      el('td', {}, el('span', { class: `log-${l.status}` }, t(l.status))),
      el('td', {}, l.checkpoint ? String(l.checkpoint.size) : '-'),
      el('td', {}, l.checkpoint ? (l.checkpoint.witnesses || []).map((w) => w.name).join(', ') || t('none') : '-'))))));
}

async function viewPeople(main) {
  const doc = await report();
  main.append(el('h1', {}, t('people')));
  const people = [...(doc.people || [])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
  main.append(el('table', { class: 'list', id: 'people' },
    el('thead', {}, el('tr', {}, [t('people'), t('roles'), t('own')].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, people.map((p) => el('tr', { 'data-person': p.key },
      el('td', {}, personLine(p)),
      el('td', {}, (p.roles || []).map((r) => el('div', {}, `${r.title || r.role} · `, link(unitHref(r.origin), r.origin), r.until ? ` (${t('until')} ${fmtDate(r.until)})` : ''))),
      el('td', {}, counts(p.scorecard ? p.scorecard.own : null)))))));
}

async function viewUnit(main, origin) {
  const doc = await report();
  const u = (doc.units || []).find((x) => x.origin === origin);
  const log = (doc.logs || []).find((x) => x.origin === origin);
  main.append(el('h1', {}, u ? u.name || origin : origin));
  main.append(el('p', { class: 'muted' }, el('code', {}, origin), u ? ` · ${t(u.tier)}` : '',
    u && u.parent ? [' · ', link(unitHref(u.parent), u.parent)] : null));
  if (log) {
    main.append(el('p', {}, `${t('log_status')}: `, el('span', { class: `log-${log.status}` }, t(log.status)),
      log.checkpoint ? ` · #${log.checkpoint.size} · ${(log.checkpoint.witnesses || []).map((w) => w.name).join(', ')}` : ''));
  }
  if (!u && !log) {
    main.append(el('p', { class: 'alert' }, t('not_found', origin)));
    return;
  }
  if (u) {
    main.append(section(t('summary'), counts(u.summary, 'unit-summary')));
    main.append(section(t('heads'), el('ul', { id: 'heads' }, (u.head_timeline || u.heads || []).map((h) => el('li', {},
      personLine(h), ` ${t('since')} ${fmtDate(h.since)} `, h.until ? `${t('until')} ${fmtDate(h.until)}` : `(${t('in_office')})`,
      (h.failed || []).length ? el('span', { class: 'sub' }, ` · ${h.failed.length} ${t('deadlines_failed').toLowerCase()}`) : null)))));
  }
  main.append(section(t('commitments'), commitmentTable(allCommitments(doc).filter((c) => c.origin === origin))));
  if (u && (u.deadlines_failed || []).length) {
    main.append(section(t('deadlines_failed'), el('ul', {}, u.deadlines_failed.map((d) => el('li', {},
      link(commitmentHref(origin, d.index), d.title || d.id), ' ', statusBadge(d.status), ` ${fmtDate(d.deadline_local || d.deadline)} · ${t('owner')}: `,
      personLine(d.owner), d.head_at_deadline ? [` · ${t('head_at_deadline')}: `, personLine(d.head_at_deadline)] : null)))));
  }
  if (u && (u.findings_and_feedback || []).length) main.append(section(t('findings_feedback'), items(u.findings_and_feedback)));
  if (u && (u.satisfaction || []).length) main.append(section(t('satisfaction'), quarters(u.satisfaction)));
  main.append(await eventsSection(`/data/events/unit/${enc(origin)}.json`, `/feeds/unit/${enc(origin)}.atom`));
}

function items(list) {
  return el('ul', { class: 'items' }, list.map((it) => el('li', { 'data-kind': it.kind },
    el('span', { class: 'kind' }, it.kind), ' ', fmtDate(it.issued_at), ' ', personLine(it.by), ': ',
    el('q', {}, it.text || ''),
    it.rating ? ` · ${t('rating')} ${it.rating}/5` : '', it.severity ? ` · ${t('severity')} ${it.severity}` : '',
    it.status ? ` · ${t('response_status')}: ${t(it.status)}` : '', ' ',
    link(statementHref(it.origin, it.index), `${t('verify_this')} #${it.index}`))));
}

function quarters(list) {
  return el('table', { class: 'list' }, el('tbody', {}, list.map((q) => el('tr', {},
    el('th', { scope: 'row' }, q.quarter), el('td', {}, `${t('mean')} ${q.mean} · ${q.count} ${t('ratings')}`)))));
}

async function viewPerson(main, keyUrl) {
  const doc = await report();
  let std = null;
  try {
    std = V.toBase64(V.fromBase64Url(keyUrl));
  } catch (e) {
    /* not a key: not found below */
  }
  const p = (doc.people || []).find((x) => x.key === std || (x.keys || []).includes(std));
  if (!p) {
    main.append(el('h1', {}, t('people')), el('p', { class: 'alert' }, t('not_found', keyUrl)));
    main.append(await eventsSection(`/data/events/person/${encodeURIComponent(keyUrl)}.json`, `/feeds/person/${encodeURIComponent(keyUrl)}.atom`));
    return;
  }
  main.append(el('h1', {}, p.name || p.fingerprint));
  main.append(el('p', { class: 'muted' }, `${t('key')}: `, el('code', { class: 'key' }, p.key), ` · ${t('fingerprint')}: `, el('code', {}, p.fingerprint)));
  main.append(section(t('roles'), el('ul', {}, (p.roles || []).map((r) => el('li', {},
    `${r.title || r.role} (${r.role}) · `, link(unitHref(r.origin), r.origin), ` · ${t('since')} ${fmtDate(r.since)}`,
    r.until ? ` ${t('until')} ${fmtDate(r.until)} (${r.ended})` : ` (${t('in_office')})`, ' ',
    link(statementHref(r.origin, r.since_index), `${t('verify_this')} #${r.since_index}`))))));
  const sc = p.scorecard || {};
  const card = el('div', { class: 'scorecard', id: 'scorecard' },
    el('h3', {}, t('own')), counts(sc.own, 'scorecard-own'));
  if ((sc.failed_as_head || []).length)
    card.append(el('h3', {}, t('failed_as_head')), el('ul', {}, sc.failed_as_head.map((f) => el('li', {},
      link(commitmentHref(f.origin, f.index), `${f.origin} · ${f.id}`), ' ', statusBadge(f.status), ` ${fmtDate(f.deadline)}`))));
  if (sc.addressed)
    card.append(el('h3', {}, t('addressed')), el('p', {}, `${sc.addressed.total} · ${t('answered_in_time')} ${sc.addressed.answered_in_time} · ${t('answered_late')} ${sc.addressed.answered_late} · ${t('unanswered')} ${sc.addressed.unanswered} · ${t('pending')} ${sc.addressed.pending}`));
  if ((sc.satisfaction || []).length) card.append(el('h3', {}, t('satisfaction')), quarters(sc.satisfaction));
  main.append(section(t('scorecard'), card));
  main.append(section(t('commitments'), commitmentTable(p.commitments || [])));
  if ((p.addressed || []).length) main.append(section(t('addressed'), items(p.addressed)));
  main.append(await eventsSection(`/data/events/person/${keyUrl}.json`, `/feeds/person/${keyUrl}.atom`));
}

async function viewCommitment(main, origin, index) {
  const doc = await report();
  const c = allCommitments(doc).find((x) => x.origin === origin && String(x.index) === String(index));
  if (!c) {
    main.append(el('h1', {}, t('commitment')), el('p', { class: 'alert' }, t('not_found', `${origin}/${index}`)));
  } else {
    main.append(el('h1', {}, c.title || c.id));
    main.append(el('p', {}, statusBadge(c.status), ' ', el('code', {}, c.id), ' · ', link(unitHref(origin), origin), ' · ',
      link(statementHref(origin, index), `${t('verify_this')} #${index}`)));
    const dl = el('dl', { class: 'facts', id: 'commitment' });
    const fact = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v));
    fact(t('owner'), personLine(c.owner));
    fact(t('target'), `${c.direction === 'at-most' ? '≤' : '≥'} ${c.target} ${c.unit_of_measure || ''} (${c.indicator || ''})`);
    fact(t('deadline'), fmtTime(c.deadline), c.deadline_local ? el('span', { class: 'sub' }, ` ${c.deadline_local}`) : null);
    if (c.outcome !== null && c.outcome !== undefined)
      fact(t('outcome'), `${c.outcome} ${c.unit_of_measure || ''}`, c.percent_of_target ? ` (${c.percent_of_target}% ${t('of_target')})` : '', c.outcome_time ? ` · ${fmtTime(c.outcome_time)}` : '');
    else if (c.progress_percent) fact(t('progress'), `${c.progress_percent}% · ${c.progress_reports} ${t('progress_reports')}`);
    if (c.baseline && (c.revisions || []).length) fact(t('baseline'), `${c.baseline.target} · ${fmtDate(c.baseline.deadline)}`);
    main.append(dl);
    if ((c.revisions || []).length)
      main.append(section(t('revisions'), el('ul', {}, c.revisions.map((r) => el('li', {}, fmtDate(r.issued_at), ' ', personLine(r.by), ': ',
        r.target ? `${t('target')} ${r.target} ` : '', r.deadline ? `${t('deadline')} ${fmtDate(r.deadline)} ` : '', el('q', {}, r.reason || ''), ' ',
        link(statementHref(origin, r.index), `${t('verify_this')} #${r.index}`))))));
    if ((c.verdicts || []).length)
      main.append(section(t('verdicts'), el('ul', {}, c.verdicts.map((v) => el('li', {}, fmtDate(v.issued_at), ' ', personLine(v.by), `: ${v.verdict} `,
        refLink(v.about), ' ', link(statementHref(v.origin, v.index), `${t('verify_this')} #${v.index}`))))));
  }
  main.append(await eventsSection(`/data/events/commitment/${enc(origin)}/${index}.json`, `/feeds/commitment/${enc(origin)}/${index}.atom`));
}

// The statement page: every check, as it ends, then the verdict.
async function viewStatement(main, origin, index) {
  main.append(el('h1', {}, t('statement')), el('p', { class: 'muted' }, t('statement_of', index, origin), ' · ', link(unitHref(origin), origin)));
  const verdict = el('p', { id: 'verdict', class: 'verdict pending', role: 'status', 'aria-live': 'polite', 'data-verdict': 'pending' }, t('checking'));
  const steps = el('ol', { id: 'steps', class: 'steps' });
  const details = el('section', { id: 'statement' });
  main.append(verdict, el('h2', {}, t('what_checked')), steps, details);

  const pol = await policy();
  const n = Number(index);
  const say = (id, ok, d) => {
    if (id === 'restart') {
      // The log moved on while this page read it: checked again from scratch.
      steps.replaceChildren();
      return;
    }
    const li = el('li', { 'data-step': id, 'data-ok': ok === null ? 'info' : String(ok), class: ok === false ? 'bad' : ok ? 'good' : '' });
    const mark = el('span', { class: 'mark', 'aria-hidden': 'true' }, ok === false ? '✗' : '✓');
    li.append(mark, ' ', stepText(id, ok, d));
    if (id === 'cosignatures' && d.witnesses)
      li.append(el('ul', { id: 'witnesses' }, d.witnesses.map((w) => el('li', { 'data-witness': w.name, 'data-cosigned': String(w.cosigned || w.self) },
        el('strong', {}, w.name), ` (${w.keyName}): `,
        w.cosigned ? t('witness_cosigned', fmtTime(new Date(w.time * 1000).toISOString())) : w.self ? t('witness_self') : w.bad ? t('witness_bad') : t('witness_missing')))));
    steps.append(li);
  };
  let res;
  if (!pol.text) {
    res = { verified: false, kind: 'policy', reason: t('policy_unavailable', pol.error), witnesses: 0, of: 0 };
  } else if (!/^[0-9]{1,16}$/.test(index) || !origin) {
    res = { verified: false, kind: 'entry', reason: `bad statement address ${origin}/${index}`, witnesses: 0, of: 0 };
  } else {
    res = await V.verifyStatement({ origin, index: n, base: `/${enc(origin)}/`, policyText: pol.text,
      fetchText: getText, fetchBytes: getBytes, step: say });
  }
  verdict.classList.remove('pending');
  verdict.dataset.witnesses = String(res.witnesses);
  verdict.dataset.of = String(res.of);
  if (res.verified) {
    verdict.className = 'verdict good';
    verdict.dataset.verdict = 'verified';
    verdict.textContent = t('verified_by', res.witnesses, res.of);
  } else {
    verdict.className = 'verdict bad';
    verdict.dataset.verdict = 'not-verified';
    verdict.dataset.reason = res.kind || 'unknown';
    const kinds = [...new Set((res.problems || [{ kind: res.kind }]).map((p) => p.kind))];
    verdict.textContent = t('not_verified', kinds.map((k) => t(`reason_${k}`)).join(', '));
    verdict.append(el('span', { class: 'why' }, res.reason || ''));
  }
  if (pol.source === 'local') verdict.append(el('span', { class: 'why' }, t('policy_source_local'), ' ', link('#/trust', t('trust'))));
  if (res.statement) details.append(statementDetails(res.statement));
}

function stepText(id, ok, d) {
  const short = (s) => (s && s.length > 20 ? s.slice(0, 16) + '…' : s);
  switch (id) {
    case 'policy': return t('step_policy', d.logs, d.witnesses, d.quorum);
    case 'checkpoint': return t('step_checkpoint', d.size, d.root);
    case 'log-signature': return ok ? t('step_log_signature_ok', d.key) : t('step_log_signature_bad', d.key);
    case 'cosignatures': return t('step_cosignatures', d.count, d.of, d.quorum, ok ? t('quorum_met') : t('quorum_not_met'));
    case 'entry': return ok ? t('step_entry', d.path, d.bytes, d.leaf_hash) : t('step_failed', d.error);
    case 'inclusion':
      if (d.error) return t('step_failed', d.error);
      return ok ? t('step_inclusion_ok', new Set(d.tiles).size, d.proof) : t('step_inclusion_bad', d.root || '-');
    case 'statement': return d.error ? t('step_failed', d.error) : t('step_statement', d.kind, d.origin);
    case 'signature': return ok ? t('step_signature_ok', short(d.signer)) : t('step_signature_bad', d.signer);
    default: return t('step_failed', d.error || id);
  }
}

function statementDetails(st) {
  const dl = el('dl', { class: 'facts' });
  const fact = (k, ...v) => dl.append(el('dt', {}, k), el('dd', {}, ...v));
  fact(t('kind'), st.kind || '?');
  const signer = V.toBase64(st.signer);
  fact(t('signer'), link(personHref(signer), el('code', { class: 'key' }, signer)));
  fact(t('issued_at'), fmtTime(new Date(st.issuedAt * 1000).toISOString()));
  fact(t('seq'), st.seq);
  const flat = (o, prefix = '') => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object') flat(v, `${prefix}${k}.`);
      else fact(`${prefix}${k}`, String(v));
    }
  };
  flat(st.body);
  if (st.kind === 'commitment') fact('', link(commitmentHref(st.origin, currentIndex()), t('history')));
  return el('div', {}, el('h2', {}, t('details')), dl);
}
let currentIndexValue = null;
const currentIndex = () => currentIndexValue;

async function viewTrust(main) {
  main.append(el('h1', {}, t('trust')));
  main.append(el('p', {}, t('policy_explain')));
  const pol = await policy();
  const status = el('p', { id: 'policy-status', role: 'status', 'aria-live': 'polite' });
  main.append(el('p', { id: 'policy-source', 'data-source': pol.source },
    pol.source === 'local' ? t('policy_source_local') : pol.text ? t('policy_source_hub', '/data/trust.txt') : t('policy_unavailable', pol.error)));
  const summary = el('div', { id: 'policy-summary' });
  main.append(el('h2', {}, t('policy_in_use')), summary);
  if (pol.text) {
    try {
      const p = await V.parsePolicy(pol.text);
      summary.append(el('h3', {}, t('policy_logs')), el('ul', {}, p.logs.map((l) => el('li', {}, el('code', {}, l.text)))));
      summary.append(el('h3', {}, t('policy_witnesses')), el('ul', {}, p.witnesses.map((w) => el('li', {}, el('strong', {}, w.witness), ' ', el('code', {}, w.text)))));
      if (p.groups.length)
        summary.append(el('h3', {}, t('policy_groups')), el('ul', {}, p.groups.map((g) => el('li', {}, el('strong', {}, g.name), ': ', t('group_need', g.k, g.members.length, g.members.join(', '))))));
      summary.append(el('h3', {}, t('policy_quorum')), el('p', { id: 'policy-quorum' }, p.quorum === 'none' ? t('quorum_none') : p.quorum));
    } catch (e) {
      summary.append(el('p', { class: 'alert' }, t('policy_refused', e.message)));
    }
  }
  const area = el('textarea', { id: 'policy-text', rows: 12, spellcheck: 'false', autocomplete: 'off', 'aria-label': t('policy_edit') });
  area.value = pol.text || '';
  const file = el('input', { type: 'file', id: 'policy-file', accept: '.txt,.policy,text/plain', 'aria-label': t('policy_load') });
  file.addEventListener('change', async () => {
    if (file.files && file.files[0]) area.value = await file.files[0].text();
  });
  const use = el('button', { type: 'button', id: 'policy-save' }, t('policy_use'));
  use.addEventListener('click', async () => {
    try {
      await V.parsePolicy(area.value);
    } catch (e) {
      status.className = 'alert';
      status.textContent = t('policy_refused', e.message);
      return;
    }
    localStorage.setItem(POLICY_KEY, area.value);
    await render();
    document.getElementById('policy-status').textContent = t('policy_saved');
  });
  const reset = el('button', { type: 'button', id: 'policy-reset' }, t('policy_reset'));
  reset.addEventListener('click', async () => {
    localStorage.removeItem(POLICY_KEY);
    await render();
    document.getElementById('policy-status').textContent = t('policy_reset_done');
  });
  main.append(el('h2', {}, t('policy_edit')), el('label', { for: 'policy-text', class: 'sr' }, t('policy_edit')), area,
    el('p', {}, el('label', {}, t('policy_load'), ' ', file)), el('p', { class: 'buttons' }, use, ' ', reset), status);
}

// ---------------------------------------------------------------- routing

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  const parts = h.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  });
  const head = parts.shift() || '';
  const rest = parts.join('/');
  if (head === '') return ['home'];
  if (head === 'people') return ['people'];
  if (head === 'trust') return ['trust'];
  if (head === 'unit' && rest) return ['unit', rest];
  if (head === 'person' && rest) return ['person', rest];
  if ((head === 'commitment' || head === 'statement') && parts.length >= 2) {
    const index = parts.pop();
    return [head, parts.join('/'), index];
  }
  return ['notfound', h];
}

let renderSeq = 0;
async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById('main');
  const box = el('div', { class: 'view' });
  const [name, a, b] = route();
  currentIndexValue = b;
  document.documentElement.lang = lang;
  for (const n of document.querySelectorAll('[data-nav]')) {
    n.textContent = t(n.dataset.nav);
    if (n.dataset.nav === name) n.setAttribute('aria-current', 'page');
    else n.removeAttribute('aria-current');
  }
  const toggle = document.getElementById('lang-toggle');
  toggle.textContent = t('lang_other');
  toggle.setAttribute('aria-label', t('lang_other_label'));
  toggle.setAttribute('lang', lang === 'vi' ? 'en' : 'vi');
  document.getElementById('foot').textContent = t('footer');
  main.replaceChildren(box);
  main.dataset.view = name;
  main.dataset.ready = 'false';
  try {
    if (name === 'home') await viewHome(box);
    else if (name === 'people') await viewPeople(box);
    else if (name === 'unit') await viewUnit(box, a);
    else if (name === 'person') await viewPerson(box, a);
    else if (name === 'commitment') await viewCommitment(box, a, b);
    else if (name === 'statement') await viewStatement(box, a, b);
    else if (name === 'trust') await viewTrust(box);
    else box.append(el('h1', {}, t('not_found', a)));
  } catch (e) {
    if (seq !== renderSeq) return;
    box.append(el('p', { class: 'alert', role: 'alert' }, t('load_failed', name, e.message)));
  }
  if (seq !== renderSeq) return;
  document.title = `${(box.querySelector('h1') || {}).textContent || 'giamsat'} · giamsat`;
  main.dataset.ready = 'true';
}

function start() {
  lang = pickLang();
  document.getElementById('lang-toggle').addEventListener('click', () => {
    lang = lang === 'vi' ? 'en' : 'vi';
    try {
      localStorage.setItem('giamsat.lang', lang);
    } catch (e) {
      /* storage off: this page only */
    }
    const u = new URL(location.href);
    u.searchParams.set('lang', lang);
    history.replaceState(null, '', u);
    render();
  });
  window.addEventListener('hashchange', () => {
    render().then(() => document.getElementById('main').focus({ preventScroll: true }));
  });
  render();
}

start();
