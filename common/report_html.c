/* report_html.c — the audit's report as one self-contained HTML page; see
 * report_html.h. Reads the JSON document only; every string of it goes
 * through put() (escaped, invisible characters shown), labels through lab()
 * (the one table below). Charts are computed here from the document's
 * numbers, so a chart never shows a number the JSON lacks. */
#include "report_html.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* One table of labels: X(id, English, Vietnamese). */
/* Aligned by characters, which clang-format counts as bytes. */
/* clang-format off */
#define GS_HTML_LABELS(X)                                                                          \
    X(L_TITLE, "Accountability report", "Báo cáo trách nhiệm giải trình")                          \
    X(L_SUBTITLE, "giamsat audit", "Kiểm toán giamsat")                                            \
    X(L_AS_OF, "As of", "Tính đến")                                                                \
    X(L_HUB, "hub", "trạm")                                                                        \
    X(L_VERIFIED, "Everything verified", "Mọi thứ đã được kiểm chứng")                             \
    X(L_NOT_VERIFIED, "Verification FAILED", "Kiểm chứng THẤT BẠI")                                \
    X(L_NOT_VERIFIED_EV, "FAILED: evidence was met (see Evidence)",                                \
      "THẤT BẠI: có bằng chứng vi phạm (xem phần Bằng chứng)")                                     \
    X(L_EVIDENCE_NONE, "Evidence of misbehaviour: none.", "Bằng chứng vi phạm: không có.")         \
    X(L_ALERT_HEAD, "Evidence of misbehaviour", "Bằng chứng vi phạm")                              \
    X(L_ALERT_PROOF, "verified proof", "bằng chứng đã xác thực")                                   \
    X(L_ALERT_UNVER, "unverifiable (not proof, held against no one)",                              \
      "không xác thực được (không phải bằng chứng, không quy lỗi cho ai)")                         \
    X(L_ALERT_SEE, "See the details", "Xem chi tiết")                                              \
    X(L_SUMMARY, "Summary", "Tóm tắt")                                                             \
    X(L_NETWORK, "All commitments in the network", "Tất cả cam kết trong mạng lưới")               \
    X(L_PER_UNIT, "By unit", "Theo đơn vị")                                                        \
    X(L_CLAIMS, "Are the claims checked?", "Các báo cáo đã được kiểm chứng chưa?")                 \
    X(L_HEADS_ANSWERING, "Heads who answer for failures", "Người đứng đầu chịu trách nhiệm")       \
    X(L_HEADS_NONE, "No deadline failed under any head.",                                          \
      "Không có hạn chót nào bị lỡ dưới thời người đứng đầu nào.")                                 \
    X(L_FAILED_DEADLINES, "failed deadlines", "hạn chót không đạt")                                \
    X(L_IN_UNITS, "in", "tại")                                                                     \
    X(L_TOTAL, "Total", "Tổng số")                                                                 \
    X(L_COMMITMENTS_N, "commitments", "cam kết")                                                   \
    X(L_DELIVERED, "Delivered", "Đã hoàn thành")                                                   \
    X(L_DELIVERED_LATE, "Delivered late", "Hoàn thành muộn")                                       \
    X(L_PARTIAL, "Partially delivered", "Hoàn thành một phần")                                     \
    X(L_MISSED, "Missed", "Không đạt")                                                             \
    X(L_OVERDUE, "Overdue", "Quá hạn")                                                             \
    X(L_AT_RISK, "At risk", "Có nguy cơ")                                                          \
    X(L_OPEN, "In progress", "Đang thực hiện")                                                     \
    X(L_NO_EVIDENCE, "No evidence yet", "Chưa có bằng chứng")                                      \
    X(L_SELF_REPORTED, "Self-reported", "Tự báo cáo")                                              \
    X(L_CONFIRMED, "Confirmed by an inspector", "Được thanh tra xác nhận")                         \
    X(L_CONTESTED, "Contested by an inspector", "Bị thanh tra phản bác")                           \
    X(L_CONTEST_ANSWERED, "the owner answered", "người chịu trách nhiệm đã trả lời")               \
    X(L_CONTEST_UNANSWERED, "not answered", "chưa trả lời")                                        \
    X(L_EVIDENCE, "Evidence", "Bằng chứng")                                                        \
    X(L_EVIDENCE_INTRO,                                                                            \
      "Every piece was verified by this audit itself; a piece that does not verify is never "      \
      "held against the log.",                                                                     \
      "Mỗi bằng chứng đều do chính cuộc kiểm toán này xác thực; bằng chứng không xác thực được "   \
      "không bao giờ được dùng để quy lỗi cho sổ.")                                                \
    X(L_PROOF_LOG, "PROOF against the log (frozen)", "BẰNG CHỨNG chống lại sổ (đã phong tỏa)")     \
    X(L_PROOF_SOURCE, "PROOF against a source, not the log",                                       \
      "BẰNG CHỨNG chống lại nguồn cung cấp, không phải sổ")                                        \
    X(L_UNVERIFIABLE, "UNVERIFIABLE (not proof)", "KHÔNG XÁC THỰC ĐƯỢC (không phải bằng chứng)")   \
    X(L_KIND, "Kind", "Loại")                                                                      \
    X(L_LOG, "Log", "Sổ")                                                                          \
    X(L_WHAT, "What it shows", "Nội dung")                                                         \
    X(L_IT_SAYS, "The detector says", "Bên phát hiện nói")                                         \
    X(L_CHECKPOINTS, "Checkpoints", "Điểm kiểm tra")                                               \
    X(L_DETECTOR, "Detector", "Bên phát hiện")                                                     \
    X(L_WITNESS, "witness", "nhân chứng")                                                          \
    X(L_SIG_OK, "signature verified", "chữ ký hợp lệ")                                             \
    X(L_SIG_BAD, "signature does NOT verify", "chữ ký KHÔNG hợp lệ")                               \
    X(L_FOUND_IN, "Found in", "Tìm thấy ở")                                                        \
    X(L_FOUND_HUB, "the hub's GetEvidence", "GetEvidence của trạm")                                \
    X(L_FOUND_HUB_LOG, "entry of the hub's log", "mục trong sổ của trạm")                          \
    X(L_FOUND_MONITOR, "monitor record", "bản ghi của trạm giám sát")                              \
    X(L_DETECTED_AT, "Detected", "Phát hiện lúc")                                                  \
    X(L_PART, "part", "phần")                                                                      \
    X(L_UNITS, "Units", "Đơn vị")                                                                  \
    X(L_TIME_ZONE, "time zone", "múi giờ")                                                         \
    X(L_PARENT_UNIT, "under", "trực thuộc")                                                        \
    X(L_COMMUNE, "Commune", "Xã")                                                                  \
    X(L_PROVINCE, "Province", "Tỉnh")                                                              \
    X(L_CENTRAL, "Central", "Trung ương")                                                          \
    X(L_HEADS, "Heads of the unit", "Người đứng đầu đơn vị")                                       \
    X(L_TENURE_LEGEND,                                                                             \
      "Each bar is a head's tenure; a red mark is a deadline that failed under "                   \
      "them.",                                                                                     \
      "Mỗi thanh là nhiệm kỳ của một người đứng đầu; dấu đỏ là hạn chót không đạt trong nhiệm kỳ " \
      "đó.")                                                                                       \
    X(L_SINCE, "since", "từ")                                                                      \
    X(L_UNTIL, "until", "đến")                                                                     \
    X(L_IN_OFFICE, "in office", "đương nhiệm")                                                     \
    X(L_DEADLINES_FAILED, "Deadlines that failed", "Các hạn chót không đạt")                       \
    X(L_HEAD_AT_DEADLINE, "Head at the deadline", "Người đứng đầu khi đến hạn")                    \
    X(L_STILL_IN_OFFICE, "still in office", "vẫn đương nhiệm")                                     \
    X(L_LEFT_OFFICE, "left office", "đã thôi nhiệm vụ")                                            \
    X(L_NONE, "(none)", "(không có)")                                                              \
    X(L_SATISFACTION, "Satisfaction", "Mức độ hài lòng")                                           \
    X(L_SATISFACTION_NOTE, "Mean rating (1 to 5) per quarter; n = number of ratings.",             \
      "Điểm trung bình (1 đến 5) mỗi quý; n = số lượt đánh giá.")                                  \
    X(L_NO_RATINGS, "No ratings yet.", "Chưa có đánh giá.")                                        \
    X(L_QUARTER, "Quarter", "Quý")                                                                 \
    X(L_RATINGS, "Ratings", "Lượt đánh giá")                                                       \
    X(L_MEAN, "Mean", "Trung bình")                                                                \
    X(L_FINDINGS_FEEDBACK, "Findings and feedback", "Kết luận thanh tra và phản ánh")              \
    X(L_PEOPLE, "People (scorecards)", "Cá nhân (bảng đánh giá)")                                  \
    X(L_KEY, "Key", "Khóa")                                                                        \
    X(L_ROLES, "Roles", "Chức vụ")                                                                 \
    X(L_OWN_COMMITMENTS, "Their own commitments", "Cam kết của chính họ")                          \
    X(L_FAILED_AS_HEAD, "Failed deadlines of their units while head",                              \
      "Hạn chót không đạt của đơn vị trong nhiệm kỳ đứng đầu")                                     \
    X(L_ADDRESSED, "Findings and feedback addressed to them", "Kết luận và phản ánh gửi tới họ")   \
    X(L_ANSWERED_IN_TIME, "answered in time", "trả lời đúng hạn")                                  \
    X(L_ANSWERED_LATE, "answered late", "trả lời muộn")                                            \
    X(L_UNANSWERED, "unanswered", "chưa trả lời")                                                  \
    X(L_PENDING, "awaiting an answer", "đang chờ trả lời")                                         \
    X(L_SAT_TENURE, "Satisfaction during their tenure as head",                                    \
      "Mức độ hài lòng trong nhiệm kỳ đứng đầu")                                                   \
    X(L_COMMITMENTS, "Commitments", "Cam kết")                                                     \
    X(L_OWNER, "Owner", "Người chịu trách nhiệm")                                                  \
    X(L_TARGET, "Target", "Mục tiêu")                                                              \
    X(L_ORIGINAL, "Original", "Ban đầu")                                                           \
    X(L_DEADLINE, "Deadline", "Hạn chót")                                                          \
    X(L_ORIGINAL_PROMISE, "Original promise", "Cam kết ban đầu")                                   \
    X(L_OUTCOME, "Outcome", "Kết quả")                                                             \
    X(L_OF_TARGET, "of target", "so với mục tiêu")                                                 \
    X(L_LATEST_PROGRESS, "Latest progress", "Tiến độ mới nhất")                                    \
    X(L_REPORTED, "reported progress", "tiến độ đã báo cáo")                                       \
    X(L_PROJECTED, "projection at the current pace", "dự báo theo tốc độ hiện tại")                \
    X(L_PROGRESS_REPORTS, "Progress reports", "Báo cáo tiến độ")                                   \
    X(L_PROGRESS_SAMPLED, "(a sample is drawn)", "(chỉ vẽ một mẫu)")                               \
    X(L_EVIDENCE_STATUS, "Is the claim checked?", "Báo cáo đã được kiểm chứng?")                   \
    X(L_AT_LEAST, "at least", "tối thiểu")                                                         \
    X(L_AT_MOST, "at most", "tối đa")                                                              \
    X(L_WHY_AT_RISK, "Why at risk", "Vì sao có nguy cơ")                                           \
    X(L_PROJECTION, "at the current pace it reaches only", "với tốc độ hiện tại chỉ đạt")          \
    X(L_BY_DEADLINE, "by the deadline", "vào hạn chót")                                            \
    X(L_SILENCE, "no progress reported for", "không báo cáo tiến độ trong")                        \
    X(L_DAYS, "days", "ngày")                                                                      \
    X(L_REVISIONS, "Revisions", "Điều chỉnh")                                                      \
    X(L_REASON, "Reason", "Lý do")                                                                 \
    X(L_BY, "By", "Người thực hiện")                                                               \
    X(L_ISSUED, "Issued", "Ngày ban hành")                                                         \
    X(L_UNCHANGED, "unchanged", "không đổi")                                                       \
    X(L_VERDICTS, "Inspectors' verdicts", "Kết luận của thanh tra")                                \
    X(L_CONFIRMS, "confirms", "xác nhận")                                                          \
    X(L_CONTESTS, "contests", "phản bác")                                                          \
    X(L_RESPONDED, "answered", "đã trả lời")                                                       \
    X(L_NOT_RESPONDED, "not answered", "chưa trả lời")                                             \
    X(L_ROLLUP, "Delegated to", "Giao cho cấp dưới")                                               \
    X(L_CHILDREN, "commitments below", "cam kết cấp dưới")                                         \
    X(L_CHILDREN_SUM, "Sum of units below", "Tổng của cấp dưới")                                   \
    X(L_SUMMED, "counted", "được tính")                                                            \
    X(L_DELEGATION, "Delegation", "Phân cấp giao việc")                                            \
    X(L_VERIFICATION, "Technical verification", "Kiểm chứng kỹ thuật")                             \
    X(L_STATUS, "Status", "Trạng thái")                                                            \
    X(L_SIZE, "Entries", "Số mục")                                                                 \
    X(L_SIG_VERIFIED, "Signatures verified", "Chữ ký hợp lệ")                                      \
    X(L_REPLAYED, "Replayed", "Đã kiểm tra theo luật")                                             \
    X(L_WITNESSES, "Witnesses", "Nhân chứng")                                                      \
    X(L_PARTIAL_PERCENT, "Partial threshold", "Ngưỡng một phần")                                   \
    X(L_FAILURES, "Failures", "Lỗi")                                                               \
    X(L_REFERENCES, "Cross-log references", "Tham chiếu giữa các sổ")                              \
    X(L_CHECKED, "checked", "đã kiểm tra")                                                         \
    X(L_REF_FAILED, "failed", "lỗi")                                                               \
    X(L_REF_UNCHECKED, "unchecked", "chưa kiểm tra")                                               \
    X(L_LOG_VERIFIED, "verified", "đã kiểm chứng")                                                 \
    X(L_LOG_FAILED, "FAILED", "THẤT BẠI")                                                          \
    X(L_LOG_SKIPPED, "skipped", "bỏ qua")                                                          \
    X(L_LOG_EVIDENCE, "evidence", "có bằng chứng")                                                 \
    X(L_HEAD, "Head", "Người đứng đầu")                                                            \
    X(L_DEPUTY, "Deputy", "Cấp phó")                                                               \
    X(L_OFFICER, "Officer", "Cán bộ")                                                              \
    X(L_INSPECTOR, "Inspector", "Thanh tra")                                                       \
    X(L_ENDED_ACTIVE, "in office", "đương nhiệm")                                                  \
    X(L_ENDED_RESIGNED, "resigned", "từ chức")                                                     \
    X(L_ENDED_DISMISSED, "dismissed", "bị miễn nhiệm")                                             \
    X(L_ENDED_ROTATED, "key rotated", "đã đổi khóa")                                               \
    X(L_FINDING, "Finding", "Kết luận thanh tra")                                                  \
    X(L_FEEDBACK, "Feedback", "Phản ánh")                                                          \
    X(L_TEXT, "Text", "Nội dung")                                                                  \
    X(L_RATING, "Rating", "Đánh giá")                                                              \
    X(L_DUE, "Answer due", "Hạn trả lời")                                                          \
    X(L_ANSWER, "Answer", "Trả lời")                                                               \
    X(L_ANSWERED_BY, "by", "bởi")                                                                  \
    X(L_ST_RESPONDED, "Answered in time", "Đã trả lời đúng hạn")                                   \
    X(L_ST_RESPONDED_LATE, "Answered late", "Trả lời muộn")                                        \
    X(L_ST_UNANSWERED, "Unanswered", "Chưa trả lời")                                               \
    X(L_ST_PENDING, "Awaiting answer", "Đang chờ trả lời")                                         \
    X(L_SEV_LOW, "low", "thấp")                                                                    \
    X(L_SEV_MEDIUM, "medium", "trung bình")                                                        \
    X(L_SEV_HIGH, "high", "cao")                                                                   \
    X(L_CITIZEN, "a citizen", "một người dân")                                                     \
    X(L_UNNAMED, "(unnamed)", "(không tên)")                                                       \
    X(L_ABOUT, "about", "về")                                                                      \
    X(L_NOW, "now", "hiện tại")                                                                    \
    X(L_FOOTER,                                                                                    \
      "Drawn from the audit's JSON document (docs/audit.md); every number here is in it. "         \
      "Times are local to each unit, with the offset from UTC.",                                   \
      "Trang này được lập từ tài liệu JSON của cuộc kiểm toán (docs/audit.md); mọi con số ở đây "  \
      "đều có trong đó. Thời gian là giờ địa phương của từng đơn vị, kèm độ lệch so với UTC.")
/* clang-format on */

#define GS_HTML_ENUM(id, en, vi) id,
#define GS_HTML_PAIR(id, en, vi) {en, vi},
typedef enum { GS_HTML_LABELS(GS_HTML_ENUM) L_COUNT } label_id;
static const char *const labels[L_COUNT][2] = {GS_HTML_LABELS(GS_HTML_PAIR)};

/* A value of the document shown with a label, and the colour of a status. */
typedef struct {
    const char *name;
    label_id label;
    const char *color;
} named;

/* The order of STATUS_COUNTS, worst news last is not wanted: the order
 * people read a promise tracker in, kept to failing ones in the middle. */
static const named statuses[] = {
    {"delivered", L_DELIVERED, "#1e7b34"},
    {"delivered_late", L_DELIVERED_LATE, "#5f8d1a"},
    {"partially_delivered", L_PARTIAL, "#b58900"},
    {"missed", L_MISSED, "#b3261e"},
    {"overdue", L_OVERDUE, "#d9480f"},
    {"at_risk", L_AT_RISK, "#e8830c"},
    {"open", L_OPEN, "#3d6a99"},
};
#define N_STATUSES (sizeof statuses / sizeof statuses[0])

static const named evidence_statuses[] = {
    {"no_evidence", L_NO_EVIDENCE, "#7a7f87"},
    {"self_reported", L_SELF_REPORTED, "#3d6a99"},
    {"confirmed", L_CONFIRMED, "#1e7b34"},
    {"contested", L_CONTESTED, "#b3261e"},
};

static const named other_names[] = {
    {"verified", L_LOG_VERIFIED, "#1e7b34"},
    {"failed", L_LOG_FAILED, "#b3261e"},
    {"skipped", L_LOG_SKIPPED, "#d9480f"},
    {"evidence", L_LOG_EVIDENCE, "#b3261e"},
    {"head", L_HEAD, NULL},
    {"deputy", L_DEPUTY, NULL},
    {"officer", L_OFFICER, NULL},
    {"inspector", L_INSPECTOR, NULL},
    {"active", L_ENDED_ACTIVE, NULL},
    {"resigned", L_ENDED_RESIGNED, NULL},
    {"dismissed", L_ENDED_DISMISSED, NULL},
    {"rotated", L_ENDED_ROTATED, NULL},
    {"commune", L_COMMUNE, NULL},
    {"province", L_PROVINCE, NULL},
    {"central", L_CENTRAL, NULL},
    {"finding", L_FINDING, NULL},
    {"feedback", L_FEEDBACK, NULL},
    {"responded", L_ST_RESPONDED, "#1e7b34"},
    {"responded-late", L_ST_RESPONDED_LATE, "#d9480f"},
    {"unanswered", L_ST_UNANSWERED, "#b3261e"},
    {"pending", L_ST_PENDING, "#3d6a99"},
    {"low", L_SEV_LOW, NULL},
    {"medium", L_SEV_MEDIUM, NULL},
    {"high", L_SEV_HIGH, NULL},
    {"confirms", L_CONFIRMS, "#1e7b34"},
    {"contests", L_CONTESTS, "#b3261e"},
    {"at-least", L_AT_LEAST, NULL},
    {"at-most", L_AT_MOST, NULL},
};

typedef struct {
    FILE *f;
    int lang; /* 0 English, 1 Vietnamese: the column of labels */
    json_t *doc;
    int64_t as_of;
} page;

/* ---- reading the document (absent or mistyped fields read as empty) ---- */

static json_t *jo(json_t *o, const char *k)
{
    return json_object_get(o, k);
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long ji(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static bool has_str(json_t *o, const char *k)
{
    return json_is_string(json_object_get(o, k));
}

/* The *_local form of a time when the document has it, else the UTC one. */
static const char *local_or(json_t *o, const char *local, const char *utc)
{
    return has_str(o, local) ? js(o, local) : js(o, utc);
}

static const named *find_named(const named *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static const named *find_any(const char *name)
{
    const named *v = find_named(statuses, N_STATUSES, name);
    if (v == NULL)
        v = find_named(evidence_statuses, sizeof evidence_statuses / sizeof evidence_statuses[0],
                       name);
    if (v == NULL)
        v = find_named(other_names, sizeof other_names / sizeof other_names[0], name);
    return v;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), so no
 * time zone of this machine is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* RFC 3339 ("2026-06-30T16:59:59Z" or with "+07:00") to unix seconds. */
static bool parse_time(const char *s, int64_t *t)
{
    int64_t y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    if (s[19] == '+' || s[19] == '-') {
        if (strlen(s) < 25 || !digits(s + 20, 2, &oh) || s[22] != ':' || !digits(s + 23, 2, &om))
            return false;
        sign = s[19] == '+' ? 1 : -1;
    } else if (s[19] != 'Z') {
        return false;
    }
    *t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    return true;
}

/* A measure (exact decimal string) as a number, for drawing only: the page
 * prints the string itself. */
static bool parse_num(json_t *o, const char *k, double *v)
{
    const char *s = json_string_value(json_object_get(o, k));
    char *end;
    if (s == NULL || *s == '\0')
        return false;
    *v = strtod(s, &end);
    return *end == '\0';
}

/* ---- writing ---- */

/* Every string from the document: escaped, invisible characters shown
 * (docs/audit.md), C0 controls too (never meaningful in a name). */
static void put(page *p, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        uint32_t cp;
        size_t n = gs_rules_invisible(s, &cp);
        if (n > 0) {
            fprintf(p->f, "&lt;U+%04X&gt;", (unsigned)cp);
            s += n - 1;
            continue;
        }
        switch (*s) {
        case '<': fputs("&lt;", p->f); break;
        case '>': fputs("&gt;", p->f); break;
        case '&': fputs("&amp;", p->f); break;
        case '"': fputs("&quot;", p->f); break;
        case '\'': fputs("&#39;", p->f); break;
        case '\n':
        case '\t': fputc(' ', p->f); break;
        default:
            if ((unsigned char)*s < 0x20 || *s == 0x7f)
                fprintf(p->f, "&lt;U+%04X&gt;", (unsigned)(unsigned char)*s);
            else
                fputc(*s, p->f);
        }
    }
}

/* Trusted markup written by this file. */
static void raw(page *p, const char *s)
{
    fputs(s, p->f);
}

static void lab(page *p, label_id id)
{
    put(p, labels[id][p->lang]);
}

static void num(page *p, long long v)
{
    fprintf(p->f, "%lld", v);
}

/* A value of the document in words when the table knows it, else as is. */
static void put_named(page *p, const char *name)
{
    const named *v = find_any(name);
    if (v != NULL)
        lab(p, v->label);
    else
        put(p, name);
}

static const char *color_of(const char *name)
{
    const named *v = find_any(name);
    return v != NULL && v->color != NULL ? v->color : "#555";
}

static void badge(page *p, const char *name)
{
    fprintf(p->f, "<span class=\"badge\" style=\"background:%s\">", color_of(name));
    put_named(p, name);
    raw(p, "</span>");
}

/* A time as people read it: "2026-06-30 23:59:59 +07:00" (UTC as "UTC"),
 * the exact string kept in datetime. */
static void put_time(page *p, const char *s)
{
    int64_t t;
    if (s == NULL || *s == '\0') {
        raw(p, "–");
        return;
    }
    raw(p, "<time datetime=\"");
    put(p, s);
    raw(p, "\">");
    if (!parse_time(s, &t)) {
        put(p, s);
    } else {
        fprintf(p->f, "%.10s %.8s %s", s, s + 11, s[19] == 'Z' ? "UTC" : "");
        if (s[19] != 'Z')
            put(p, s + 19);
    }
    raw(p, "</time>");
}

/* A short date (the first ten characters of an RFC 3339 time). */
static void put_date(page *p, const char *s)
{
    char d[11];
    snprintf(d, sizeof d, "%s", s);
    put(p, d);
}

/* The one key display: the fingerprint, the full base64 on demand. */
static void put_key(page *p, json_t *person)
{
    const char *fp = has_str(person, "fingerprint") ? js(person, "fingerprint") : js(person, "key");
    raw(p, "<code class=\"fp\" title=\"");
    put(p, js(person, "key"));
    raw(p, "\">");
    put(p, fp);
    raw(p, "</code>");
}

static void put_person(page *p, json_t *person)
{
    if (!json_is_object(person)) {
        lab(p, L_NONE);
        return;
    }
    raw(p, "<span class=\"person\">");
    if (has_str(person, "name"))
        put(p, js(person, "name"));
    else
        lab(p, L_CITIZEN);
    raw(p, "</span> ");
    put_key(p, person);
}

/* The unit's display name for an origin, else the origin. */
static void put_unit_name(page *p, const char *origin)
{
    size_t i;
    json_t *u;
    json_array_foreach(jo(p->doc, "units"), i, u)
    {
        if (strcmp(js(u, "origin"), origin) == 0 && js(u, "name")[0] != '\0') {
            put(p, js(u, "name"));
            return;
        }
    }
    put(p, origin);
}

/* An element id for a commitment: "c-ORIGIN:INDEX", escaped like any text. */
static void put_anchor(page *p, const char *origin, long long index)
{
    raw(p, "c-");
    put(p, origin);
    fprintf(p->f, ":%lld", index);
}

static void commitment_link(page *p, json_t *c, const char *origin)
{
    raw(p, "<a href=\"#");
    put_anchor(p, origin, ji(c, "index"));
    raw(p, "\">");
    put(p, js(c, "id"));
    raw(p, "</a>");
}

/* ---- the style sheet: mobile first, printable ---- */

static const char css[] =
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:#f3f4f6;color:#1c2430;font:16px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Noto Sans',Arial,sans-serif}\n"
    "header.top{background:#123a5c;color:#fff;padding:14px 0}\n"
    "header.top h1{margin:0;font-size:1.35em}header.top p{margin:4px 0 0}\n"
    "header.top code{background:rgba(255,255,255,.18);color:#fff}\n"
    "header.top .wrap{max-width:980px;margin:0 auto;padding:0 12px}\n"
    "th::first-letter{text-transform:uppercase}\n"
    "main{max-width:980px;margin:0 auto;padding:8px 12px 32px}\n"
    "h2{font-size:1.25em;margin:28px 0 8px;padding-bottom:4px;border-bottom:2px solid #123a5c}\n"
    "h3{font-size:1.08em;margin:0 0 6px}h4{font-size:.98em;margin:14px 0 6px}\n"
    ".card{background:#fff;border-radius:10px;padding:12px 14px;margin:10px 0;"
    "box-shadow:0 1px 3px rgba(0,0,0,.1)}\n"
    ".alert{background:#fdecea;border:2px solid #b3261e;border-radius:10px;padding:12px 14px;"
    "margin:12px 0;color:#5f120d}\n.alert h2{border:0;margin:0 0 4px;color:#b3261e}\n"
    ".ok{color:#1e7b34;font-weight:700}.bad{color:#b3261e;font-weight:700}\n"
    ".verif{display:inline-block;background:#fff;border-radius:6px;padding:2px 8px;margin-top:6px;"
    "font-weight:700}\n"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px;"
    "margin:8px 0}\n"
    ".tile{background:#fff;border-radius:10px;padding:8px 10px;border-left:7px solid #555;"
    "box-shadow:0 1px 3px rgba(0,0,0,.1)}\n"
    ".tile .n{display:block;font-size:1.9em;font-weight:800;line-height:1.1}\n"
    ".tile .l{font-size:.9em}.tile.zero{opacity:.5}.tile.total{border-left-color:#123a5c}\n"
    ".unit-row{padding:8px 0;border-bottom:1px solid #e3e6ea}.unit-row:last-child{border:0}\n"
    ".unit-row .name{font-weight:700}\n"
    ".chips{display:flex;flex-wrap:wrap;gap:4px 6px;margin:4px 0}\n"
    ".chip{display:inline-flex;align-items:center;gap:4px;font-size:.88em;background:#eef1f4;"
    "border-radius:999px;padding:1px 9px}\n.chip b{font-size:1.05em}\n"
    ".chip.zero{display:none}\n"
    ".dot{display:inline-block;width:.75em;height:.75em;border-radius:50%}\n"
    ".badge{display:inline-block;color:#fff;border-radius:999px;padding:1px 9px;font-size:.85em;"
    "font-weight:600;line-height:1.5}\n"
    ".heads li{margin:6px 0}.heads .n{font-weight:800;color:#b3261e}\n"
    "code,.fp{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82em;"
    "background:#eef1f4;border-radius:4px;padding:0 4px;word-break:break-all}\n"
    ".muted{color:#5b6570;font-size:.9em}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;margin:6px 0 10px;font-size:.92em;min-width:60%}\n"
    "td,th{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#f0f2f5;font-weight:600}\n"
    "dl.facts{display:grid;grid-template-columns:1fr;gap:0 12px;margin:6px 0}\n"
    "dl.facts dt{color:#5b6570;font-size:.85em;margin-top:4px}dl.facts dd{margin:0}\n"
    "ul.roles{padding-left:1.1em;margin:4px 0}\n"
    "svg.chart{display:block;width:100%;max-width:480px;height:auto;margin:6px 0}\n"
    "svg.chart-summary{max-width:none;height:18px;margin:6px 0 10px}\n"
    "svg text{font-family:inherit}\n"
    ".risk{background:#fff4e5;border-left:5px solid #e8830c;padding:6px 10px;margin:6px 0}\n"
    "ul.tree{padding-left:1.1em}ul.tree li{margin:3px 0}\n"
    ".legend{font-size:.85em;color:#5b6570;margin:0 0 8px}.legend span{font-weight:700}\n"
    "ul.clist{list-style:none;padding:0;margin:4px 0}ul.clist li{margin:3px 0}\n"
    "details summary{cursor:pointer;color:#123a5c}\n"
    "footer{max-width:980px;margin:0 auto;padding:12px;color:#5b6570;font-size:.85em}\n"
    "a{color:#0b5cad}\n"
    "@media (max-width:640px){table.rt{min-width:0;width:100%}table.rt tr.h{display:none}"
    "table.rt tr{display:block;border-bottom:1px solid #e3e6ea;padding:6px 0}"
    "table.rt td{display:block;border:0;padding:1px 0}"
    "table.rt td[data-label]::before{content:attr(data-label) \": \";color:#5b6570;"
    "font-size:.85em}.tile{padding:5px 10px}.tile .n{font-size:1.55em}}\n"
    "@media (min-width:700px){header.top{padding:18px 0}header.top .wrap,main{padding-left:24px;"
    "padding-right:24px}"
    "dl.facts{grid-template-columns:max-content 1fr}dl.facts dt{font-size:1em;margin:0}"
    ".charts{display:grid;grid-template-columns:1fr 1fr;gap:16px;align-items:start}}\n"
    "@media print{body{background:#fff;font-size:11pt}header.top{background:#fff;color:#000;"
    "border-bottom:2px solid #000}.card,.tile{box-shadow:none;border:1px solid #bbb}"
    ".card,.unit-row,svg.chart{break-inside:avoid}h2{break-after:avoid}a{color:inherit;"
    "text-decoration:none}.badge,.tile,.dot,svg{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}\n";

/* ---- tables that read as cards on a phone: the header row hides there
 * and each cell names its column (data-label) ---- */

#define NO_LABEL L_COUNT

static void table_open(page *p, const label_id *cols, size_t n)
{
    raw(p, "<div class=\"scroll\"><table class=\"rt\"><tr class=\"h\">");
    for (size_t i = 0; i < n; i++) {
        raw(p, "<th>");
        if (cols[i] != NO_LABEL)
            lab(p, cols[i]);
        raw(p, "</th>");
    }
    raw(p, "</tr>\n");
}

static void table_close(page *p)
{
    raw(p, "</table></div>\n");
}

static void cell(page *p, label_id col)
{
    if (col == NO_LABEL) {
        raw(p, "<td>");
        return;
    }
    raw(p, "<td data-label=\"");
    lab(p, col);
    raw(p, "\">");
}

/* ---- charts (inline SVG; coordinates in a 320-wide view box) ---- */

static void svg_open(page *p, const char *cls, int w, int h, label_id title, const char *extra)
{
    fprintf(p->f, "<svg class=\"chart %s\" viewBox=\"0 0 %d %d\"%s role=\"img\"><title>", cls, w, h,
            strcmp(cls, "chart-summary") == 0 ? " preserveAspectRatio=\"none\"" : "");
    lab(p, title);
    if (extra != NULL) {
        raw(p, ": ");
        put(p, extra);
    }
    raw(p, "</title>");
}

/* A stacked bar of the statuses of counts (STATUS_COUNTS). */
static void chart_summary(page *p, json_t *counts, const char *who)
{
    long long total = 0;
    for (size_t i = 0; i < N_STATUSES; i++)
        total += ji(counts, statuses[i].name);
    svg_open(p, "chart-summary", 320, 18, L_SUMMARY, who);
    if (total <= 0) {
        raw(p, "<rect x=\"0\" y=\"0\" width=\"320\" height=\"18\" fill=\"#d8dce1\"/>");
    } else {
        double x = 0;
        for (size_t i = 0; i < N_STATUSES; i++) {
            long long n = ji(counts, statuses[i].name);
            if (n <= 0)
                continue;
            double w = 320.0 * (double)n / (double)total;
            fprintf(p->f, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"18\" fill=\"%s\">", x,
                    w, statuses[i].color);
            raw(p, "<title>");
            lab(p, statuses[i].label);
            fprintf(p->f, ": %lld</title></rect>", n);
            x += w;
        }
    }
    raw(p, "</svg>\n");
}

static double clamp0(double v)
{
    return v < 0 ? 0 : v;
}

/* Target against outcome (or the latest progress, or the children's sum):
 * one horizontal bar each on a common scale. */
typedef struct {
    label_id label;
    const char *value; /* the exact string, shown */
    double v;          /* its length, drawn */
    const char *color;
    bool dashed;
} bar_row;

static void chart_target(page *p, json_t *c)
{
    bar_row rows[4];
    int n = 0;
    double v, max = 0;
    json_t *base = jo(c, "baseline"), *prog = jo(c, "progress"), *roll = jo(c, "rollup");
    if (parse_num(c, "target", &v))
        rows[n++] = (bar_row){L_TARGET, js(c, "target"), v, "#7a7f87", false};
    if (ji(c, "revision_count") > 0 && parse_num(base, "target", &v) &&
        strcmp(js(base, "target"), js(c, "target")) != 0)
        rows[n++] = (bar_row){L_ORIGINAL, js(base, "target"), v, "#b8bdc4", true};
    if (parse_num(c, "outcome", &v)) {
        rows[n++] = (bar_row){L_OUTCOME, js(c, "outcome"), v, color_of(js(c, "status")), false};
    } else if (json_array_size(prog) > 0) {
        json_t *last = json_array_get(prog, json_array_size(prog) - 1);
        if (parse_num(last, "value", &v))
            rows[n++] = (bar_row){L_LATEST_PROGRESS, js(last, "value"), v,
                                  color_of(js(c, "status")), false};
    }
    if (json_is_object(roll) && parse_num(roll, "sum", &v))
        rows[n++] = (bar_row){L_CHILDREN_SUM, js(roll, "sum"), v, "#3d6a99", false};
    if (n == 0)
        return;
    for (int i = 0; i < n; i++)
        if (rows[i].v > max)
            max = rows[i].v;
    if (max <= 0)
        max = 1;
    svg_open(p, "chart-target", 320, 8 + 24 * n, L_TARGET, js(c, "id"));
    for (int i = 0; i < n; i++) {
        double y = 6 + 24.0 * i, w = 140.0 * clamp0(rows[i].v) / max;
        fprintf(p->f, "<text x=\"0\" y=\"%.1f\" font-size=\"11\" fill=\"#333\">", y + 13);
        lab(p, rows[i].label);
        raw(p, "</text>");
        fprintf(p->f, "<rect x=\"112\" y=\"%.1f\" width=\"140\" height=\"16\" fill=\"#eef1f4\"/>",
                y + 1);
        fprintf(p->f, "<rect x=\"112\" y=\"%.1f\" width=\"%.2f\" height=\"16\" fill=\"%s\"%s/>",
                y + 1, w < 1 ? 1 : w, rows[i].color,
                rows[i].dashed ? " fill-opacity=\"0.6\" stroke=\"#7a7f87\" stroke-dasharray=\"3 2\""
                               : "");
        fprintf(p->f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" font-weight=\"700\" "
                "fill=\"#1c2430\">",
                116 + (w < 1 ? 1 : w), y + 13);
        put(p, rows[i].value);
        raw(p, "</text>");
    }
    raw(p, "</svg>\n");
}

/* Maps a time range and a value range into a plot area. */
typedef struct {
    int64_t t0, t1;
    double v1;
    double x0, x1, y0, y1; /* y0 is the bottom */
} frame;

static double fx(const frame *g, int64_t t)
{
    double r = g->t1 > g->t0 ? (double)(t - g->t0) / (double)(g->t1 - g->t0) : 0;
    return g->x0 + (g->x1 - g->x0) * (r < 0 ? 0 : r > 1 ? 1 : r);
}

static double fy(const frame *g, double v)
{
    double r = g->v1 > 0 ? clamp0(v) / g->v1 : 0;
    return g->y0 - (g->y0 - g->y1) * (r > 1 ? 1 : r);
}

static void widen(int64_t *lo, int64_t *hi, json_t *o, const char *k)
{
    int64_t t;
    if (parse_time(js(o, k), &t)) {
        if (t < *lo)
            *lo = t;
        if (t > *hi)
            *hi = t;
    }
}

/* A vertical line at time t, labelled at height label_y (each line its own
 * row, so labels never overlap). */
static void vline(page *p, const frame *g, int64_t t, const char *color, const char *dash,
                  label_id label, const char *date, bool label_left, double label_y)
{
    double x = fx(g, t);
    fprintf(p->f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1.5\" stroke-dasharray=\"%s\"/>",
            x, g->y1 - 2, x, g->y0, color, dash);
    fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%s\" text-anchor=\"%s\">",
            label_left ? x - 3 : x + 3, label_y, color, label_left ? "end" : "start");
    lab(p, label);
    if (date != NULL) {
        raw(p, " ");
        put_date(p, date);
    }
    raw(p, "</text>");
}

/* Progress over time: the reported values, the target, the deadline in
 * force (and the original one), today, and the at-risk projection. */
static void chart_progress(page *p, json_t *c)
{
    json_t *prog = jo(c, "progress"), *base = jo(c, "baseline"), *risk = jo(c, "at_risk"), *pt;
    size_t i;
    int64_t lo = INT64_MAX, hi = INT64_MIN, t, deadline, out_t = 0;
    double v, vmax = 0, target = 0, projected = 0, outcome = 0;
    bool has_target, has_proj, has_outcome;
    if (json_array_size(prog) == 0 || !parse_time(js(c, "deadline"), &deadline))
        return;
    json_array_foreach(prog, i, pt) widen(&lo, &hi, pt, "time");
    widen(&lo, &hi, c, "deadline");
    widen(&lo, &hi, base, "deadline");
    widen(&lo, &hi, c, "outcome_time");
    widen(&lo, &hi, risk, "silent_since");
    if (p->as_of > hi && p->as_of - hi < 10LL * 366 * 86400)
        hi = p->as_of;
    if (lo >= hi)
        lo = hi - 86400;
    lo -= (hi - lo) / 20;
    json_array_foreach(prog, i, pt) if (parse_num(pt, "value", &v) && v > vmax) vmax = v;
    has_target = parse_num(c, "target", &target);
    has_proj = json_is_object(risk) && parse_num(risk, "projected", &projected);
    has_outcome = parse_num(c, "outcome", &outcome) && parse_time(js(c, "outcome_time"), &out_t);
    if (has_target && target > vmax)
        vmax = target;
    if (has_proj && projected > vmax)
        vmax = projected;
    if (has_outcome && outcome > vmax)
        vmax = outcome;
    if (parse_num(base, "target", &v) && v > vmax)
        vmax = v;
    frame g = {lo, hi, vmax > 0 ? vmax * 1.08 : 1, 44, 312, 150, 24};

    svg_open(p, "chart-progress", 320, 176, L_LATEST_PROGRESS, js(c, "id"));
    /* axes and the value scale */
    fprintf(p->f,
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#9aa1a9\"/>"
            "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#9aa1a9\"/>",
            g.x0, g.y0, g.x1, g.y0, g.x0, g.y0, g.x0, g.y1);
    fprintf(p->f,
            "<text x=\"%.0f\" y=\"%.0f\" font-size=\"10\" fill=\"#5b6570\" "
            "text-anchor=\"end\">0</text>",
            g.x0 - 3, g.y0 + 3);
    fprintf(p->f, "<text x=\"%.0f\" y=\"168\" font-size=\"10\" fill=\"#5b6570\">", g.x0);
    put_date(p, js(json_array_get(prog, 0), "time_local"));
    raw(p, "</text>");
    if (has_target) {
        double y = fy(&g, target);
        fprintf(p->f,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#1e7b34\" "
                "stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>",
                g.x0, y, g.x1, y);
        fprintf(p->f,
                "<text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" fill=\"#1e7b34\" "
                "text-anchor=\"end\">",
                g.x0 - 3, y + 3);
        put(p, js(c, "target"));
        raw(p, "</text>");
    }
    if (ji(c, "revision_count") > 0 && parse_num(base, "target", &v) &&
        strcmp(js(base, "target"), js(c, "target")) != 0) {
        double y = fy(&g, v);
        fprintf(p->f,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#7a7f87\" "
                "stroke-dasharray=\"2 3\"/><text x=\"%.0f\" y=\"%.1f\" font-size=\"10\" "
                "fill=\"#7a7f87\" text-anchor=\"end\">",
                g.x0, y, g.x1, y, g.x0 - 3, y + 3);
        put(p, js(base, "target"));
        raw(p, "</text>");
    }
    if (parse_time(js(base, "deadline"), &t) && t != deadline)
        vline(p, &g, t, "#7a7f87", "2 3", L_ORIGINAL, NULL, true, g.y1 + 10);
    if (p->as_of >= g.t0 && p->as_of <= g.t1)
        vline(p, &g, p->as_of, "#5b6570", "1 2", L_NOW, NULL, fx(&g, p->as_of) > 230, g.y0 - 4);
    vline(p, &g, deadline, "#b3261e", "5 3", L_DEADLINE, local_or(c, "deadline_local", "deadline"),
          fx(&g, deadline) > 230, g.y1 - 8);
    /* the silence that makes it at risk: from the last report to today */
    size_t r;
    json_t *reason;
    json_array_foreach(jo(risk, "reasons"), r, reason)
    {
        int64_t since;
        if (json_string_value(reason) != NULL &&
            strcmp(json_string_value(reason), "silence") == 0 &&
            parse_time(js(risk, "silent_since"), &since) && p->as_of > since)
            fprintf(p->f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"#e8830c\" fill-opacity=\"0.12\"/>",
                    fx(&g, since), g.y1, fx(&g, p->as_of) - fx(&g, since), g.y0 - g.y1);
    }
    /* the reported values */
    raw(p, "<polyline fill=\"none\" stroke=\"#3d6a99\" stroke-width=\"2\" points=\"");
    json_array_foreach(prog, i, pt)
    {
        if (parse_time(js(pt, "time"), &t) && parse_num(pt, "value", &v))
            fprintf(p->f, "%.1f,%.1f ", fx(&g, t), fy(&g, v));
    }
    raw(p, "\"/>");
    json_array_foreach(prog, i, pt)
    {
        if (!parse_time(js(pt, "time"), &t) || !parse_num(pt, "value", &v))
            continue;
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#3d6a99\"><title>", fx(&g, t),
                fy(&g, v));
        put(p, js(pt, "time_local"));
        raw(p, ": ");
        put(p, js(pt, "value"));
        raw(p, "</title></circle>");
    }
    /* the projection from the last report to the deadline */
    json_t *last = json_array_get(prog, json_array_size(prog) - 1);
    if (has_proj && parse_time(js(last, "time"), &t) && parse_num(last, "value", &v)) {
        fprintf(p->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e8830c\" "
                "stroke-width=\"2\" stroke-dasharray=\"4 3\"/>",
                fx(&g, t), fy(&g, v), fx(&g, deadline), fy(&g, projected));
        fprintf(p->f,
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#fff\" stroke=\"#e8830c\" "
                "stroke-width=\"2\"/>",
                fx(&g, deadline), fy(&g, projected));
        fprintf(p->f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#b35c00\" "
                "text-anchor=\"end\">",
                fx(&g, deadline) - 5, fy(&g, projected) + 12);
        put(p, js(risk, "projected"));
        raw(p, "</text>");
    }
    if (has_outcome) {
        fprintf(p->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"%s\"><title>",
                fx(&g, out_t) - 4, fy(&g, outcome) - 4, color_of(js(c, "status")));
        lab(p, L_OUTCOME);
        raw(p, ": ");
        put(p, js(c, "outcome"));
        raw(p, "</title></rect>");
    }
    raw(p, "</svg>\n<p class=\"legend\"><span style=\"color:#3d6a99\">━</span> ");
    lab(p, L_REPORTED);
    raw(p, " <span style=\"color:#1e7b34\">╌</span> ");
    lab(p, L_TARGET);
    raw(p, " <span style=\"color:#b3261e\">┆</span> ");
    lab(p, L_DEADLINE);
    if (has_proj) {
        raw(p, " <span style=\"color:#e8830c\">╌</span> ");
        lab(p, L_PROJECTED);
    }
    raw(p, "</p>\n");
}

/* A unit's heads in turn, one lane each, with a mark at every deadline that
 * failed under them. */
static void chart_tenure(page *p, json_t *unit)
{
    json_t *tl = jo(unit, "head_timeline"), *h, *f;
    size_t i, j;
    int64_t lo = INT64_MAX, hi = INT64_MIN, a, b;
    size_t n = json_array_size(tl);
    if (n == 0)
        return;
    json_array_foreach(tl, i, h)
    {
        widen(&lo, &hi, h, "since");
        widen(&lo, &hi, h, "until");
        json_array_foreach(jo(h, "failed"), j, f) widen(&lo, &hi, f, "deadline");
    }
    if (lo == INT64_MAX)
        return;
    if (p->as_of > hi && p->as_of - hi < 10LL * 366 * 86400)
        hi = p->as_of;
    if (lo >= hi)
        hi = lo + 86400;
    frame g = {lo, hi, 1, 4, 316, 0, 0};
    int lane = 30, top = 4, height = top + lane * (int)n + 20;
    svg_open(p, "chart-tenure", 320, height, L_HEADS, js(unit, "name"));
    json_array_foreach(tl, i, h)
    {
        double y = top + (double)lane * (double)i;
        if (!parse_time(js(h, "since"), &a))
            continue;
        if (!parse_time(js(h, "until"), &b))
            b = hi;
        double x0 = fx(&g, a), x1 = fx(&g, b);
        fprintf(p->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"3\" "
                "fill=\"%s\"><title>",
                x0, y + 14, x1 - x0 < 2 ? 2 : x1 - x0, i % 2 ? "#8fb3d9" : "#5d8fc2");
        put(p, js(h, "name"));
        raw(p, "</title></rect>");
        /* the name on its own line at the left: a late tenure's bar is short */
        fprintf(p->f, "<text x=\"4\" y=\"%.1f\" font-size=\"10\" fill=\"#1c2430\">", y + 11);
        put(p, has_str(h, "name") ? js(h, "name") : labels[L_UNNAMED][p->lang]);
        fprintf(p->f, " (%zu)</text>", json_array_size(jo(h, "failed")));
        json_array_foreach(jo(h, "failed"), j, f)
        {
            if (!parse_time(js(f, "deadline"), &a))
                continue;
            double x = fx(&g, a);
            fprintf(p->f,
                    "<path d=\"M%.1f %.1f l5 7 l-5 7 l-5 -7 z\" fill=\"#b3261e\" "
                    "stroke=\"#fff\" stroke-width=\"1\"><title>",
                    x, y + 13);
            put(p, js(f, "id"));
            raw(p, " ");
            put_named(p, js(f, "status"));
            raw(p, " ");
            put_date(p, js(f, "deadline"));
            raw(p, "</title></path>");
        }
    }
    double ya = top + (double)lane * (double)n + 4;
    fprintf(p->f, "<line x1=\"4\" y1=\"%.1f\" x2=\"316\" y2=\"%.1f\" stroke=\"#9aa1a9\"/>", ya, ya);
    /* year ticks: the first of January of each year in the range */
    int64_t y0 = 1970 + lo / (365 * 86400LL) - 1;
    for (int64_t y = y0; y < y0 + 200; y++) {
        int64_t ty = days_from_civil(y, 1, 1) * 86400;
        if (ty > hi)
            break;
        if (ty < lo)
            continue;
        double x = fx(&g, ty);
        fprintf(p->f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#9aa1a9\"/>"
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#5b6570\" "
                "text-anchor=\"middle\">%lld</text>",
                x, ya, x, ya + 4,
                x < 14    ? 14
                : x > 306 ? 306
                          : x,
                ya + 13, (long long)y);
    }
    raw(p, "</svg>\n");
}

/* Mean rating per quarter, 0 to 5, with the count. */
static void chart_satisfaction(page *p, json_t *sat, const char *who)
{
    size_t n = json_array_size(sat), i;
    json_t *q;
    if (n == 0)
        return;
    double plot_w = 270, bw = plot_w / (double)n * 0.6;
    if (bw > 48)
        bw = 48;
    frame g = {0, 1, 5, 34, 304, 118, 14};
    svg_open(p, "chart-satisfaction", 320, 150, L_SATISFACTION, who);
    for (int s = 1; s <= 5; s++) {
        double y = fy(&g, s);
        fprintf(p->f,
                "<line x1=\"34\" y1=\"%.1f\" x2=\"304\" y2=\"%.1f\" stroke=\"#e3e6ea\"/>"
                "<text x=\"28\" y=\"%.1f\" font-size=\"10\" fill=\"#5b6570\" "
                "text-anchor=\"end\">%d</text>",
                y, y, y + 3, s);
    }
    fprintf(p->f, "<line x1=\"34\" y1=\"%.1f\" x2=\"304\" y2=\"%.1f\" stroke=\"#9aa1a9\"/>", g.y0,
            g.y0);
    json_array_foreach(sat, i, q)
    {
        double v = 0, cx = 34 + plot_w / (double)n * ((double)i + 0.5);
        parse_num(q, "mean", &v);
        double y = fy(&g, v);
        const char *color = v >= 4 ? "#1e7b34" : v >= 3 ? "#b58900" : "#b3261e";
        fprintf(p->f,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" "
                "fill=\"%s\"><title>",
                cx - bw / 2, y, bw, g.y0 - y < 1 ? 1 : g.y0 - y, color);
        put(p, js(q, "quarter"));
        raw(p, ": ");
        put(p, js(q, "mean"));
        fprintf(p->f, " (n=%lld)</title></rect>", ji(q, "count"));
        fprintf(p->f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" font-weight=\"700\" "
                "text-anchor=\"middle\" fill=\"#1c2430\">",
                cx, y - 3);
        put(p, js(q, "mean"));
        fprintf(p->f,
                "</text><text x=\"%.1f\" y=\"132\" font-size=\"10\" text-anchor=\"middle\" "
                "fill=\"#1c2430\">",
                cx);
        put(p, js(q, "quarter"));
        fprintf(p->f,
                "</text><text x=\"%.1f\" y=\"144\" font-size=\"10\" text-anchor=\"middle\" "
                "fill=\"#5b6570\">n=%lld</text>",
                cx, ji(q, "count"));
    }
    raw(p, "</svg>\n");
}

static void satisfaction_table(page *p, json_t *sat)
{
    size_t i;
    json_t *q;
    raw(p, "<div class=\"scroll\"><table><tr><th>");
    lab(p, L_QUARTER);
    raw(p, "</th><th>");
    lab(p, L_RATINGS);
    raw(p, "</th><th>");
    lab(p, L_MEAN);
    raw(p, "</th></tr>\n");
    json_array_foreach(sat, i, q)
    {
        raw(p, "<tr><td>");
        put(p, js(q, "quarter"));
        raw(p, "</td><td>");
        num(p, ji(q, "count"));
        raw(p, "</td><td>");
        put(p, js(q, "mean"));
        raw(p, "</td></tr>\n");
    }
    raw(p, "</table></div>\n");
}

/* ---- sections ---- */

/* Status chips with data attributes: attr names what they count. */
static void status_chips(page *p, json_t *counts, const char *attr, const char *scope)
{
    raw(p, "<div class=\"chips\">");
    for (size_t i = 0; i < N_STATUSES; i++) {
        long long n = ji(counts, statuses[i].name);
        fprintf(p->f, "<span class=\"chip%s\" %s=\"", n == 0 ? " zero" : "", attr);
        put(p, scope);
        fprintf(p->f, "\" data-status=\"%s\" data-count=\"%lld\">", statuses[i].name, n);
        fprintf(p->f, "<span class=\"dot\" style=\"background:%s\"></span><b>%lld</b> ",
                statuses[i].color, n);
        lab(p, statuses[i].label);
        raw(p, "</span>");
    }
    fprintf(p->f, "<span class=\"chip\" %s=\"", attr);
    put(p, scope);
    fprintf(p->f, "\" data-status=\"total\" data-count=\"%lld\">", ji(counts, "total"));
    lab(p, L_TOTAL);
    fprintf(p->f, " <b>%lld</b></span></div>\n", ji(counts, "total"));
}

static void write_head(page *p)
{
    fprintf(p->f,
            "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
            p->lang ? "vi" : "en");
    lab(p, L_TITLE);
    raw(p, " — ");
    put(p, js(p->doc, "as_of"));
    raw(p, "</title>\n<style>\n");
    raw(p, css);
    raw(p, "</style></head><body>\n<header class=\"top\"><div class=\"wrap\"><h1>");
    lab(p, L_TITLE);
    raw(p, "</h1><p>");
    lab(p, L_SUBTITLE);
    raw(p, " · ");
    lab(p, L_AS_OF);
    raw(p, " ");
    put_time(p, js(p->doc, "as_of"));
    if (has_str(p->doc, "hub")) {
        raw(p, " · ");
        lab(p, L_HUB);
        raw(p, " <code>");
        put(p, js(p->doc, "hub"));
        raw(p, "</code>");
    }
    raw(p, "</p><p><span class=\"verif ");
    if (json_is_true(jo(p->doc, "verified"))) {
        raw(p, "ok\" data-verified=\"true\">✔ ");
        lab(p, L_VERIFIED);
    } else {
        raw(p, "bad\" data-verified=\"false\">✘ ");
        lab(p, json_array_size(jo(p->doc, "evidence")) > 0 ? L_NOT_VERIFIED_EV : L_NOT_VERIFIED);
    }
    raw(p, "</span></p></div></header>\n<main>\n");
}

/* First of all: the evidence the audit met, if any. */
static void write_alert(page *p)
{
    json_t *c = jo(p->doc, "evidence_count");
    if (json_array_size(jo(p->doc, "evidence")) == 0) {
        raw(p, "<p class=\"muted\" id=\"evidence-none\">");
        lab(p, L_EVIDENCE_NONE);
        raw(p, "</p>\n");
        return;
    }
    raw(p, "<div class=\"alert\" role=\"alert\" id=\"evidence-alert\"><h2>⚠ ");
    lab(p, L_ALERT_HEAD);
    raw(p, "</h2><p><b>");
    num(p, ji(c, "proof"));
    raw(p, "</b> ");
    lab(p, L_ALERT_PROOF);
    raw(p, " · <b>");
    num(p, ji(c, "unverifiable"));
    raw(p, "</b> ");
    lab(p, L_ALERT_UNVER);
    raw(p, "</p><p><a href=\"#evidence\">");
    lab(p, L_ALERT_SEE);
    raw(p, " ↓</a></p></div>\n");
}

static void write_summary(page *p)
{
    json_t *sum = jo(p->doc, "summary"), *by = jo(sum, "by_status"), *u, *h, *o;
    size_t i, j;
    raw(p, "<section id=\"summary\"><h2>");
    lab(p, L_SUMMARY);
    raw(p, "</h2>\n<h3>");
    lab(p, L_NETWORK);
    raw(p, "</h3>\n<div class=\"tiles\" id=\"summary-network\">\n");
    for (size_t k = 0; k < N_STATUSES; k++) {
        long long n = ji(by, statuses[k].name);
        fprintf(p->f,
                "<div class=\"tile%s\" style=\"border-left-color:%s\" data-status=\"%s\" "
                "data-count=\"%lld\"><span class=\"n\" style=\"color:%s\">%lld</span>"
                "<span class=\"l\">",
                n == 0 ? " zero" : "", statuses[k].color, statuses[k].name, n, statuses[k].color,
                n);
        lab(p, statuses[k].label);
        raw(p, "</span></div>\n");
    }
    fprintf(p->f,
            "<div class=\"tile total\" data-status=\"total\" data-count=\"%lld\"><span "
            "class=\"n\">%lld</span><span class=\"l\">",
            ji(by, "total"), ji(by, "total"));
    lab(p, L_TOTAL);
    raw(p, " ");
    lab(p, L_COMMITMENTS_N);
    raw(p, "</span></div>\n</div>\n");
    chart_summary(p, by, labels[L_NETWORK][p->lang]);

    raw(p, "<h3>");
    lab(p, L_HEADS_ANSWERING);
    raw(p, "</h3>\n");
    if (json_array_size(jo(sum, "heads_answering")) == 0) {
        raw(p, "<p class=\"muted\">");
        lab(p, L_HEADS_NONE);
        raw(p, "</p>\n");
    } else {
        raw(p, "<ol class=\"heads card\" id=\"heads-answering\">\n");
        json_array_foreach(jo(sum, "heads_answering"), i, h)
        {
            raw(p, "<li data-failed=\"");
            num(p, ji(h, "failed"));
            raw(p, "\">");
            put_person(p, h);
            raw(p, " — <span class=\"n\">");
            num(p, ji(h, "failed"));
            raw(p, "</span> ");
            lab(p, L_FAILED_DEADLINES);
            raw(p, " ");
            lab(p, L_IN_UNITS);
            raw(p, " ");
            json_array_foreach(jo(h, "units"), j, o)
            {
                if (j > 0)
                    raw(p, ", ");
                put_unit_name(p, json_string_value(o) ? json_string_value(o) : "");
            }
            raw(p, "</li>\n");
        }
        raw(p, "</ol>\n");
    }

    raw(p, "<h3>");
    lab(p, L_PER_UNIT);
    raw(p, "</h3>\n<div class=\"card\" id=\"summary-units\">\n");
    json_array_foreach(jo(p->doc, "units"), i, u)
    {
        raw(p, "<div class=\"unit-row\"><a class=\"name\" href=\"#u-");
        put(p, js(u, "origin"));
        raw(p, "\">");
        put(p, has_str(u, "name") ? js(u, "name") : js(u, "origin"));
        raw(p, "</a> <span class=\"muted\">");
        num(p, ji(jo(u, "summary"), "total"));
        raw(p, " ");
        lab(p, L_COMMITMENTS_N);
        raw(p, "</span>\n");
        chart_summary(p, jo(u, "summary"), js(u, "name"));
        status_chips(p, jo(u, "summary"), "data-unit", js(u, "origin"));
        raw(p, "</div>\n");
    }
    raw(p, "</div>\n");

    raw(p, "<h3>");
    lab(p, L_CLAIMS);
    raw(p, "</h3>\n<div class=\"chips\" id=\"summary-evidence-status\">");
    for (i = 0; i < sizeof evidence_statuses / sizeof evidence_statuses[0]; i++) {
        const named *e = &evidence_statuses[i];
        fprintf(p->f,
                "<span class=\"chip\" data-evidence-status=\"%s\" data-count=\"%lld\">"
                "<span class=\"dot\" style=\"background:%s\"></span><b>%lld</b> ",
                e->name, ji(jo(sum, "evidence_status"), e->name), e->color,
                ji(jo(sum, "evidence_status"), e->name));
        lab(p, e->label);
        raw(p, "</span>");
    }
    raw(p, "</div>\n</section>\n");
}

static void write_evidence(page *p)
{
    size_t i, j;
    json_t *v, *w;
    if (json_array_size(jo(p->doc, "evidence")) == 0)
        return;
    raw(p, "<section id=\"evidence\"><h2>");
    lab(p, L_EVIDENCE);
    raw(p, "</h2>\n<p>");
    lab(p, L_EVIDENCE_INTRO);
    raw(p, "</p>\n");
    json_array_foreach(jo(p->doc, "evidence"), i, v)
    {
        json_t *det = jo(v, "detector"), *in = jo(v, "found_in");
        bool proof = strcmp(js(v, "verdict"), "proof") == 0;
        bool against_log = proof && strcmp(js(v, "against"), "log") == 0;
        fprintf(p->f,
                "<div class=\"card\" data-evidence=\"%lld\" data-verdict=\"%s\" "
                "style=\"border-left:6px solid %s\"><h3>[%lld] ",
                ji(v, "n"), proof ? "proof" : "unverifiable", proof ? "#b3261e" : "#d9480f",
                ji(v, "n"));
        fprintf(p->f, "<span class=\"badge\" style=\"background:%s\">",
                proof ? "#b3261e" : "#d9480f");
        lab(p, against_log ? L_PROOF_LOG : proof ? L_PROOF_SOURCE : L_UNVERIFIABLE);
        raw(p, "</span></h3>\n<dl class=\"facts\"><dt>");
        lab(p, L_KIND);
        raw(p, "</dt><dd>");
        put(p, js(v, "kind"));
        if (json_is_integer(jo(v, "part"))) {
            raw(p, " (");
            lab(p, L_PART);
            fprintf(p->f, " %lld/%lld)", ji(v, "part"), ji(v, "parts"));
        }
        raw(p, "</dd><dt>");
        lab(p, L_LOG);
        raw(p, "</dt><dd><code>");
        put(p, js(v, "origin"));
        raw(p, "</code></dd><dt>");
        lab(p, L_WHAT);
        raw(p, "</dt><dd>");
        put(p, js(v, "description"));
        raw(p, "<br>");
        put(p, proof ? js(v, "proves") : js(v, "error"));
        raw(p, "</dd>");
        if (js(v, "reason")[0] != '\0' && strcmp(js(v, "reason"), "-") != 0) {
            raw(p, "<dt>");
            lab(p, L_IT_SAYS);
            raw(p, "</dt><dd>“");
            put(p, js(v, "reason"));
            raw(p, "”</dd>");
        }
        raw(p, "<dt>");
        lab(p, L_DETECTED_AT);
        raw(p, "</dt><dd>");
        put_time(p, js(v, "detected_at"));
        raw(p, "</dd><dt>");
        lab(p, L_DETECTOR);
        raw(p, "</dt><dd><code>");
        put(p, js(det, "origin"));
        raw(p, "</code> ");
        put_key(p, det);
        if (has_str(det, "witness")) {
            raw(p, ", ");
            lab(p, L_WITNESS);
            raw(p, " ");
            put(p, js(det, "witness"));
        }
        raw(p, "; ");
        lab(p, json_is_true(jo(det, "signature_verified")) ? L_SIG_OK : L_SIG_BAD);
        raw(p, "</dd><dt>");
        lab(p, L_CHECKPOINTS);
        raw(p, "</dt><dd>");
        json_array_foreach(jo(v, "checkpoints"), j, w)
        {
            fprintf(p->f, "%lld: <code>", ji(w, "size"));
            put(p, js(w, "root_b64"));
            raw(p, "</code><br>");
        }
        raw(p, "</dd><dt>");
        lab(p, L_FOUND_IN);
        raw(p, "</dt><dd>");
        const char *sep = "";
        if (json_is_true(jo(in, "hub"))) {
            lab(p, L_FOUND_HUB);
            sep = ", ";
        }
        if (json_is_integer(jo(in, "hub_log_index"))) {
            raw(p, sep);
            lab(p, L_FOUND_HUB_LOG);
            fprintf(p->f, " %lld", ji(in, "hub_log_index"));
            sep = ", ";
        }
        if (has_str(in, "monitor")) {
            raw(p, sep);
            lab(p, L_FOUND_MONITOR);
            raw(p, " <code>");
            put(p, js(in, "monitor"));
            raw(p, "</code>");
        }
        raw(p, "</dd></dl>\n<details><summary>leaf hash</summary><code>");
        put(p, js(v, "leaf_hash_b64"));
        raw(p, "</code></details></div>\n");
    }
    raw(p, "</section>\n");
}

/* Findings and feedback (ITEM): who, what, rating or verdict, answer. */
static void items_table(page *p, json_t *items)
{
    size_t i;
    json_t *it;
    static const label_id cols[] = {NO_LABEL, L_BY, L_TEXT, L_RATING, L_DUE, L_ANSWER};
    table_open(p, cols, sizeof cols / sizeof cols[0]);
    json_array_foreach(items, i, it)
    {
        raw(p, "<tr>");
        cell(p, NO_LABEL);
        raw(p, "<b>");
        put_named(p, js(it, "kind"));
        raw(p, "</b>");
        if (has_str(it, "severity")) {
            raw(p, " (");
            put_named(p, js(it, "severity"));
            raw(p, ")");
        }
        raw(p, "<br>");
        put_time(p, local_or(it, "issued_at_local", "issued_at"));
        raw(p, "</td>");
        cell(p, L_BY);
        put_person(p, jo(it, "by"));
        raw(p, "</td>");
        cell(p, L_TEXT);
        put(p, js(it, "text"));
        if (has_str(it, "about")) {
            raw(p, "<br><span class=\"muted\">");
            lab(p, L_ABOUT);
            raw(p, " <code>");
            put(p, js(it, "about"));
            raw(p, "</code></span>");
        }
        raw(p, "</td>");
        cell(p, L_RATING);
        if (json_is_integer(jo(it, "rating"))) {
            long long r = ji(it, "rating");
            fprintf(p->f, "<span title=\"%lld/5\">", r);
            for (long long s = 1; s <= 5; s++)
                raw(p, s <= r ? "★" : "☆");
            raw(p, "</span>");
        }
        if (has_str(it, "verdict"))
            badge(p, js(it, "verdict"));
        raw(p, "</td>");
        cell(p, L_DUE);
        put_time(p, js(it, "response_due"));
        raw(p, "</td>");
        cell(p, L_ANSWER);
        badge(p, js(it, "status"));
        if (has_str(it, "responded_at")) {
            raw(p, "<br>");
            put_time(p, js(it, "responded_at"));
            raw(p, " ");
            lab(p, L_ANSWERED_BY);
            raw(p, " ");
            put_person(p, jo(it, "response_by"));
        }
        raw(p, "</td></tr>\n");
    }
    table_close(p);
}

static void write_units(page *p)
{
    size_t i, j;
    json_t *u, *w;
    raw(p, "<section id=\"units\"><h2>");
    lab(p, L_UNITS);
    raw(p, "</h2>\n");
    json_array_foreach(jo(p->doc, "units"), i, u)
    {
        json_t *tl = jo(u, "head_timeline");
        raw(p, "<div class=\"card unit\" id=\"u-");
        put(p, js(u, "origin"));
        raw(p, "\"><h3>");
        put(p, has_str(u, "name") ? js(u, "name") : js(u, "origin"));
        raw(p, "</h3><p class=\"muted\">");
        put_named(p, js(u, "tier"));
        raw(p, " · <code>");
        put(p, js(u, "origin"));
        raw(p, "</code>");
        if (has_str(u, "parent")) {
            raw(p, " · ");
            lab(p, L_PARENT_UNIT);
            raw(p, " ");
            put_unit_name(p, js(u, "parent"));
        }
        if (has_str(u, "time_zone")) {
            raw(p, " · ");
            lab(p, L_TIME_ZONE);
            raw(p, " ");
            put(p, js(u, "time_zone"));
        }
        raw(p, "</p>\n<h4>");
        lab(p, L_HEADS);
        raw(p, "</h4>\n");
        chart_tenure(p, u);
        if (json_array_size(tl) > 0) {
            raw(p, "<p class=\"muted\">");
            lab(p, L_TENURE_LEGEND);
            raw(p, "</p>\n");
        }
        /* the timeline has local times; older documents only heads */
        json_t *rows = json_array_size(tl) > 0 ? tl : jo(u, "heads");
        static const label_id head_cols[] = {L_HEAD, L_SINCE, L_UNTIL, L_FAILED_DEADLINES};
        table_open(p, head_cols, 4);
        json_array_foreach(rows, j, w)
        {
            raw(p, "<tr>");
            cell(p, NO_LABEL);
            put_person(p, w);
            raw(p, "</td>");
            cell(p, L_SINCE);
            put_time(p, local_or(w, "since_local", "since"));
            raw(p, "</td>");
            cell(p, L_UNTIL);
            if (has_str(w, "until"))
                put_time(p, local_or(w, "until_local", "until"));
            else
                lab(p, L_IN_OFFICE);
            raw(p, "</td>");
            cell(p, L_FAILED_DEADLINES);
            if (json_is_array(jo(w, "failed"))) {
                size_t k;
                json_t *f;
                num(p, (long long)json_array_size(jo(w, "failed")));
                json_array_foreach(jo(w, "failed"), k, f)
                {
                    raw(p, k == 0 ? ": " : ", ");
                    commitment_link(p, f, js(u, "origin"));
                }
            }
            raw(p, "</td></tr>\n");
        }
        table_close(p);
        if (json_array_size(jo(u, "deadlines_failed")) > 0) {
            static const label_id cols[] = {NO_LABEL, L_DEADLINE, L_OWNER, L_HEAD_AT_DEADLINE};
            raw(p, "<h4>");
            lab(p, L_DEADLINES_FAILED);
            raw(p, "</h4>\n");
            table_open(p, cols, 4);
            json_array_foreach(jo(u, "deadlines_failed"), j, w)
            {
                json_t *h = jo(w, "head_at_deadline");
                raw(p, "<tr>");
                cell(p, NO_LABEL);
                badge(p, js(w, "status"));
                raw(p, " ");
                commitment_link(p, w, js(u, "origin"));
                raw(p, " ");
                put(p, js(w, "title"));
                raw(p, "</td>");
                cell(p, L_DEADLINE);
                put_time(p, local_or(w, "deadline_local", "deadline"));
                raw(p, "</td>");
                cell(p, L_OWNER);
                put_person(p, jo(w, "owner"));
                raw(p, "</td>");
                cell(p, L_HEAD_AT_DEADLINE);
                if (json_is_object(h)) {
                    put_person(p, h);
                    raw(p, " <span class=\"muted\">(");
                    lab(p,
                        json_is_true(jo(h, "still_in_office")) ? L_STILL_IN_OFFICE : L_LEFT_OFFICE);
                    raw(p, ")</span>");
                } else {
                    lab(p, L_NONE);
                }
                raw(p, "</td></tr>\n");
            }
            table_close(p);
        }
        raw(p, "<h4>");
        lab(p, L_SATISFACTION);
        raw(p, "</h4>\n");
        if (json_array_size(jo(u, "satisfaction")) == 0) {
            raw(p, "<p class=\"muted\">");
            lab(p, L_NO_RATINGS);
            raw(p, "</p>\n");
        } else {
            chart_satisfaction(p, jo(u, "satisfaction"), js(u, "name"));
            raw(p, "<p class=\"muted\">");
            lab(p, L_SATISFACTION_NOTE);
            raw(p, "</p>\n");
            satisfaction_table(p, jo(u, "satisfaction"));
        }
        if (json_array_size(jo(u, "findings_and_feedback")) > 0) {
            raw(p, "<details><summary>");
            lab(p, L_FINDINGS_FEEDBACK);
            fprintf(p->f, " (%zu)</summary>\n", json_array_size(jo(u, "findings_and_feedback")));
            items_table(p, jo(u, "findings_and_feedback"));
            raw(p, "</details>\n");
        }
        raw(p, "</div>\n");
    }
    raw(p, "</section>\n");
}

static void write_people(page *p)
{
    size_t i, j;
    json_t *v, *w;
    raw(p, "<section id=\"people\"><h2>");
    lab(p, L_PEOPLE);
    raw(p, "</h2>\n");
    json_array_foreach(jo(p->doc, "people"), i, v)
    {
        json_t *sc = jo(v, "scorecard"), *ad = jo(sc, "addressed");
        raw(p, "<div class=\"card person-card\"><h3>");
        put(p, has_str(v, "name") ? js(v, "name") : labels[L_UNNAMED][p->lang]);
        raw(p, "</h3>\n<details><summary>");
        lab(p, L_KEY);
        raw(p, " ");
        put_key(p, v);
        raw(p, "</summary>");
        json_array_foreach(jo(v, "keys"), j, w)
        {
            raw(p, "<code>");
            put(p, json_string_value(w) ? json_string_value(w) : "");
            raw(p, "</code><br>");
        }
        raw(p, "</details>\n<h4>");
        lab(p, L_ROLES);
        raw(p, "</h4><ul class=\"roles\">\n");
        json_array_foreach(jo(v, "roles"), j, w)
        {
            raw(p, "<li><b>");
            put_named(p, js(w, "role"));
            raw(p, "</b>");
            if (js(w, "title")[0] != '\0') {
                raw(p, " — ");
                put(p, js(w, "title"));
            }
            raw(p, " · ");
            put_unit_name(p, js(w, "origin"));
            raw(p, " · ");
            put_date(p, js(w, "since"));
            raw(p, " → ");
            if (has_str(w, "until"))
                put_date(p, js(w, "until"));
            raw(p, " <span class=\"muted\">(");
            put_named(p, js(w, "ended"));
            raw(p, ")</span></li>\n");
        }
        raw(p, "</ul>\n");
        if (ji(jo(sc, "own"), "total") > 0 || json_array_size(jo(v, "commitments")) > 0) {
            raw(p, "<h4>");
            lab(p, L_OWN_COMMITMENTS);
            raw(p, "</h4>\n");
            if (json_is_object(jo(sc, "own")))
                status_chips(p, jo(sc, "own"), "data-person", js(v, "key"));
            raw(p, "<ul class=\"clist\">");
            json_array_foreach(jo(v, "commitments"), j, w)
            {
                raw(p, "<li>");
                badge(p, js(w, "status"));
                raw(p, " ");
                commitment_link(p, w, js(w, "origin"));
                raw(p, " ");
                put(p, js(w, "title"));
                raw(p, " <span class=\"muted\">(");
                put_unit_name(p, js(w, "origin"));
                raw(p, ")</span></li>");
            }
            raw(p, "</ul>\n");
        }
        if (json_array_size(jo(sc, "failed_as_head")) > 0) {
            raw(p, "<h4>");
            lab(p, L_FAILED_AS_HEAD);
            fprintf(p->f, ": <span class=\"bad\">%zu</span></h4>\n<ul class=\"clist\">",
                    json_array_size(jo(sc, "failed_as_head")));
            json_array_foreach(jo(sc, "failed_as_head"), j, w)
            {
                raw(p, "<li>");
                badge(p, js(w, "status"));
                raw(p, " ");
                commitment_link(p, w, js(w, "origin"));
                raw(p, " ");
                put_unit_name(p, js(w, "origin"));
                raw(p, " <span class=\"muted\">(");
                lab(p, L_DEADLINE);
                raw(p, " ");
                put_date(p, js(w, "deadline"));
                raw(p, ")</span></li>");
            }
            raw(p, "</ul>\n");
        }
        if (ji(ad, "total") > 0) {
            raw(p, "<h4>");
            lab(p, L_ADDRESSED);
            raw(p, ": ");
            num(p, ji(ad, "total"));
            raw(p, "</h4>\n<div class=\"chips\">");
            static const struct {
                const char *key;
                label_id label;
                const char *color;
            } a[] = {{"answered_in_time", L_ANSWERED_IN_TIME, "#1e7b34"},
                     {"answered_late", L_ANSWERED_LATE, "#d9480f"},
                     {"unanswered", L_UNANSWERED, "#b3261e"},
                     {"pending", L_PENDING, "#3d6a99"}};
            for (size_t k = 0; k < sizeof a / sizeof a[0]; k++) {
                fprintf(p->f,
                        "<span class=\"chip\"><span class=\"dot\" style=\"background:%s\"></span>"
                        "<b>%lld</b> ",
                        a[k].color, ji(ad, a[k].key));
                lab(p, a[k].label);
                raw(p, "</span>");
            }
            raw(p, "</div>\n");
            if (json_array_size(jo(v, "addressed")) > 0) {
                raw(p, "<details><summary>");
                lab(p, L_FINDINGS_FEEDBACK);
                raw(p, "</summary>\n");
                items_table(p, jo(v, "addressed"));
                raw(p, "</details>\n");
            }
        }
        if (json_array_size(jo(sc, "satisfaction")) > 0) {
            raw(p, "<h4>");
            lab(p, L_SAT_TENURE);
            raw(p, "</h4>\n");
            chart_satisfaction(p, jo(sc, "satisfaction"), js(v, "name"));
        }
        raw(p, "</div>\n");
    }
    raw(p, "</section>\n");
}

static void write_commitment(page *p, json_t *c)
{
    size_t j;
    json_t *w, *base = jo(c, "baseline"), *risk = jo(c, "at_risk"), *roll = jo(c, "rollup");
    const char *status = js(c, "status");
    raw(p, "<div class=\"card commitment\" id=\"");
    put_anchor(p, js(c, "origin"), ji(c, "index"));
    fprintf(p->f, "\" data-status=\"");
    put(p, status);
    fprintf(p->f, "\" style=\"border-top:5px solid %s\"><h3>", color_of(status));
    badge(p, status);
    raw(p, " ");
    put(p, js(c, "id"));
    raw(p, " — ");
    put(p, js(c, "title"));
    raw(p, "</h3>\n<dl class=\"facts\"><dt>");
    lab(p, L_OWNER);
    raw(p, "</dt><dd>");
    put_person(p, jo(c, "owner"));
    raw(p, "</dd><dt>");
    lab(p, L_TARGET);
    raw(p, "</dt><dd>");
    put(p, js(c, "indicator"));
    raw(p, ": ");
    put_named(p, js(c, "direction"));
    raw(p, " <b>");
    put(p, js(c, "target"));
    raw(p, "</b> ");
    put(p, js(c, "unit_of_measure"));
    raw(p, "</dd><dt>");
    lab(p, L_DEADLINE);
    raw(p, "</dt><dd>");
    put_time(p, local_or(c, "deadline_local", "deadline"));
    raw(p, "</dd>");
    if (ji(c, "revision_count") > 0 && json_is_object(base)) {
        raw(p, "<dt>");
        lab(p, L_ORIGINAL_PROMISE);
        raw(p, "</dt><dd><s>");
        put(p, js(base, "target"));
        raw(p, " ");
        put(p, js(c, "unit_of_measure"));
        raw(p, ", ");
        put_time(p, local_or(base, "deadline_local", "deadline"));
        raw(p, "</s></dd>");
    }
    if (has_str(c, "outcome")) {
        raw(p, "<dt>");
        lab(p, L_OUTCOME);
        raw(p, "</dt><dd><b>");
        put(p, js(c, "outcome"));
        raw(p, "</b> ");
        put(p, js(c, "unit_of_measure"));
        if (has_str(c, "percent_of_target")) {
            raw(p, " (");
            put(p, js(c, "percent_of_target"));
            raw(p, "% ");
            lab(p, L_OF_TARGET);
            raw(p, ")");
        }
        raw(p, ", ");
        put_time(p, local_or(c, "outcome_time_local", "outcome_time"));
        raw(p, "</dd>");
    } else if (has_str(c, "progress_percent")) {
        raw(p, "<dt>");
        lab(p, L_LATEST_PROGRESS);
        raw(p, "</dt><dd>");
        put(p, js(c, "progress_percent"));
        raw(p, "% ");
        lab(p, L_OF_TARGET);
        raw(p, "</dd>");
    }
    raw(p, "<dt>");
    lab(p, L_PROGRESS_REPORTS);
    raw(p, "</dt><dd>");
    num(p, ji(c, "progress_reports"));
    if (json_is_true(jo(c, "progress_sampled"))) {
        raw(p, " ");
        lab(p, L_PROGRESS_SAMPLED);
    }
    raw(p, "</dd>");
    if (has_str(c, "evidence_status")) {
        raw(p, "<dt>");
        lab(p, L_EVIDENCE_STATUS);
        raw(p, "</dt><dd>");
        badge(p, js(c, "evidence_status"));
        if (strcmp(js(c, "evidence_status"), "contested") == 0) {
            raw(p, " (");
            lab(p, json_is_true(jo(c, "contest_answered")) ? L_CONTEST_ANSWERED
                                                           : L_CONTEST_UNANSWERED);
            raw(p, ")");
        }
        raw(p, "</dd>");
    }
    raw(p, "</dl>\n");
    if (json_is_object(risk)) {
        raw(p, "<div class=\"risk\"><b>");
        lab(p, L_WHY_AT_RISK);
        raw(p, ":</b><ul>");
        json_array_foreach(jo(risk, "reasons"), j, w)
        {
            const char *r = json_string_value(w) ? json_string_value(w) : "";
            raw(p, "<li>");
            if (strcmp(r, "projection") == 0) {
                lab(p, L_PROJECTION);
                raw(p, " <b>");
                put(p, js(risk, "projected"));
                raw(p, "</b> / ");
                put(p, js(c, "target"));
                raw(p, " ");
                put(p, js(c, "unit_of_measure"));
                raw(p, " ");
                lab(p, L_BY_DEADLINE);
            } else if (strcmp(r, "silence") == 0) {
                lab(p, L_SILENCE);
                raw(p, " <b>");
                num(p, ji(risk, "silent_days"));
                raw(p, "</b> ");
                lab(p, L_DAYS);
                raw(p, " (");
                lab(p, L_SINCE);
                raw(p, " ");
                put_date(p, js(risk, "silent_since"));
                raw(p, ")");
            } else {
                put(p, r);
            }
            raw(p, "</li>");
        }
        raw(p, "</ul></div>\n");
    }
    raw(p, "<div class=\"charts\"><div>");
    chart_target(p, c);
    raw(p, "</div><div>");
    chart_progress(p, c);
    raw(p, "</div></div>\n");
    if (json_array_size(jo(c, "revisions")) > 0) {
        raw(p, "<h4>");
        lab(p, L_REVISIONS);
        fprintf(p->f, " (%lld)</h4>\n", ji(c, "revision_count"));
        static const label_id cols[] = {L_ISSUED, L_TARGET, L_DEADLINE, L_REASON, L_BY};
        table_open(p, cols, 5);
        json_array_foreach(jo(c, "revisions"), j, w)
        {
            raw(p, "<tr>");
            cell(p, L_ISSUED);
            put_time(p, local_or(w, "issued_at_local", "issued_at"));
            fprintf(p->f, " <span class=\"muted\">#%lld</span></td>", ji(w, "index"));
            cell(p, L_TARGET);
            if (has_str(w, "target"))
                put(p, js(w, "target"));
            else
                lab(p, L_UNCHANGED);
            raw(p, "</td>");
            cell(p, L_DEADLINE);
            if (has_str(w, "deadline"))
                put_time(p, local_or(w, "deadline_local", "deadline"));
            else
                lab(p, L_UNCHANGED);
            raw(p, "</td>");
            cell(p, L_REASON);
            put(p, js(w, "reason"));
            raw(p, "</td>");
            cell(p, L_BY);
            put_person(p, jo(w, "by"));
            raw(p, "</td></tr>\n");
        }
        table_close(p);
    }
    if (json_array_size(jo(c, "verdicts")) > 0) {
        raw(p, "<h4>");
        lab(p, L_VERDICTS);
        raw(p, "</h4><ul>\n");
        json_array_foreach(jo(c, "verdicts"), j, w)
        {
            raw(p, "<li>");
            badge(p, js(w, "verdict"));
            raw(p, " ");
            put_person(p, jo(w, "by"));
            raw(p, ", ");
            put_time(p, js(w, "issued_at"));
            raw(p, " <span class=\"muted\">(<code>");
            put(p, js(w, "origin"));
            fprintf(p->f, ":%lld</code> → <code>", ji(w, "index"));
            put(p, js(w, "about"));
            raw(p, "</code>; ");
            lab(p, json_is_true(jo(w, "responded")) ? L_RESPONDED : L_NOT_RESPONDED);
            raw(p, ")</span></li>\n");
        }
        raw(p, "</ul>\n");
    }
    if (json_is_object(roll)) {
        raw(p, "<h4>");
        lab(p, L_ROLLUP);
        raw(p, ": ");
        num(p, ji(roll, "children"));
        raw(p, " ");
        lab(p, L_CHILDREN);
        raw(p, "</h4>\n");
        status_chips(p, jo(roll, "by_status"), "data-rollup", js(c, "id"));
        if (has_str(roll, "sum")) {
            raw(p, "<p>");
            lab(p, L_CHILDREN_SUM);
            raw(p, ": <b>");
            put(p, js(roll, "sum"));
            raw(p, "</b> ");
            put(p, js(roll, "unit_of_measure"));
            if (has_str(roll, "percent_of_target")) {
                raw(p, " (");
                put(p, js(roll, "percent_of_target"));
                raw(p, "% ");
                lab(p, L_OF_TARGET);
                raw(p, ")");
            }
            fprintf(p->f, " — %lld/%lld ", ji(roll, "summed"), ji(roll, "children"));
            lab(p, L_SUMMED);
            raw(p, "</p>\n");
        }
    }
    raw(p, "</div>\n");
}

/* Commitments are in the document under their owners; shown by unit (the
 * units' order, then any other log), in log order. */
static int by_origin_index(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(js(x, "origin"), js(y, "origin"));
    if (c != 0)
        return c;
    return ji(x, "index") < ji(y, "index") ? -1 : ji(x, "index") > ji(y, "index");
}

static int write_commitments(page *p, gs_error *err)
{
    size_t i, j, n = 0, k;
    json_t *v, *c, *u, **all = NULL;
    json_array_foreach(jo(p->doc, "people"), i, v) n += json_array_size(jo(v, "commitments"));
    raw(p, "<section id=\"commitments\"><h2>");
    lab(p, L_COMMITMENTS);
    raw(p, "</h2>\n");
    if (n > 0) {
        all = calloc(n, sizeof *all);
        if (all == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory drawing the report");
        k = 0;
        json_array_foreach(jo(p->doc, "people"), i, v)
            json_array_foreach(jo(v, "commitments"), j, c) all[k++] = c;
        qsort(all, n, sizeof *all, by_origin_index);
        /* units first, in their order; then whatever log has no unit entry */
        bool *done = calloc(n, sizeof *done);
        if (done == NULL) {
            free(all);
            return gs_error_set(err, GS_ENOMEM, "out of memory drawing the report");
        }
        json_array_foreach(jo(p->doc, "units"), i, u)
        {
            bool title = false;
            for (k = 0; k < n; k++) {
                if (done[k] || strcmp(js(all[k], "origin"), js(u, "origin")) != 0)
                    continue;
                if (!title) {
                    raw(p, "<h3>");
                    put(p, has_str(u, "name") ? js(u, "name") : js(u, "origin"));
                    raw(p, "</h3>\n");
                    title = true;
                }
                write_commitment(p, all[k]);
                done[k] = true;
            }
        }
        for (k = 0; k < n; k++) {
            if (done[k])
                continue;
            if (k == 0 || strcmp(js(all[k], "origin"), js(all[k - 1], "origin")) != 0 ||
                done[k - 1]) {
                raw(p, "<h3><code>");
                put(p, js(all[k], "origin"));
                raw(p, "</code></h3>\n");
            }
            write_commitment(p, all[k]);
        }
        free(done);
        free(all);
    }
    raw(p, "</section>\n");
    return 0;
}

static void write_tree(page *p, json_t *n, int depth)
{
    size_t i;
    json_t *k;
    raw(p, "<li>");
    badge(p, js(n, "status"));
    raw(p, " ");
    commitment_link(p, n, js(n, "origin"));
    raw(p, " ");
    put(p, js(n, "title"));
    raw(p, " <span class=\"muted\">— ");
    put_unit_name(p, js(n, "origin"));
    raw(p, ", ");
    put(p, has_str(jo(n, "owner"), "name") ? js(jo(n, "owner"), "name") : "");
    raw(p, "</span>");
    if (json_array_size(jo(n, "children")) > 0 && depth < 64) {
        raw(p, "<ul class=\"tree\">");
        json_array_foreach(jo(n, "children"), i, k) write_tree(p, k, depth + 1);
        raw(p, "</ul>");
    }
    raw(p, "</li>\n");
}

static void write_delegation(page *p)
{
    size_t i;
    json_t *v;
    if (json_array_size(jo(p->doc, "delegation")) == 0)
        return;
    raw(p, "<section id=\"delegation\"><h2>");
    lab(p, L_DELEGATION);
    raw(p, "</h2>\n<div class=\"card\"><ul class=\"tree\">\n");
    json_array_foreach(jo(p->doc, "delegation"), i, v) write_tree(p, v, 0);
    raw(p, "</ul></div></section>\n");
}

static void write_verification(page *p)
{
    size_t i, j;
    json_t *v, *w, *refs = jo(p->doc, "references");
    raw(p, "<section id=\"verification\"><h2>");
    lab(p, L_VERIFICATION);
    raw(p, "</h2>\n<p>");
    if (json_is_true(jo(p->doc, "verified"))) {
        raw(p, "<span class=\"ok\">");
        lab(p, L_VERIFIED);
    } else {
        raw(p, "<span class=\"bad\">");
        lab(p, json_array_size(jo(p->doc, "evidence")) > 0 ? L_NOT_VERIFIED_EV : L_NOT_VERIFIED);
    }
    raw(p, "</span></p>\n");
    static const label_id cols[] = {
        L_LOG,       L_STATUS,          L_SIZE,    L_SIG_VERIFIED, L_REPLAYED,
        L_WITNESSES, L_PARTIAL_PERCENT, L_FAILURES};
    table_open(p, cols, 8);
    json_array_foreach(jo(p->doc, "logs"), i, v)
    {
        json_t *cp = jo(v, "checkpoint"), *par = jo(v, "parameters");
        raw(p, "<tr>");
        cell(p, NO_LABEL);
        raw(p, "<code>");
        put(p, js(v, "origin"));
        raw(p, "</code>");
        if (has_str(v, "name")) {
            raw(p, "<br>");
            put(p, js(v, "name"));
        }
        if (js(v, "time_zone")[0] != '\0') {
            raw(p, "<br><span class=\"muted\">");
            put(p, js(v, "time_zone"));
            raw(p, "</span>");
        }
        raw(p, "</td>");
        cell(p, L_STATUS);
        badge(p, js(v, "status"));
        raw(p, "</td>");
        cell(p, L_SIZE);
        num(p, json_is_object(cp) ? ji(cp, "size") : 0);
        if (json_is_object(cp)) {
            raw(p, "<br><code title=\"root\">");
            put(p, js(cp, "root_b64"));
            raw(p, "</code>");
        }
        raw(p, "</td>");
        cell(p, L_SIG_VERIFIED);
        num(p, ji(v, "entries_verified"));
        raw(p, "</td>");
        cell(p, L_REPLAYED);
        num(p, ji(v, "entries_replayed"));
        raw(p, "</td>");
        cell(p, L_WITNESSES);
        json_array_foreach(jo(cp, "witnesses"), j, w)
        {
            if (j > 0)
                raw(p, ", ");
            put(p, js(w, "name"));
        }
        raw(p, "</td>");
        cell(p, L_PARTIAL_PERCENT);
        if (json_is_integer(jo(par, "partial_percent")))
            fprintf(p->f, "%lld%%", ji(par, "partial_percent"));
        raw(p, "</td>");
        cell(p, L_FAILURES);
        json_array_foreach(jo(v, "evidence"), j, w)
        {
            json_t *e = json_array_get(jo(p->doc, "evidence"), (size_t)json_integer_value(w) - 1);
            fprintf(p->f, "<a href=\"#evidence\">[%lld]</a> ", (long long)json_integer_value(w));
            put(p, js(e, "verdict"));
            raw(p, " ");
            put(p, js(e, "kind"));
            raw(p, "<br>");
        }
        if (ji(v, "failure_count") > 0)
            fprintf(p->f, "%lld: ", ji(v, "failure_count"));
        json_array_foreach(jo(v, "failures"), j, w)
        {
            put(p, json_string_value(w) ? json_string_value(w) : "");
            raw(p, "<br>");
        }
        raw(p, "</td></tr>\n");
    }
    table_close(p);
    raw(p, "<h3>");
    lab(p, L_REFERENCES);
    raw(p, "</h3>\n<p>");
    num(p, ji(refs, "checked"));
    raw(p, " ");
    lab(p, L_CHECKED);
    raw(p, " · ");
    num(p, (long long)json_array_size(jo(refs, "failed")));
    raw(p, " ");
    lab(p, L_REF_FAILED);
    raw(p, " · ");
    num(p, (long long)json_array_size(jo(refs, "unchecked")));
    raw(p, " ");
    lab(p, L_REF_UNCHECKED);
    raw(p, "</p>\n");
    if (json_array_size(jo(refs, "failed")) + json_array_size(jo(refs, "unchecked")) > 0) {
        raw(p, "<div class=\"scroll\"><table class=\"rt\">\n");
        static const char *const kinds[] = {"failed", "unchecked"};
        for (size_t k = 0; k < 2; k++) {
            json_array_foreach(jo(refs, kinds[k]), j, w)
            {
                raw(p, "<tr><td>");
                lab(p, k == 0 ? L_REF_FAILED : L_REF_UNCHECKED);
                raw(p, "</td><td><code>");
                put(p, js(w, "from"));
                raw(p, "</code> ");
                put(p, js(w, "field"));
                raw(p, " → <code>");
                put(p, js(w, "to"));
                raw(p, "</code></td><td>");
                put(p, js(w, "reason"));
                raw(p, "</td></tr>\n");
            }
        }
        raw(p, "</table></div>\n");
    }
    raw(p, "</section>\n");
}

int gs_report_html_write(json_t *doc, const char *lang, FILE *out, gs_error *err)
{
    page p = {.f = out, .doc = doc};
    int rc;
    if (lang == NULL || (strcmp(lang, "en") != 0 && strcmp(lang, "vi") != 0))
        return gs_error_set(err, GS_EINVAL, "unknown report language \"%s\": use en or vi",
                            lang ? lang : "(none)");
    if (!json_is_object(doc))
        return gs_error_set(err, GS_EINVAL, "the report document is not a JSON object");
    p.lang = strcmp(lang, "vi") == 0;
    p.as_of = (int64_t)ji(doc, "as_of_unix");
    if (p.as_of == 0 && !parse_time(js(doc, "as_of"), &p.as_of))
        p.as_of = 0;

    write_head(&p);
    write_alert(&p);
    write_summary(&p);
    write_evidence(&p);
    write_units(&p);
    write_people(&p);
    if ((rc = write_commitments(&p, err)) != 0)
        return rc;
    write_delegation(&p);
    write_verification(&p);
    raw(&p, "</main>\n<footer>");
    lab(&p, L_FOOTER);
    raw(&p, "</footer>\n</body></html>\n");
    if (fflush(out) != 0 || ferror(out))
        return gs_error_set(err, GS_EIO, "cannot write the HTML report");
    return 0;
}
