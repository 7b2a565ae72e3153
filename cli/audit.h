/* audit.h — what `giamsat audit`, `export` and `verify` share (DESIGN §5
 * flows 5–6): the trust file, a streaming replay of one log, a record of
 * every fetched leaf on disk, and the accountability report.
 *
 * Memory does not grow with the number of entries: a log is read page by
 * page (GS_MAX_ENTRIES at a time), each page's signatures are checked in
 * parallel, its leaves go into the Merkle frontier and into a leaf record
 * kept in an unlinked temporary file, and its statements into the rule state
 * and the report's per-person and per-commitment aggregates. Only those
 * aggregates, the rule states' rosters and commitments, and one page stay in
 * memory.
 */
#ifndef GS_CLI_AUDIT_H
#define GS_CLI_AUDIT_H

#include <stdbool.h>

#include "cli.h"
#include "policy.h"
#include "pool.h"
#include "rules.h"

/* ------------------------------------------------------------ trust file */

/* What a trusted checkpoint says, after the policy accepted it. */
typedef struct {
    gs_note *note;
    gs_checkpoint cp;
    gs_vkey log_key;      /* the trust file's key for the origin */
    size_t n_witnesses;   /* cosignatures by listed witnesses that verified */
    const char **witness; /* their names in the trust file (borrowed from it) */
    int64_t *witness_time;
    char quorum[GS_VKEY_NAME_MAX + 1];
} cli_trusted;

/* Loads a C2SP tlog-policy file (common/policy.h). */
int cli_trust_load(const char *path, gs_policy **out, gs_error *err);
/* Checks a cosigned checkpoint note of origin against the policy: a log line
 * for origin, its signature, the witness quorum. GS_EVERIFY with the reason
 * ("origin X is not a log in the trust file", "checkpoint below quorum: …").
 * On success *out owns its parts (cli_trusted_clear) and borrows witness
 * names from pol. */
int cli_trust_checkpoint(const gs_policy *pol, const char *origin, const char *note, size_t len,
                         cli_trusted *out, gs_error *err);
void cli_trusted_clear(cli_trusted *t);

/* ----------------------------------------------------------- leaf record */

/* Every fetched leaf's hash, body kind and signer, by (log, index), in an
 * unlinked temporary file: the rule book's entry_at, the cross-log reference
 * checks and "who signed the entry this finding is about" read it. Logs are
 * written one after another, each as one contiguous run. */
typedef struct cli_leafdb cli_leafdb;

typedef struct {
    gs_hash leaf;
    gs_body_kind kind; /* GS_BODY_NONE when the entry did not open */
    gs_pubkey signer;
} cli_leaf;

int cli_leafdb_open(cli_leafdb **out, gs_error *err);
void cli_leafdb_close(cli_leafdb **dbp);
/* Starts the run of origin; returns its log number in *log. Refused when
 * origin already has one. */
int cli_leafdb_begin(cli_leafdb *db, const char *origin, size_t *log, gs_error *err);
/* Appends the next leaves of the current run. */
int cli_leafdb_append(cli_leafdb *db, const cli_leaf *v, size_t n, gs_error *err);
/* The log number of origin; GS_ENOTFOUND when it was not fetched. */
int cli_leafdb_find(const cli_leafdb *db, const char *origin, size_t *log);
uint64_t cli_leafdb_size(const cli_leafdb *db, size_t log);
const char *cli_leafdb_origin(const cli_leafdb *db, size_t log);
/* Leaf index of log; GS_ENOTFOUND beyond what was fetched. */
int cli_leafdb_get(cli_leafdb *db, size_t log, uint64_t index, cli_leaf *out, gs_error *err);

/* ------------------------------------------------------------- replay */

/* One root a hub observed for the log (an Observation in its own log): the
 * replay compares it with the root of the fetched leaves at that size. */
typedef struct {
    uint64_t size;
    gs_hash root;
    bool checked; /* set by the replay when the size was reached */
    bool matched;
} cli_observed;

/* Called for every entry the rule book accepted, in log order; s is the
 * state after it. A non-zero return stops the replay with that code. */
typedef int (*cli_replay_fn)(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                             const gs_rules_state *s, gs_error *err);

#define CLI_MAX_FAILURES 20 /* failures kept word for word per log */

typedef struct {
    /* in */
    const char *origin;
    uint64_t size;          /* read entries [0, size) */
    gs_pool *pool;          /* may be NULL: everything on this thread */
    cli_leafdb *db;         /* may be NULL: then nothing that references an
                               earlier entry of the log can be replayed */
    cli_observed *observed; /* sorted by size; may be NULL */
    size_t n_observed;
    cli_replay_fn on_entry; /* may be NULL */
    void *ctx;
    /* out */
    gs_rules_state *state; /* owned by the caller afterwards */
    uint64_t verified;     /* entries whose signature verified */
    uint64_t replayed;     /* entries the rule book accepted, from 0 on */
    bool broken;           /* the rule book refused an entry: replay stopped */
    gs_hash root;          /* of the leaves read */
    uint64_t n_failures;   /* everything that failed */
    char *failures[CLI_MAX_FAILURES];
    size_t n_kept;
} cli_replay;

/* Reads the entries over cn page by page and replays them. A failure of the
 * log (a signature, a rule, an observed root) is recorded in r->failures and
 * the reading goes on; only an error that stops the reading (the endpoint,
 * memory, the disk) is returned, with err filled. */
int cli_replay_run(cli_conn *cn, cli_replay *r, gs_error *err);
void cli_replay_clear(cli_replay *r);
/* Records a failure of the log (printf-style, kept when there is room). */
void cli_replay_fail(cli_replay *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------- report */

typedef struct cli_report cli_report;

typedef enum {
    CLI_FORMAT_TEXT = 0,
    CLI_FORMAT_JSON,
    CLI_FORMAT_HTML,
} cli_format;

int cli_report_new(cli_report **out, int64_t as_of, int64_t response_days, gs_error *err);
void cli_report_free(cli_report **rp);

/* The report's replay callback (ctx is the report); call
 * cli_report_begin_log before a log's replay and cli_report_end_log after. */
int cli_report_begin_log(cli_report *r, const char *origin, gs_error *err);
int cli_report_on_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                        const gs_rules_state *s, gs_error *err);
/* Takes the roster and the commitments of the log from its final state. */
int cli_report_end_log(cli_report *r, const gs_rules_state *s, gs_error *err);

/* The verification outcome of one log, for the report. */
int cli_report_add_log(cli_report *r, const cli_replay *rp, const cli_trusted *t,
                       const char *skipped_reason, gs_error *err);
void cli_report_set_hub(cli_report *r, const char *origin);

/* After every log: checks the cross-log references against db, resolves who
 * each finding and feedback is about, and builds the document. */
int cli_report_finish(cli_report *r, cli_leafdb *db, gs_error *err);
/* True when any verification failed (exit 1). */
bool cli_report_failed(const cli_report *r);
/* The JSON document (borrowed; docs/audit.md). */
json_t *cli_report_json(cli_report *r);
int cli_report_write(cli_report *r, cli_format fmt, FILE *out, gs_error *err);

int cli_cmd_audit(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);

#endif
