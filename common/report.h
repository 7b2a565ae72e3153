/* report.h — the accountability report of an audit (DESIGN §2 principle 1:
 * personal, not collective), built from what the audit engine (audit.h)
 * tells its sink.
 *
 * The report keeps only what it must: one record per commitment (with its
 * outcome, parent, a sample of at most GS_REPORT_SAMPLE_MAX progress points
 * and its latest revisions), per finding and feedback (with its first
 * response, rating and verdict), per cross-log reference, and at the end of
 * each log its roster (every tenure, from the rule state). Nothing per
 * Progress or per other entry is kept — which commitment a verdict judges is
 * read back from the leaf record (gs_audit_leaf.commitment) — so memory
 * follows people and commitments, not the size of the logs.
 *
 * Everything is judged "as of" one time: an Outcome or a Response issued
 * after it does not count yet, and a deadline after it has not passed. The
 * document is built once as JSON (its schema is docs/audit.md, a contract);
 * the text and HTML forms are drawn from that document. Every form leads
 * with the evidence the audit met (audit.h), proof or not, before anything
 * else, and says "everything verified" only when nothing failed and no
 * evidence was met. Every string from a statement or a detector is
 * untrusted: never a format, flattened in text, escaped in HTML (STYLE §9).
 */
#ifndef GS_REPORT_H
#define GS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "audit.h"

typedef struct gs_report gs_report;

typedef enum {
    GS_REPORT_TEXT = 0,
    GS_REPORT_JSON,
    GS_REPORT_HTML,
} gs_report_format;

/* A report judged as of as_of, where a finding or feedback may wait
 * response_days for its response. Caller owns *out (gs_report_free). */
int gs_report_new(gs_report **out, int64_t as_of, int64_t response_days, gs_error *err);
/* Frees *rp and sets it to NULL; safe on NULL. */
void gs_report_free(gs_report **rp);

/* The sink that fills r (ctx is r): give it to gs_audit_run. */
void gs_report_sink(gs_report *r, gs_audit_sink *out);
/* Names the hub whose logs were audited (gs_audit.own_origin when hub). */
void gs_report_set_hub(gs_report *r, const char *origin);

/* After the audit: checks the cross-log references against db, resolves who
 * each finding and feedback is about, and builds the document. */
int gs_report_finish(gs_report *r, gs_audit_leafdb *db, gs_error *err);
/* The same, writing the JSON form to out as it is built: byte for byte what
 * gs_report_write(GS_REPORT_JSON) writes, but each person and each unit is
 * written and freed as soon as it is made, so a national audit never holds
 * the whole document (every commitment with its progress points). After it,
 * gs_report_json holds only the head of the document (the members before
 * "people") and gs_report_write refuses. */
int gs_report_finish_json(gs_report *r, gs_audit_leafdb *db, FILE *out, gs_error *err);
/* True when any verification failed (a log skipped or failed, a reference
 * failed) or any evidence was met (a proof, or a piece that does not
 * verify). */
bool gs_report_failed(const gs_report *r);
/* How many pieces of evidence the audit met: proofs, and pieces that do not
 * verify. */
void gs_report_evidence_count(const gs_report *r, size_t *proof, size_t *unverifiable);
/* The JSON document (borrowed from r; NULL before gs_report_finish). */
json_t *gs_report_json(gs_report *r);
/* Writes the document to out in fmt. */
int gs_report_write(gs_report *r, gs_report_format fmt, FILE *out, gs_error *err);

/* The language of the HTML form ("en" or "vi"; NULL or anything else:
 * "en"). The text form is always English; JSON has no language. */
void gs_report_set_lang(gs_report *r, const char *lang);

/* ------------------------------------------------------------- judgement
 * How one commitment is judged as of a time (docs/audit.md, "Judgements"),
 * as pure functions the report and its tests share. Measures are fixed
 * point (GS_FIXED_SCALE); percents are in tenths of a percent, truncated
 * toward zero, computed in integers. */

typedef enum {
    GS_JUDGED_DELIVERED = 0,
    GS_JUDGED_DELIVERED_LATE,
    GS_JUDGED_PARTIALLY_DELIVERED,
    GS_JUDGED_MISSED,
    GS_JUDGED_OVERDUE,
    GS_JUDGED_AT_RISK,
    GS_JUDGED_OPEN,
} gs_judged;
#define GS_JUDGED_COUNT 7

/* "delivered", "delivered_late", … as the JSON spells them. */
const char *gs_judged_name(gs_judged s);
/* A deadline the unit failed: missed, overdue, delivered_late,
 * partially_delivered. */
bool gs_judged_failed(gs_judged s);

/* The partially_delivered threshold when the log declares none. */
#define GS_REPORT_PARTIAL_PERCENT 75

/* What a commitment's judgement reads, everything as of the time judged. */
typedef struct {
    int64_t issued_at;        /* the Commitment's */
    int64_t target, deadline; /* in force (after the revisions counted) */
    gs_direction dir;
    bool has_outcome; /* an Outcome at or before the time judged */
    int64_t outcome_value, outcome_time;
    uint64_t n_progress; /* Progress reports at or before the time judged */
    int64_t first_time, first_value, last_time, last_value; /* in log order */
    uint32_t partial_percent; /* the log's; 0: GS_REPORT_PARTIAL_PERCENT */
} gs_judge_in;

typedef struct {
    gs_judged status;
    bool has_percent; /* percent_of_target of the Outcome */
    int64_t percent;
    bool has_progress_percent; /* of the latest Progress, while no Outcome */
    int64_t progress_percent;
    /* at_risk: which warnings hold (set only when status is at_risk) */
    bool projection, silence;
    bool has_projected; /* the projection to the deadline, when one is made */
    int64_t projected;
    int64_t silent_since; /* the last Progress, or the Commitment when none */
    int64_t silent_for;   /* seconds from silent_since to the time judged */
} gs_judgement;

/* value as a percent of target in direction dir (tenths); false when it has
 * none (at-least with target <= 0; at-most over target with value <= 0). */
bool gs_judge_percent(int64_t value, int64_t target, gs_direction dir, int64_t *tenths);
/* The judgement of in as of as_of. */
void gs_judge(const gs_judge_in *in, int64_t as_of, gs_judgement *out);
/* Tenths of a percent as "80.0", "-0.5"; out holds 32 bytes. */
void gs_percent_format(int64_t tenths, char *out, size_t cap);
/* The mean of count ratings summing to sum, 2 decimals rounded half up,
 * "4.33"; out holds 32 bytes. */
void gs_mean_format(uint64_t sum, uint64_t count, char *out, size_t cap);

/* A bounded sample of a commitment's progress: at most
 * GS_REPORT_SAMPLE_MAX points; when full, every other point is dropped,
 * keeping the first; the latest added is always the last. */
#define GS_REPORT_SAMPLE_MAX 48
typedef struct {
    struct {
        int64_t time, value;
    } p[GS_REPORT_SAMPLE_MAX];
    size_t n;
    uint64_t seen; /* points added */
} gs_sample;
void gs_sample_add(gs_sample *s, int64_t time, int64_t value);

/* Bytes as a JSON string of their base64 (RFC 4648), as every JSON output
 * of the project writes keys, hashes and signatures. NULL when out of
 * memory. */
json_t *gs_report_json_b64(const uint8_t *p, size_t n);

#endif
