/* report.h — the accountability report of an audit (DESIGN §2 principle 1:
 * personal, not collective), built from what the audit engine (audit.h)
 * tells its sink.
 *
 * The report keeps only what it must: one record per commitment (with its
 * outcome and parent), per finding and feedback (with its first response),
 * per cross-log reference, and at the end of each log its roster (every
 * tenure, from the rule state). Nothing per Progress or per other entry is
 * kept, so memory follows people and commitments, not the size of the logs.
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

/* Bytes as a JSON string of their base64 (RFC 4648), as every JSON output
 * of the project writes keys, hashes and signatures. NULL when out of
 * memory. */
json_t *gs_report_json_b64(const uint8_t *p, size_t n);

#endif
