/* cmd_monitor.c — `giamsat monitor`: the press and citizen monitor (DESIGN §1,
 * §2.6, §5; issue 5).
 *
 * A monitor keeps its own history of every checkpoint it has seen for the
 * logs of its trust file, from any source: daemons it polls (--connect, a
 * GetCheckpoint per log every --interval), hubs it listens to (--subscribe,
 * `checkpoint/<origin>` events), and logs that push their checkpoints to it
 * when it acts as a witness (--witness-key, --listen: AddCheckpoint). Every
 * new checkpoint is checked against that history:
 * - same size, different root: a split view, proven by the two notes alone;
 * - different sizes: a consistency proof is asked for (first from the source
 *   that served the larger), run through RFC 9162 §2.1.4.2 without the roots
 *   (gs_merkle_consistency_roots). A proof that reaches the larger signed
 *   root but yields another root for the smaller size proves the log rewrote
 *   its history (evidence kind (a) with the proof, evidence.h); a proof that
 *   does not reach the larger root only shows the source served a bad proof.
 *
 * Evidence the monitor finds travels as hubs' evidence does: a
 * SignedStatement with an Evidence body, so `giamsat verify-evidence` checks
 * it unchanged. A monitor keeps no log, so the Evidence statement is not an
 * entry of any log: its origin is the ACCUSED log's origin (it is about that
 * log and valid only there), its seq is the unix time in milliseconds (kept
 * strictly increasing by this monitor), its signer the monitor's reporter key
 * (--key, else the witness key, else an ephemeral key). The reporter's
 * signature says who reported it, never whether it is true.
 *
 * The monitor's own database (--db) holds three tables: every checkpoint
 * seen (origin, size, root, the note as first seen, source, time, whether the
 * trust file's quorum was met), every piece of evidence found or received,
 * and nothing else. SQLite, WAL, synchronous=FULL: a cosignature is only
 * sent after the checkpoint it cosigns is durable, so the witness never
 * forgets what it cosigned (c2sp.org/tlog-witness).
 *
 * One zmq_poll loop drives everything (STYLE §7): the witness ROUTER, the SUB
 * sockets and one DEALER per polled daemon, whose requests carry ids and
 * deadlines so nothing blocks the loop. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "clientconf.h"
#include "evidence.h"
#include "cosign.h"
#include "outfile.h"
#include "monitor_events.h"
#include "policy.h"

enum {
    OPT_TRUST = CLI_OPT_FIRST_OWN,
    OPT_SUBSCRIBE,
    OPT_WITNESS_KEY,
    OPT_WITNESS_NAME,
    OPT_LISTEN,
    OPT_DB,
    OPT_OUT,
    OPT_INTERVAL,
    OPT_DURATION,
    OPT_ONCE,
    OPT_EXEC,
    OPT_EXEC_TIMEOUT,
};

#define MON_MAX_SOURCES 64
#define MON_DEFAULT_INTERVAL_MS 5000
#define MON_DEFAULT_TIMEOUT_MS 5000
/* A published event is a note (GS_NOTE_MAX) or an evidence entry
 * (GS_MAX_ENTRY); anything larger is refused by the SUB socket itself. */
#define MON_MAX_EVENT (GS_MAX_ENTRY + 4096)
#define MON_MAX_PENDING 4096
/* SQLite stores signed 64-bit integers. */
#define MON_MAX_SIZE ((uint64_t)INT64_MAX)
#define MON_APPLICATION_ID 0x67734d4e /* "gsMN": a giamsat monitor database */
#define MON_SCHEMA_VERSION 1

static const char help[] =
    "usage: giamsat monitor --trust FILE [--connect EP[,VKEY]]... [--subscribe EP[,VKEY]]...\n"
    "                       [--witness-key FILE --listen EP...] [--db FILE] [--out DIR]\n"
    "\n"
    "Watches the logs of a trust file for split views: keeps its own history of every\n"
    "checkpoint it sees, from any source, checks every new one against it (same size and\n"
    "another root, or a consistency proof that shows a rewritten history) and writes what\n"
    "it finds as evidence `giamsat verify-evidence` checks offline. Runs until SIGINT or\n"
    "SIGTERM (or --duration / --once). One line per event on stdout.\n"
    "\n"
    "  --trust FILE          C2SP tlog-policy file: the logs to watch (`log` lines) and the\n"
    "                        witnesses and quorum each checkpoint is reported against\n"
    "  --connect EP[,VKEY]   repeatable: a node's or hub's request endpoint, asked for the\n"
    "                        checkpoint of every log of the trust file each --interval\n"
    "                        (NOT_FOUND is fine) and for consistency proofs; for tcp://\n"
    "                        add the daemon's verifier key after a comma\n"
    "  --subscribe EP[,VKEY] repeatable: a hub's PUB endpoint; its checkpoint/<origin>\n"
    "                        events are checked like polled ones, its alert/<origin>\n"
    "                        events printed, and evidence in them verified and saved\n"
    "  --interval MS         how often to poll (default 5000)\n"
    "  --timeout MS          how long to wait for an answer (default 5000)\n"
    "  --db FILE             the monitor's own history (default ./giamsat-monitor.db)\n"
    "  --out DIR             where evidence goes, as <n>-<kind>.evidence (default: the\n"
    "                        folder of --db); existing files are never overwritten\n"
    "  --key FILE            the reporter key that signs the evidence found (default: the\n"
    "                        witness key, else a fresh key for this run only)\n"
    "  --passphrase-file F   passphrase of --key and --witness-key\n"
    "  --witness-key FILE    also act as an independent witness (c2sp.org/tlog-witness):\n"
    "                        cosign AddCheckpoint requests for logs of the trust file whose\n"
    "                        consistency with everything seen so far is proven\n"
    "  --witness-name NAME   the name on the cosignatures (default monitor-<8 hex of the\n"
    "                        key>); the cosigner key for trust files and node.conf is\n"
    "                        `giamsat key show FILE --name NAME --cosigner`\n"
    "  --listen EP           repeatable, with --witness-key: where AddCheckpoint is served\n"
    "                        (tcp:// uses CURVE with the witness key; anyone may connect:\n"
    "                        the log's signature authenticates a checkpoint)\n"
    "  --duration S          stop after S seconds\n"
    "  --once                poll every source once, finish the checks that follow, stop\n"
    "  --json                one JSON object per line and event instead of text (the\n"
    "                        fields: docs/design.md §7)\n"
    "  --exec CMD            run CMD with /bin/sh -c for every alert (evidence found or\n"
    "                        received, a hub's alert that is not verified evidence), with\n"
    "                        GIAMSAT_EVENT, GIAMSAT_ALERT_KIND, GIAMSAT_ORIGIN,\n"
    "                        GIAMSAT_EVIDENCE_FILE, GIAMSAT_SUMMARY, GIAMSAT_SOURCE,\n"
    "                        GIAMSAT_REPORTER and GIAMSAT_EVENT_JSON in its environment;\n"
    "                        its output goes to stderr; a failure is logged, never fatal\n"
    "  --exec-timeout S      kill CMD after S seconds (default 60)\n"
    "  --client-config F     client.conf: --connect NAME takes its [endpoint NAME]\n"
    "                        (connect and server_key); without any source to watch,\n"
    "                        its [defaults] endpoint is polled\n"
    "\n"
    "An evidence file is a SignedStatement with an Evidence body, as hubs write them; as a\n"
    "monitor keeps no log, its origin is the accused log's and its seq the unix time in\n"
    "milliseconds. Its signature only names the reporter; the evidence proves itself.\n"
    "\n"
    "Exit status: 0 no evidence found, 1 evidence found (a split view, or verified\n"
    "evidence received in an alert), 2 usage or environment error (with --once: also a\n"
    "source that did not answer).\n"
    "\n"
    "Example:\n"
    "  giamsat monitor --trust trust.policy --connect ipc:///srv/giamsat/hub/hub.sock \\\n"
    "      --subscribe ipc:///srv/giamsat/hub/pub.sock --witness-key press.key \\\n"
    "      --witness-name press-monitor --listen tcp://0.0.0.0:7500 --db press/monitor.db\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* --------------------------------------------------------------- state */

/* A consistency check between two checkpoints of one log, waiting for a
 * proof. Sources are asked one at a time, starting with `first`. */
typedef struct check check;
struct check {
    check *next;
    char origin[GS_MAX_ORIGIN + 1];
    uint64_t m, n; /* 0 < m < n */
    gs_hash root_m, root_n;
    char *note_m, *note_n;
    int first;    /* the source that served the larger, or -1 */
    size_t tried; /* sources asked so far */
};

enum { REQ_POLL = 1, REQ_PROOF };

typedef struct {
    uint64_t id;
    int kind;
    size_t log; /* REQ_POLL: the policy's log index */
    check *chk; /* REQ_PROOF */
    int64_t deadline_ms;
} pending;

/* One polled daemon (a DEALER). */
typedef struct {
    char *endpoint;
    gs_net_curve curve;
    void *sock;
    pending *p;
    size_t n, cap;
    uint64_t next_id;
    int64_t next_poll_ms;
    char problem[256]; /* the last trouble printed, so it is printed once */
} polled;

/* One hub's PUB endpoint. */
typedef struct {
    char *endpoint;
    void *sock;
} subscription;

typedef struct {
    gs_policy *pol;
    sqlite3 *db;
    char out_dir[PATH_MAX];
    void *zctx;
    polled src[MON_MAX_SOURCES];
    size_t n_src;
    subscription sub[MON_MAX_SOURCES];
    size_t n_sub;
    gs_net_server *server;
    gs_keypair reporter;
    gs_keypair witness;
    bool has_witness;
    char witness_name[GS_VKEY_NAME_MAX + 1];
    int interval_ms, timeout_ms;
    check *checks;
    size_t evidence_found;
    size_t unanswered; /* polls that got no answer in time */
    int64_t last_seq;
} monitor;

/* A checkpoint as the database holds it. */
typedef struct {
    int64_t id;
    uint64_t size;
    gs_hash root;
    const char *note; /* owned by a row from db_row, borrowed by another */
    const char *source;
    bool quorum_met;
} row;

static void row_clear(row *r)
{
    gs_wire_free(r->note);
    gs_wire_free(r->source);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------- output */

static void say(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_event(const cli_monitor_event *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say_va(const cli_monitor_event *e, const char *fmt, va_list ap)
{
    char small[1024], *msg = small;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    cli_monitor_event_emit(e, msg != NULL ? msg : small);
    if (msg != small)
        free(msg);
}

/* One line per event: "<RFC 3339 time> <level> <sentence>", or a JSON
 * object with --json (monitor_events.h). */
static void say(const char *level, const char *fmt, ...)
{
    const char *event = strcmp(level, "warn") == 0    ? "warning"
                        : strcmp(level, "error") == 0 ? "error"
                                                      : "info";
    cli_monitor_event e = {.level = level, .event = event};
    va_list ap;
    va_start(ap, fmt);
    say_va(&e, fmt, ap);
    va_end(ap);
}

/* An event with what --json shows of it (e->level, e->event set). */
static void say_event(const cli_monitor_event *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say_va(e, fmt, ap);
    va_end(ap);
}

/* An event; the fields not given are not said. */
#define MON_EVENT(...) (&(cli_monitor_event){__VA_ARGS__})

/* Prints a source's trouble once, until it changes. */
static void source_problem(polled *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void source_problem(polled *s, const char *fmt, ...)
{
    char msg[sizeof s->problem];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (strcmp(msg, s->problem) == 0)
        return;
    snprintf(s->problem, sizeof s->problem, "%s", msg);
    say("warn", "%s", msg);
}

/* Untrusted bytes shown as text: anything but printable ASCII becomes '?'. */
static void printable(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    out[k] = '\0';
}

static void b64_hash(const gs_hash *h, char out[45])
{
    cli_b64_32(h->b, out);
}

/* ------------------------------------------------------------ database */

static int db_exec(monitor *m, const char *sql, gs_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(m->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = gs_error_set(err, GS_EIO, "monitor database: %s", msg != NULL ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int db_int(monitor *m, const char *sql, int64_t *out, gs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO;
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        gs_error_set(err, GS_EIO, "monitor database: %s", sqlite3_errmsg(m->db));
        goto out;
    }
    *out = sqlite3_column_int64(st, 0);
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Opens (creating) the monitor's database. A file that is some other
 * program's database (a node's or a hub's) is refused rather than written
 * into. */
static int db_open(monitor *m, const char *path, gs_error *err)
{
    int64_t app = 0, version = 0, tables = 0;
    int rc;
    if (sqlite3_open_v2(path, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        return gs_error_set(err, GS_EIO, "cannot open the monitor database %s: %s", path,
                            m->db != NULL ? sqlite3_errmsg(m->db) : "out of memory");
    sqlite3_busy_timeout(m->db, 5000);
    if ((rc = db_int(m, "PRAGMA application_id", &app, err)) != 0 ||
        (rc = db_int(m, "PRAGMA user_version", &version, err)) != 0 ||
        (rc = db_int(m, "SELECT count(*) FROM sqlite_master", &tables, err)) != 0)
        return gs_error_wrap(err, "%s", path);
    if ((app == 0 && tables > 0) || (app != 0 && app != MON_APPLICATION_ID))
        return gs_error_set(err, GS_EINVAL,
                            "%s is not a monitor database (another program's file?); give "
                            "--db a new file",
                            path);
    if (version > MON_SCHEMA_VERSION)
        return gs_error_set(err, GS_EINVAL,
                            "%s was written by a newer giamsat (schema %lld); upgrade", path,
                            (long long)version);
    /* DESIGN §6: WAL with synchronous=FULL, so what was acknowledged (a
     * cosignature) survives a crash. */
    if ((rc = db_exec(m, "PRAGMA journal_mode=WAL", err)) != 0 ||
        (rc = db_exec(m, "PRAGMA synchronous=FULL", err)) != 0 ||
        (rc = db_exec(m,
                      "PRAGMA application_id=1735609678;"
                      "PRAGMA user_version=1;"
                      "CREATE TABLE IF NOT EXISTS checkpoints("
                      " id INTEGER PRIMARY KEY,"
                      " origin TEXT NOT NULL,"
                      " size INTEGER NOT NULL,"
                      " root BLOB NOT NULL,"
                      " note TEXT NOT NULL,"
                      " source TEXT NOT NULL,"
                      " seen_at INTEGER NOT NULL,"
                      " quorum_met INTEGER NOT NULL,"
                      " UNIQUE(origin, size, root));"
                      "CREATE TABLE IF NOT EXISTS evidence("
                      " id INTEGER PRIMARY KEY,"
                      " origin TEXT NOT NULL,"
                      " kind TEXT NOT NULL,"
                      " sha256 BLOB NOT NULL UNIQUE,"
                      " data BLOB NOT NULL,"
                      " file TEXT NOT NULL,"
                      " reporter TEXT NOT NULL,"
                      " found_at INTEGER NOT NULL);",
                      err)) != 0)
        return gs_error_wrap(err, "%s", path);
    return 0;
}

/* Reads one checkpoint row of origin selected by sql, whose parameters are
 * ?1 origin, ?2 size and (optionally) ?3 root. Returns 1 with *out filled,
 * 0 when there is none, or a negative code. */
static int db_row(monitor *m, const char *sql, const char *origin, uint64_t size,
                  const gs_hash *root, row *out, gs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO, step;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (sqlite3_int64)size) != SQLITE_OK ||
        (root != NULL && sqlite3_bind_blob(st, 3, root->b, 32, SQLITE_STATIC) != SQLITE_OK))
        goto fail;
    step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW)
        goto fail;
    const void *r = sqlite3_column_blob(st, 2);
    const unsigned char *note = sqlite3_column_text(st, 3);
    const unsigned char *source = sqlite3_column_text(st, 4);
    if (sqlite3_column_bytes(st, 2) != 32 || r == NULL || note == NULL || source == NULL ||
        sqlite3_column_int64(st, 1) < 0) {
        rc = gs_error_set(err, GS_ECORRUPT, "monitor database: a damaged checkpoint row of %s",
                          origin);
        goto out;
    }
    out->id = sqlite3_column_int64(st, 0);
    out->size = (uint64_t)sqlite3_column_int64(st, 1);
    memcpy(out->root.b, r, 32);
    out->note = strdup((const char *)note);
    out->source = strdup((const char *)source);
    out->quorum_met = sqlite3_column_int(st, 5) != 0;
    if (out->note == NULL || out->source == NULL) {
        row_clear(out);
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    rc = 1;
    goto out;
fail:
    gs_error_set(err, GS_EIO, "monitor database: %s", sqlite3_errmsg(m->db));
out:
    sqlite3_finalize(st);
    return rc;
}

#define ROW_COLUMNS "SELECT id, size, root, note, source, quorum_met FROM checkpoints "

/* Records a checkpoint; *inserted says whether it was new (an identical
 * (origin, size, root) is kept as first seen). */
static int db_put_checkpoint(monitor *m, const gs_checkpoint *cp, const char *note,
                             const char *source, bool quorum_met, bool *inserted, gs_error *err)
{
    static const char sql[] = "INSERT OR IGNORE INTO checkpoints(origin, size, root, note, "
                              "source, seen_at, quorum_met) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO;
    if (sqlite3_prepare_v2(m->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, cp->origin, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (sqlite3_int64)cp->size) != SQLITE_OK ||
        sqlite3_bind_blob(st, 3, cp->root.b, 32, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 5, source, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_bind_int(st, 7, quorum_met ? 1 : 0) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        gs_error_set(err, GS_EIO, "monitor database: cannot record a checkpoint: %s",
                     sqlite3_errmsg(m->db));
        goto out;
    }
    *inserted = sqlite3_changes(m->db) == 1;
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Keeps the better-cosigned note of a checkpoint already held. */
static int db_update_note(monitor *m, int64_t id, const char *note, gs_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO;
    if (sqlite3_prepare_v2(m->db, "UPDATE checkpoints SET note = ?1, quorum_met = 1 WHERE id = ?2",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, note, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        gs_error_set(err, GS_EIO, "monitor database: %s", sqlite3_errmsg(m->db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Whether evidence against origin is held (the witness then cosigns nothing
 * more for it). */
static bool db_has_evidence(monitor *m, const char *origin)
{
    sqlite3_stmt *st = NULL;
    bool has = true; /* on a database error, refuse rather than cosign */
    if (sqlite3_prepare_v2(m->db, "SELECT 1 FROM evidence WHERE origin = ?1 LIMIT 1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) == SQLITE_OK) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            has = false;
    }
    sqlite3_finalize(st);
    return has;
}

/* Records evidence bytes; *dup is set when the same bytes are already held. */
static int db_put_evidence(monitor *m, const char *origin, const char *kind, gs_bytes data,
                           const char *file, const char *reporter, bool *dup, gs_error *err)
{
    gs_hash h;
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO;
    gs_sha256(data, &h);
    if (sqlite3_prepare_v2(m->db,
                           "INSERT OR IGNORE INTO evidence(origin, kind, sha256, data, file, "
                           "reporter, found_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob(st, 3, h.b, 32, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob(st, 4, data.p, (int)data.n, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 5, file, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 6, reporter, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        gs_error_set(err, GS_EIO, "monitor database: cannot record evidence: %s",
                     sqlite3_errmsg(m->db));
        goto out;
    }
    *dup = sqlite3_changes(m->db) == 0;
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static bool db_evidence_known(monitor *m, gs_bytes data)
{
    gs_hash h;
    sqlite3_stmt *st = NULL;
    bool known = false;
    gs_sha256(data, &h);
    if (sqlite3_prepare_v2(m->db, "SELECT 1 FROM evidence WHERE sha256 = ?1", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_blob(st, 1, h.b, 32, SQLITE_STATIC) == SQLITE_OK)
        known = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return known;
}

/* Where a monitor keeps what it found, for `giamsat audit --monitor`: the
 * evidence table of its database, read-only, oldest first. The schema is
 * known here only. */
int cli_monitor_evidence(const char *path, cli_monitor_evidence_fn fn, void *ctx, gs_error *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = GS_EIO, step;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        gs_error_set(err, GS_EIO, "cannot open the monitor database %s: %s", path,
                     db != NULL ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        gs_error_set(err, GS_EIO,
                     "%s is not a monitor database (%s): give --monitor the monitor's --db "
                     "file, or a folder of .evidence files",
                     path, sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_column_int64(st, 0) != MON_APPLICATION_ID) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s is not a monitor database (give --monitor the monitor's --db "
                          "file, or a folder of .evidence files)",
                          path);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id, data FROM evidence ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK) {
        gs_error_set(err, GS_EIO, "monitor database %s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char where[PATH_MAX + 32];
        int n = sqlite3_column_bytes(st, 1);
        const void *p = sqlite3_column_blob(st, 1);
        if (n < 0 || (size_t)n > GS_MAX_ENTRY) {
            rc = gs_error_set(err, GS_EINVAL, "monitor database %s: evidence row %lld is too large",
                              path, (long long)sqlite3_column_int64(st, 0));
            goto out;
        }
        snprintf(where, sizeof where, "%s#%lld", path, (long long)sqlite3_column_int64(st, 0));
        if ((rc = fn(ctx, gs_bytes_of(p != NULL ? p : "", (size_t)n), where, err)) != 0)
            goto out;
    }
    if (step != SQLITE_DONE) {
        rc = gs_error_set(err, GS_EIO, "monitor database %s: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ------------------------------------------------------------ evidence */

/* Writes data to the first free DIR/<n>-<kind>.evidence (n from 1), never
 * overwriting or following a link. */
static int write_evidence_file(const char *dir, const char *kind, gs_bytes data, char *path,
                               size_t cap, gs_error *err)
{
    struct stat st;
    for (unsigned n = 1; n <= 1000000; n++) {
        int len = snprintf(path, cap, "%s/%u-%s.evidence", dir, n, kind);
        if (len < 0 || (size_t)len >= cap)
            return gs_error_set(err, GS_EINVAL, "--out %s: the path is too long", dir);
        if (lstat(path, &st) == 0)
            continue; /* taken: no need to write the bytes to find out */
        int rc = gs_outfile_write(path, data, false, err);
        if (rc != GS_ECONFLICT) /* GS_ECONFLICT: taken meanwhile, try the next */
            return rc;
    }
    return gs_error_set(err, GS_EIO, "--out %s holds a million evidence files already", dir);
}

/* Saves evidence bytes (a SignedStatement) as a file and a database row, and
 * counts it. */
static void save_evidence(monitor *m, const gs_evidence *ev, gs_bytes entry, const char *reporter,
                          const char *what)
{
    char path[PATH_MAX + 64];
    gs_error err = {0};
    bool dup = false;
    if (db_evidence_known(m, entry))
        return;
    if (write_evidence_file(m->out_dir, gs_audit_evidence_kind_name(ev->kind), entry, path,
                            sizeof path, &err) != 0) {
        say_event(MON_EVENT(.level = "error", .event = "evidence", .origin = ev->origin,
                            .kind = gs_audit_evidence_kind_name(ev->kind), .reporter = reporter),
                  "EVIDENCE against %s: %s — but it could not be saved: %s", ev->origin, what,
                  err.msg);
        m->evidence_found++;
        return;
    }
    if (db_put_evidence(m, ev->origin, gs_audit_evidence_kind_name(ev->kind), entry, path, reporter,
                        &dup, &err) != 0)
        say("error", "%s", err.msg);
    m->evidence_found++;
    say_event(MON_EVENT(.level = "EVIDENCE", .event = "evidence", .origin = ev->origin,
                        .kind = gs_audit_evidence_kind_name(ev->kind), .evidence_file = path,
                        .reporter = reporter, .verified = CLI_MON_YES),
              "against %s: %s; written to %s (check it with `giamsat verify-evidence %s "
              "--trust FILE`)",
              ev->origin, what, path, path);
}

/* Evidence kind (a) found by this monitor: checked as any verifier will
 * check it, signed by the reporter key and saved. */
static void report_split_view(monitor *m, const char *origin, const char *note_a,
                              const char *note_b, const gs_hash *proof, size_t np,
                              const char *reason)
{
    gs_vkey log_key;
    char key_str[GS_VKEY_STR_MAX], what[512];
    gs_error err = {0};
    gs_buf entry = {0};
    if (gs_policy_log_key(m->pol, origin, &log_key, &err) != 0 ||
        gs_vkey_format(&log_key, key_str, sizeof key_str, &err) != 0) {
        say("error", "cannot make evidence against %s: %s", origin, err.msg);
        return;
    }
    gs_evidence ev = {.kind = GS_EVIDENCE_SPLIT_VIEW};
    ev.origin = origin;
    ev.log_key = key_str;
    ev.checkpoint_a = note_a;
    ev.checkpoint_b = note_b;
    ev.consistency_proof = proof;
    ev.n_consistency_proof = np;
    ev.reason = reason;
    ev.detected_at = (int64_t)time(NULL);
    gs_evidence_describe(&ev, what, sizeof what);
    /* The monitor proves what it claims: evidence that would not convince
     * a verifier is a bug here, never something to publish. */
    if (gs_evidence_verify(&ev, &log_key, &err) != 0) {
        say("error", "BUG: the evidence against %s (%s) does not verify: %s", origin, what,
            err.msg);
        return;
    }
    /* seq: unix milliseconds, strictly increasing for this monitor. The
     * statement is no log's entry, so seq only orders its reports. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t seq = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (seq <= m->last_seq)
        seq = m->last_seq + 1;
    m->last_seq = seq;
    gs_statement st = {.kind = GS_BODY_EVIDENCE};
    st.signer = m->reporter.pub;
    st.seq = (uint64_t)seq;
    st.issued_at = ev.detected_at;
    st.origin = origin;
    st.u.evidence = ev;
    if (gs_wire_sign_statement(&st, &m->reporter, &entry, &err) != 0) {
        say_event(MON_EVENT(.level = "error", .event = "evidence", .origin = origin,
                            .kind = gs_audit_evidence_kind_name(ev.kind), .verified = CLI_MON_YES),
                  "EVIDENCE against %s: %s — but it cannot be signed: %s", origin, what, err.msg);
        m->evidence_found++;
        return;
    }
    char reporter[45];
    cli_b64_32(m->reporter.pub.b, reporter);
    save_evidence(m, &ev, gs_bytes_of(entry.p, entry.n), reporter, what);
    gs_buf_free(&entry);
}

/* ------------------------------------------------------------- sources */

static int source_open_socket(monitor *m, polled *s, gs_error *err)
{
    return gs_net_dealer_open(&s->sock, m->zctx, s->endpoint, &s->curve, GS_MAX_MESSAGE, err);
}

/* "EP" or "EP,VKEY": the endpoint (malloc'd) and, for tcp://, the CURVE key
 * of the daemon derived from its verifier key. */
static int parse_endpoint(const char *flag, const char *spec, char **endpoint, bool *curve,
                          uint8_t server_curve[32], gs_error *err)
{
    const char *comma = strchr(spec, ',');
    size_t len = comma != NULL ? (size_t)(comma - spec) : strlen(spec);
    *curve = false;
    if ((*endpoint = strndup(spec, len)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if (strncmp(*endpoint, "tcp://", 6) == 0) {
        gs_vkey vk;
        if (comma == NULL)
            return gs_error_set(err, GS_EINVAL,
                                "%s %s: a tcp:// endpoint needs the daemon's verifier key: "
                                "%s EP,VKEY",
                                flag, spec, flag);
        if (gs_vkey_parse(comma + 1, &vk, err) != 0)
            return gs_error_wrap(err, "%s %s", flag, *endpoint);
        *curve = true;
        return gs_pubkey_to_curve(&vk.key, server_curve, err);
    }
    if (strncmp(*endpoint, "ipc://", 6) != 0 && strncmp(*endpoint, "inproc://", 9) != 0)
        return gs_error_set(err, GS_EINVAL, "%s %s: expected tcp://HOST:PORT,VKEY or ipc://PATH",
                            flag, spec);
    return 0;
}

static int source_add(monitor *m, const char *spec, gs_error *err)
{
    if (m->n_src == MON_MAX_SOURCES)
        return gs_error_set(err, GS_EINVAL, "at most %d --connect sources", MON_MAX_SOURCES);
    polled *s = &m->src[m->n_src++];
    int rc = parse_endpoint("--connect", spec, &s->endpoint, &s->curve.on, s->curve.server, err);
    if (rc != 0)
        return rc;
    if (s->curve.on && crypto_box_keypair(s->curve.pub, s->curve.sec) != 0)
        return gs_error_set(err, GS_EIO, "cannot make an ephemeral client key");
    randombytes_buf(&s->next_id, sizeof s->next_id);
    s->next_id >>= 1;
    return source_open_socket(m, s, err);
}

/* Lazy Pirate: a socket that timed out may hold late answers or a half-done
 * handshake; a fresh one drops them. The caller handles what was pending. */
static void source_reset(monitor *m, polled *s)
{
    gs_error err = {0};
    if (s->sock != NULL)
        zmq_close(s->sock);
    s->sock = NULL;
    s->n = 0;
    if (source_open_socket(m, s, &err) != 0)
        source_problem(s, "%s", err.msg);
}

static int source_send(monitor *m, polled *s, gs_request *rq, int kind, size_t log, check *chk,
                       gs_error *err)
{
    gs_buf frame = {0};
    int rc;
    if (s->sock == NULL && (rc = source_open_socket(m, s, err)) != 0)
        return rc;
    if (s->n == MON_MAX_PENDING)
        return gs_error_set(err, GS_ETOOBIG, "%s: too many requests waiting", s->endpoint);
    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 16;
        pending *p = realloc(s->p, cap * sizeof *p);
        if (p == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        s->p = p;
        s->cap = cap;
    }
    rq->version = 1;
    rq->id = s->next_id++;
    if ((rc = gs_wire_encode_request(rq, &frame, err)) != 0)
        return rc;
    /* A DEALER queues while it is not connected, so this does not block;
     * EAGAIN means its queue is full. */
    if (zmq_send(s->sock, frame.p, frame.n, ZMQ_DONTWAIT) < 0) {
        rc = gs_error_set(err, GS_EUNAVAIL, "cannot send to %s: %s", s->endpoint,
                          zmq_strerror(errno));
        gs_buf_free(&frame);
        return rc;
    }
    gs_buf_free(&frame);
    s->p[s->n++] = (pending){.id = rq->id,
                             .kind = kind,
                             .log = log,
                             .chk = chk,
                             .deadline_ms = mono_ms() + m->timeout_ms};
    return 0;
}

/* -------------------------------------------------------------- checks */

static void check_free(monitor *m, check *c)
{
    for (check **pp = &m->checks; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    free(c->note_m);
    free(c->note_n);
    free(c);
}

/* Asks the next source for the proof, or gives up when all were asked. */
static void check_next(monitor *m, check *c)
{
    gs_error err = {0};
    while (c->tried < m->n_src) {
        size_t i = c->first >= 0 ? ((size_t)c->first + c->tried) % m->n_src : c->tried;
        c->tried++;
        gs_request rq = {.op = GS_OP_GET_CONSISTENCY_PROOF, .origin = c->origin};
        rq.u.get_consistency_proof.old_size = c->m;
        rq.u.get_consistency_proof.new_size = c->n;
        if (source_send(m, &m->src[i], &rq, REQ_PROOF, 0, c, &err) == 0)
            return;
        source_problem(&m->src[i], "%s", err.msg);
    }
    say("warn",
        "%s: could not check that size %llu is consistent with size %llu: no source served a "
        "proof that reaches the signed size-%llu root",
        c->origin, (unsigned long long)c->m, (unsigned long long)c->n, (unsigned long long)c->n);
    check_free(m, c);
}

/* Starts checking that the checkpoints small (size m) and large (size n)
 * are consistent. first: the source to ask first (-1: in order). */
static void check_start(monitor *m, const char *origin, const row *small, const row *large,
                        int first)
{
    if (m->n_src == 0) {
        say("warn",
            "%s: cannot check size %llu against size %llu: no --connect source to ask for a "
            "consistency proof",
            origin, (unsigned long long)small->size, (unsigned long long)large->size);
        return;
    }
    check *c = calloc(1, sizeof *c);
    if (c == NULL || (c->note_m = strdup(small->note)) == NULL ||
        (c->note_n = strdup(large->note)) == NULL) {
        if (c != NULL) {
            free(c->note_m);
            free(c);
        }
        say("error", "out of memory");
        return;
    }
    snprintf(c->origin, sizeof c->origin, "%s", origin);
    c->m = small->size;
    c->n = large->size;
    c->root_m = small->root;
    c->root_n = large->root;
    c->first = first;
    c->next = m->checks;
    m->checks = c;
    check_next(m, c);
}

/* A proof answer for c from source s. */
static void check_answer(monitor *m, polled *s, check *c, const gs_response *rs)
{
    gs_error err = {0};
    gs_hash proof[GS_MERKLE_MAX_PROOF + 1], old_root, new_root;
    size_t np = 0;
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_PROOF) {
        if (rs->code != GS_STATUS_NOT_FOUND)
            source_problem(s, "%s: GetConsistencyProof(%llu, %llu) from %s: %s: %s", c->origin,
                           (unsigned long long)c->m, (unsigned long long)c->n, s->endpoint,
                           gs_status_name(rs->code), rs->message != NULL ? rs->message : "");
        check_next(m, c);
        return;
    }
    if (rs->u.proof.index != c->m || rs->u.proof.size != c->n ||
        rs->u.proof.n > GS_MERKLE_MAX_PROOF) {
        say("warn", "%s: %s answered a consistency proof for other sizes than %llu to %llu",
            c->origin, s->endpoint, (unsigned long long)c->m, (unsigned long long)c->n);
        check_next(m, c);
        return;
    }
    /* RFC 9162 §2.1.4.2: for a power-of-two old size the proof omits the
     * old root (it is a subtree of the new tree); the signed one is put
     * first so the walk can run (merkle.h). */
    if (is_pow2(c->m))
        proof[np++] = c->root_m;
    memcpy(&proof[np], rs->u.proof.hashes, rs->u.proof.n * sizeof proof[0]);
    np += rs->u.proof.n;
    if (gs_merkle_consistency_roots(c->m, c->n, proof, np, &old_root, &new_root, &err) != 0 ||
        memcmp(new_root.b, c->root_n.b, 32) != 0) {
        say("warn",
            "%s: %s served a consistency proof from %llu to %llu that does not reach the "
            "size-%llu root the log signed: a bad proof from that source, not evidence "
            "against the log%s%s",
            c->origin, s->endpoint, (unsigned long long)c->m, (unsigned long long)c->n,
            (unsigned long long)c->n, err.msg[0] != '\0' ? ": " : "", err.msg);
        check_next(m, c);
        return;
    }
    if (memcmp(old_root.b, c->root_m.b, 32) == 0) {
        say_event(MON_EVENT(.level = "info", .event = "consistent", .origin = c->origin,
                            .has_old_size = true, .old_size = c->m, .has_size = true, .size = c->n,
                            .source = s->endpoint),
                  "%s: size %llu is consistent with size %llu (proof from %s)", c->origin,
                  (unsigned long long)c->m, (unsigned long long)c->n, s->endpoint);
        check_free(m, c);
        return;
    }
    /* The proof fixes the root of the first m leaves of the signed size-n
     * tree, and the log signed another root for size m: a rewritten
     * history. (Never reached for a power-of-two m: its old root was taken
     * from the signed checkpoint.) */
    char reason[512];
    snprintf(reason, sizeof reason,
             "a consistency proof from %s reaches the log's signed size-%llu root from a "
             "size-%llu root other than the one the log signed: the log rewrote its history",
             s->endpoint, (unsigned long long)c->n, (unsigned long long)c->m);
    report_split_view(m, c->origin, c->note_m, c->note_n, rs->u.proof.hashes, rs->u.proof.n,
                      reason);
    check_free(m, c);
}

/* ------------------------------------------------------------ checking */

static int source_index(monitor *m, const char *label)
{
    for (size_t i = 0; i < m->n_src; i++)
        if (strcmp(m->src[i].endpoint, label) == 0)
            return (int)i;
    return -1;
}

/* A checkpoint note seen at source (a --connect endpoint, "subscription
 * EP" or "AddCheckpoint"). Verifies the log's signature, records it, and
 * checks it against what was seen before for its origin: the first other
 * root of the same size, and the nearest smaller and larger sizes (checking
 * neighbours is enough: consistency chains). proven_from: a size from which
 * consistency is already proven (AddCheckpoint), 0 for none. Returns 0, or
 * a negative code when the note was not recorded (err says why). */
static int observe(monitor *m, const char *note, size_t len, const char *source,
                   const char *expect_origin, uint64_t proven_from, gs_error *err)
{
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_vkey log_key;
    gs_policy_result pr = {0};
    gs_error qerr = {0};
    row same = {0}, small = {0}, large = {0};
    int rc;
    size_t tlen;
    char root[45];

    if ((rc = gs_note_parse(note, len, &n, err)) != 0) {
        gs_error_wrap(err, "%s served something that is not a signed note", source);
        goto out;
    }
    const char *text = gs_note_text(n, &tlen);
    if ((rc = gs_checkpoint_parse(text, tlen, &cp, err)) != 0) {
        gs_error_wrap(err, "%s served a note that is not a checkpoint", source);
        goto out;
    }
    if (expect_origin != NULL && strcmp(cp.origin, expect_origin) != 0) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s served a checkpoint of another log than the one asked for (%s)",
                          source, expect_origin);
        goto out;
    }
    if ((rc = gs_policy_log_key(m->pol, cp.origin, &log_key, err)) != 0) {
        gs_error_set(err, GS_ENOTFOUND,
                     "%s: a checkpoint of %s, which is not a log in the trust "
                     "file: ignored",
                     source, cp.origin);
        goto out;
    }
    if ((rc = gs_note_verify(n, &log_key, 1, NULL, NULL, err)) != 0) {
        /* Not signed by the log: it proves nothing about the log, whoever
         * served it. */
        gs_error_wrap(err, "%s served a checkpoint of %s the log did not sign (ignored)", source,
                      cp.origin);
        goto out;
    }
    if (cp.size > MON_MAX_SIZE) {
        rc = gs_error_set(err, GS_ETOOBIG, "%s: a checkpoint of %s of size %llu (ignored)", source,
                          cp.origin, (unsigned long long)cp.size);
        goto out;
    }
    bool met = gs_policy_verify_checkpoint(m->pol, note, len, &pr, &qerr) == 0;
    bool inserted = false;
    if ((rc = db_put_checkpoint(m, &cp, note, source, met, &inserted, err)) != 0)
        goto out;
    b64_hash(&cp.root, root);
    if (!inserted) {
        /* Seen before: only a quorum met since then is news. */
        rc = db_row(m, ROW_COLUMNS "WHERE origin = ?1 AND size = ?2 AND root = ?3", cp.origin,
                    cp.size, &cp.root, &same, err);
        if (rc < 0)
            goto out;
        rc = 0;
        if (met && !same.quorum_met) {
            if ((rc = db_update_note(m, same.id, note, err)) != 0)
                goto out;
            say_event(MON_EVENT(.level = "info", .event = "quorum", .origin = cp.origin,
                                .has_size = true, .size = cp.size, .quorum_met = CLI_MON_YES),
                      "checkpoint %s size %llu: the trust file's quorum (%s) is now met", cp.origin,
                      (unsigned long long)cp.size, gs_policy_quorum_name(m->pol));
        }
        goto out;
    }
    say_event(MON_EVENT(.level = "info", .event = "checkpoint", .origin = cp.origin,
                        .has_size = true, .size = cp.size, .root_b64 = root, .source = source,
                        .quorum_met = met ? CLI_MON_YES : CLI_MON_NO),
              "checkpoint %s size %llu root %s from %s: %s%s", cp.origin,
              (unsigned long long)cp.size, root, source,
              met ? "quorum met" : "quorum not met: ", met ? "" : qerr.msg);

    /* Same size, another root: the two notes prove a split view. */
    rc = db_row(m, ROW_COLUMNS "WHERE origin = ?1 AND size = ?2 AND root != ?3 ORDER BY id LIMIT 1",
                cp.origin, cp.size, &cp.root, &same, err);
    if (rc < 0)
        goto out;
    if (rc == 1) {
        char reason[1024];
        snprintf(reason, sizeof reason,
                 "two checkpoints of size %llu with different roots, both signed by the log "
                 "key: one from %s, the other from %s",
                 (unsigned long long)cp.size, same.source, source);
        report_split_view(m, cp.origin, same.note, note, NULL, 0, reason);
        rc = 0;
        goto out;
    }
    row self = {.size = cp.size, .root = cp.root, .note = note, .source = source};
    if (cp.size > 0) {
        rc = db_row(m,
                    ROW_COLUMNS "WHERE origin = ?1 AND size < ?2 AND size > 0 "
                                "ORDER BY size DESC, id LIMIT 1",
                    cp.origin, cp.size, NULL, &small, err);
        if (rc < 0)
            goto out;
        if (rc == 1 && small.size != proven_from)
            check_start(m, cp.origin, &small, &self, source_index(m, source));
        rc = db_row(m, ROW_COLUMNS "WHERE origin = ?1 AND size > ?2 ORDER BY size, id LIMIT 1",
                    cp.origin, cp.size, NULL, &large, err);
        if (rc < 0)
            goto out;
        if (rc == 1)
            check_start(m, cp.origin, &self, &large, source_index(m, large.source));
    }
    rc = 0;
out:
    row_clear(&same);
    row_clear(&small);
    row_clear(&large);
    gs_policy_result_clear(&pr);
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return rc;
}

/* -------------------------------------------------------------- polling */

static void poll_source(monitor *m, polled *s)
{
    gs_error err = {0};
    for (size_t i = 0; i < gs_policy_log_count(m->pol); i++) {
        const gs_vkey *vk = gs_policy_log_at(m->pol, i, NULL);
        gs_request rq = {.op = GS_OP_GET_CHECKPOINT, .origin = vk->name};
        if (source_send(m, s, &rq, REQ_POLL, i, NULL, &err) != 0) {
            source_problem(s, "%s", err.msg);
            return;
        }
    }
}

static bool poll_pending(const polled *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->p[i].kind == REQ_POLL)
            return true;
    return false;
}

static void on_poll_answer(monitor *m, polled *s, size_t log, const gs_response *rs)
{
    gs_error err = {0};
    const gs_vkey *vk = gs_policy_log_at(m->pol, log, NULL);
    if (rs->code == GS_STATUS_NOT_FOUND)
        return; /* not every daemon holds every log */
    if (rs->code != GS_STATUS_OK || rs->result != GS_RESULT_CHECKPOINT) {
        source_problem(s, "%s: GetCheckpoint(%s): %s: %s", s->endpoint, vk->name,
                       gs_status_name(rs->code), rs->message != NULL ? rs->message : "");
        return;
    }
    if (observe(m, rs->u.checkpoint, strlen(rs->u.checkpoint), s->endpoint, vk->name, 0, &err) != 0)
        source_problem(s, "%s", err.msg);
}

/* Takes every answer waiting on a source. */
static void source_receive(monitor *m, polled *s)
{
    gs_error err = {0};
    while (s->sock != NULL) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            return;
        }
        gs_response rs = {0};
        int rc = gs_wire_decode_response(gs_bytes_of(zmq_msg_data(&msg), zmq_msg_size(&msg)),
                                         GS_MAX_MESSAGE, &rs, &err);
        zmq_msg_close(&msg);
        if (rc != 0) {
            source_problem(s, "%s sent a malformed answer: %s", s->endpoint, err.msg);
            continue;
        }
        for (size_t i = 0; i < s->n; i++) {
            if (s->p[i].id != rs.id)
                continue;
            pending p = s->p[i];
            memmove(&s->p[i], &s->p[i + 1], (s->n - i - 1) * sizeof s->p[0]);
            s->n--;
            if (p.kind == REQ_POLL)
                on_poll_answer(m, s, p.log, &rs);
            else
                check_answer(m, s, p.chk, &rs);
            break;
        }
        /* An answer to nothing waited for (a late one) is dropped. */
        gs_response_clear(&rs);
    }
}

/* Requests past their deadline: the socket is reset and every request that
 * was waiting on it handled as unanswered. */
static void source_expire(monitor *m, polled *s, int64_t now)
{
    bool late = false;
    for (size_t i = 0; i < s->n && !late; i++)
        late = s->p[i].deadline_ms <= now;
    if (!late)
        return;
    size_t n = s->n;
    pending *gone = malloc((n != 0 ? n : 1) * sizeof *gone);
    if (gone == NULL) {
        say("error", "out of memory");
        return;
    }
    memcpy(gone, s->p, n * sizeof *gone);
    source_reset(m, s);
    source_problem(s,
                   "no answer from %s within %d ms (is the daemon running, and is the key "
                   "after the comma its key?)",
                   s->endpoint, m->timeout_ms);
    for (size_t i = 0; i < n; i++) {
        if (gone[i].kind == REQ_PROOF)
            check_next(m, gone[i].chk);
        else
            m->unanswered++;
    }
    free(gone);
}

/* --------------------------------------------------------- subscriptions */

static int subscription_add(monitor *m, const char *spec, gs_error *err)
{
    uint8_t server_curve[32], pub[32], sec[32];
    bool curve = false;
    if (m->n_sub == MON_MAX_SOURCES)
        return gs_error_set(err, GS_EINVAL, "at most %d --subscribe endpoints", MON_MAX_SOURCES);
    subscription *s = &m->sub[m->n_sub++];
    int rc = parse_endpoint("--subscribe", spec, &s->endpoint, &curve, server_curve, err);
    if (rc != 0)
        return rc;
    if ((s->sock = zmq_socket(m->zctx, ZMQ_SUB)) == NULL)
        return gs_error_set(err, GS_EIO, "zmq socket: %s", zmq_strerror(errno));
    int linger = 0;
    int64_t max = MON_MAX_EVENT;
    if (zmq_setsockopt(s->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_MAXMSGSIZE, &max, sizeof max) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "checkpoint/", 11) != 0 ||
        zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, "alert/", 6) != 0)
        return gs_error_set(err, GS_EIO, "zmq socket options: %s", zmq_strerror(errno));
    if (curve) {
        rc = crypto_box_keypair(pub, sec) == 0 ? 0 : GS_EIO;
        if (rc == 0 && (zmq_setsockopt(s->sock, ZMQ_CURVE_SERVERKEY, server_curve, 32) != 0 ||
                        zmq_setsockopt(s->sock, ZMQ_CURVE_PUBLICKEY, pub, 32) != 0 ||
                        zmq_setsockopt(s->sock, ZMQ_CURVE_SECRETKEY, sec, 32) != 0))
            rc = GS_EIO;
        sodium_memzero(sec, sizeof sec);
        if (rc != 0)
            return gs_error_set(err, GS_EIO, "curve client for %s: %s", s->endpoint,
                                zmq_strerror(errno));
    }
    if (zmq_connect(s->sock, s->endpoint) != 0)
        return gs_error_set(err, GS_EINVAL, "cannot connect to %s: %s", s->endpoint,
                            zmq_strerror(errno));
    return 0;
}

/* An alert: evidence (checked here, never taken on the hub's word) or a
 * text notice. */
static void on_alert(monitor *m, const subscription *s, const char *origin, gs_bytes payload)
{
    gs_statement st = {0};
    gs_error err = {0};
    gs_vkey log_key;
    char what[512], reporter[45];
    if (gs_wire_open_entry(payload, &st, &err) != 0 || st.kind != GS_BODY_EVIDENCE) {
        /* A text notice (availability, unrecorded evidence). */
        char text[1024], who[GS_MAX_ORIGIN + 1];
        printable(payload.p, payload.n, text, sizeof text);
        printable((const uint8_t *)origin, strlen(origin), who, sizeof who);
        say_event(MON_EVENT(.level = "alert", .event = "alert", .origin = who, .kind = "notice",
                            .source = s->endpoint),
                  "from %s about %s: %s", s->endpoint, who, text);
        goto out;
    }
    const gs_evidence *ev = &st.u.evidence;
    gs_evidence_describe(ev, what, sizeof what);
    cli_b64_32(st.signer.b, reporter);
    if (gs_policy_log_key(m->pol, ev->origin, &log_key, &err) != 0) {
        say_event(MON_EVENT(.level = "alert", .event = "alert", .origin = ev->origin,
                            .kind = "unchecked-evidence", .source = s->endpoint,
                            .reporter = reporter, .verified = CLI_MON_NO),
                  "from %s: evidence against %s (%s), which is not a log in the trust file: "
                  "not checked",
                  s->endpoint, ev->origin, what);
        goto out;
    }
    if (gs_evidence_verify(ev, &log_key, &err) != 0) {
        say_event(MON_EVENT(.level = "alert", .event = "alert", .origin = ev->origin,
                            .kind = "unverified-evidence", .source = s->endpoint,
                            .reporter = reporter, .verified = CLI_MON_NO),
                  "from %s: evidence against %s (%s) that is NOT proof: %s", s->endpoint,
                  ev->origin, what, err.msg);
        goto out;
    }
    /* A hub reports from its own log; a monitor, which keeps none, signs
     * under the accused origin (see the top of this file). */
    bool from_monitor = strcmp(st.origin, ev->origin) == 0;
    say_event(MON_EVENT(.level = "alert", .event = "evidence-received", .origin = ev->origin,
                        .kind = gs_audit_evidence_kind_name(ev->kind), .source = s->endpoint,
                        .reporter = reporter, .verified = CLI_MON_YES),
              "from %s: evidence against %s (%s), reported by %s (key %s): verified", s->endpoint,
              ev->origin, what, from_monitor ? "a monitor" : st.origin, reporter);
    save_evidence(m, ev, payload, reporter, what);
out:
    gs_statement_clear(&st);
}

static void subscription_receive(monitor *m, subscription *s)
{
    gs_error err = {0};
    for (;;) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        zmq_msg_init(&body);
        if (zmq_msg_recv(&topic, s->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            zmq_msg_close(&body);
            return;
        }
        /* An event is exactly two frames: topic and payload. Further frames
         * of a malformed event are drained and the event dropped. */
        bool have_body = false, extra = false;
        if (zmq_msg_more(&topic)) {
            have_body = zmq_msg_recv(&body, s->sock, ZMQ_DONTWAIT) >= 0;
            bool more = have_body && zmq_msg_more(&body);
            while (more) {
                zmq_msg_t x;
                zmq_msg_init(&x);
                extra = true;
                more = zmq_msg_recv(&x, s->sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&x);
                zmq_msg_close(&x);
            }
        }
        bool two = have_body && !extra;
        char t[GS_MAX_ORIGIN + 32];
        size_t tn = zmq_msg_size(&topic);
        if (two && tn < sizeof t) {
            memcpy(t, zmq_msg_data(&topic), tn);
            t[tn] = '\0';
            gs_bytes payload = gs_bytes_of(zmq_msg_data(&body), zmq_msg_size(&body));
            char label[600];
            snprintf(label, sizeof label, "subscription %s", s->endpoint);
            if (strncmp(t, "checkpoint/", 11) == 0) {
                if (payload.n <= GS_NOTE_MAX && memchr(payload.p, '\0', payload.n) == NULL) {
                    char *note = strndup((const char *)payload.p, payload.n);
                    if (note != NULL && observe(m, note, payload.n, label, t + 11, 0, &err) != 0 &&
                        err.code != GS_ENOTFOUND)
                        say("warn", "%s", err.msg);
                    free(note);
                } else {
                    say("warn", "%s: a checkpoint event that is not a note (ignored)", label);
                }
            } else if (strncmp(t, "alert/", 6) == 0) {
                on_alert(m, s, t + 6, payload);
            }
        }
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
}

/* -------------------------------------------------------------- witness */

/* AddCheckpoint with C2SP tlog-witness semantics. A monitor holds no
 * entries: it checks consistency only, against the largest checkpoint it
 * holds for the log from any source. Fills rs (on OK its cosignature line,
 * malloc'd, for the caller to free); msg (cap bytes) receives the status
 * message. */
/* The monitor as a witness, for cosign.h's check. */
static int witness_log_key(void *ctx, const char *origin, gs_vkey *key, gs_error *err)
{
    monitor *m = ctx;
    if (gs_policy_log_key(m->pol, origin, key, NULL) != 0)
        return gs_error_set(err, GS_ENOTFOUND,
                            "this monitor does not witness %s: it is not a log in its trust file",
                            origin);
    return 0;
}

static bool witness_frozen(void *ctx, const char *origin, char *why, size_t cap)
{
    (void)why;
    (void)cap;
    return db_has_evidence(ctx, origin);
}

static int witness_latest(void *ctx, const char *origin, uint64_t *size, gs_hash *root,
                          gs_error *err)
{
    row latest = {0};
    int found =
        db_row(ctx, ROW_COLUMNS "WHERE origin = ?1 AND size >= ?2 ORDER BY size DESC, id LIMIT 1",
               origin, 0, NULL, &latest, err);
    if (found < 0)
        return found;
    *size = found == 1 ? latest.size : 0;
    if (found == 1)
        *root = latest.root;
    row_clear(&latest);
    return 0;
}

static void add_checkpoint(monitor *m, const gs_request *rq, gs_response *rs, char *msg, size_t cap)
{
    const char *text =
        rq->u.add_checkpoint.checkpoint != NULL ? rq->u.add_checkpoint.checkpoint : "";
    size_t len = strlen(text), tlen;
    uint64_t old = rq->u.add_checkpoint.old_size;
    const gs_hash *proof = rq->u.add_checkpoint.proof;
    size_t np = rq->u.add_checkpoint.n_proof;
    gs_error err = {0};
    row latest = {0};
    gs_cosign_result r = {0};
    gs_cosign_witness w = {.log_key = witness_log_key,
                           .frozen = witness_frozen,
                           .latest = witness_latest,
                           .ctx = m,
                           .name = "this monitor",
                           .max_size = MON_MAX_SIZE};

    /* One witness-side check for the hub and the monitor (common/cosign.h). */
    if (gs_cosign_judge(&w, text, old, proof, np, &r, &err) != 0) {
        snprintf(msg, cap, "%s", err.msg);
        rs->code = GS_STATUS_INTERNAL;
        goto out;
    }
    rs->code = gs_cosign_status(r.verdict);
    snprintf(msg, cap, "%s", r.message);
    switch (r.verdict) {
    case GS_COSIGN_CONFLICT:
        rs->result = GS_RESULT_CONFLICT;
        rs->u.conflict_size = r.latest_size;
        goto out;
    case GS_COSIGN_SPLIT_VIEW:
        /* Recording it reports the split view (observe finds the other
         * root of the same size). */
        if (observe(m, text, len, "AddCheckpoint", NULL, 0, &err) != 0)
            say("warn", "%s", err.msg);
        snprintf(msg, cap, "%s: recorded as evidence of a split view", r.message);
        goto out;
    case GS_COSIGN_REWRITE: {
        gs_error oerr = {0};
        if (db_row(m, ROW_COLUMNS "WHERE origin = ?1 AND size = ?2 ORDER BY id LIMIT 1",
                   r.cp.origin, r.latest_size, NULL, &latest, &oerr) != 1) {
            say("warn", "%s", oerr.msg);
            goto out;
        }
        if (observe(m, text, len, "AddCheckpoint", NULL, old, &oerr) != 0)
            say("warn", "%s", oerr.msg);
        report_split_view(m, r.cp.origin, latest.note, text, proof, np,
                          "a consistency proof sent with AddCheckpoint reaches the log's "
                          "signed root from another root than the one it signed for "
                          "the smaller size: the log rewrote its history");
        snprintf(msg, cap, "%s: recorded as evidence", r.message);
        goto out;
    }
    case GS_COSIGN_PROCEED:
    case GS_COSIGN_SAME: break;
    default: goto out;
    }
    /* Durable before the cosignature leaves: a witness never forgets what
     * it cosigned (c2sp.org/tlog-witness). */
    if (observe(m, text, len, "AddCheckpoint", NULL, old, &err) != 0) {
        snprintf(msg, cap, "%s", err.msg);
        rs->code = GS_STATUS_INTERNAL;
        goto out;
    }
    char *line = NULL;
    const char *body = gs_note_text(r.note, &tlen);
    if (gs_cosignature_sign(body, tlen, m->witness_name, &m->witness, (int64_t)time(NULL), &line,
                            &err) != 0) {
        snprintf(msg, cap, "%s", err.msg);
        rs->code = GS_STATUS_INTERNAL;
        goto out;
    }
    say_event(MON_EVENT(.level = "info", .event = "cosigned", .origin = r.cp.origin,
                        .has_size = true, .size = r.cp.size),
              "cosigned %s size %llu as %s", r.cp.origin, (unsigned long long)r.cp.size,
              m->witness_name);
    rs->code = GS_STATUS_OK;
    rs->result = GS_RESULT_COSIGNATURE;
    rs->u.cosignature = line; /* freed by the caller */
out:
    row_clear(&latest);
    gs_cosign_result_clear(&r);
}

static void serve(monitor *m, const gs_net_request *nrq)
{
    gs_request rq = {0};
    gs_response rs = {.code = GS_STATUS_OK};
    gs_error err = {0};
    gs_buf frame = {0};
    char msg[1024] = "";
    if (gs_wire_decode_request(nrq->payload, GS_MAX_MESSAGE, &rq, &err) != 0) {
        rs.code =
            err.code == GS_ETOOBIG ? GS_STATUS_RESOURCE_EXHAUSTED : GS_STATUS_INVALID_ARGUMENT;
        snprintf(msg, sizeof msg, "%s", err.msg);
    } else if (rq.op == GS_OP_ADD_CHECKPOINT) {
        rs.id = rq.id;
        add_checkpoint(m, &rq, &rs, msg, sizeof msg);
    } else {
        rs.id = rq.id;
        rs.code = GS_STATUS_INVALID_ARGUMENT;
        snprintf(msg, sizeof msg,
                 "a monitor serves only AddCheckpoint (it acts as a witness); "
                 "ask a node or a hub for logs, checkpoints and proofs");
    }
    rs.message = rs.code == GS_STATUS_OK ? "" : msg;
    char *line = rs.result == GS_RESULT_COSIGNATURE ? gs_wire_take(rs.u.cosignature) : NULL;
    if (gs_wire_encode_response(&rs, &frame, &err) != 0 ||
        gs_net_server_reply(m->server, nrq->socket, nrq->identity, nrq->identity_len,
                            gs_bytes_of(frame.p, frame.n), &err) != 0)
        say("warn", "cannot answer a request: %s", err.msg);
    free(line);
    gs_buf_free(&frame);
    gs_request_clear(&rq);
}

/* ------------------------------------------------------------ the loop */

static int run(monitor *m, bool once, int64_t duration_ms)
{
    int64_t start = mono_ms();
    bool polled_once = false;
    size_t cap = 2 + GS_NET_MAX_ENDPOINTS * 2 + 2 * MON_MAX_SOURCES;
    zmq_pollitem_t items[2 + GS_NET_MAX_ENDPOINTS * 2 + 2 * MON_MAX_SOURCES];
    gs_error err = {0};

    while (!stop_requested) {
        cli_monitor_events_poll();
        int64_t now = mono_ms();
        if (duration_ms > 0 && now - start >= duration_ms)
            break;
        for (size_t i = 0; i < m->n_src; i++) {
            polled *s = &m->src[i];
            source_expire(m, s, now);
            if (once && polled_once)
                continue;
            if (now >= s->next_poll_ms && !poll_pending(s)) {
                poll_source(m, s);
                s->next_poll_ms = now + m->interval_ms;
            }
        }
        polled_once = true;
        if (once) {
            bool busy = m->checks != NULL;
            for (size_t i = 0; i < m->n_src && !busy; i++)
                busy = m->src[i].n > 0;
            if (!busy)
                break;
        }

        size_t n = 0;
        if (m->server != NULL)
            n = gs_net_server_pollitems(m->server, items, cap - 2 * MON_MAX_SOURCES);
        size_t first_sub = n;
        for (size_t i = 0; i < m->n_sub; i++)
            items[n++] = (zmq_pollitem_t){.socket = m->sub[i].sock, .events = ZMQ_POLLIN};
        size_t first_src = n;
        for (size_t i = 0; i < m->n_src; i++)
            items[n++] = (zmq_pollitem_t){.socket = m->src[i].sock, .events = ZMQ_POLLIN};

        long timeout = 1000;
        for (size_t i = 0; i < m->n_src; i++) {
            const polled *s = &m->src[i];
            if (!once && s->next_poll_ms - now < timeout)
                timeout = (long)(s->next_poll_ms - now);
            for (size_t k = 0; k < s->n; k++)
                if (s->p[k].deadline_ms - now < timeout)
                    timeout = (long)(s->p[k].deadline_ms - now);
        }
        if (duration_ms > 0 && start + duration_ms - now < timeout)
            timeout = (long)(start + duration_ms - now);
        if (timeout < 0)
            timeout = 0;
        int r = zmq_poll(items, (int)n, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            cli_errorf("zmq_poll: %s", zmq_strerror(errno));
            return CLI_EXIT_USAGE;
        }
        if (m->server != NULL) {
            for (;;) {
                gs_net_request nrq;
                int got = gs_net_server_recv(m->server, &nrq, &err);
                if (got < 0) {
                    say("warn", "%s", err.msg);
                    gs_error_clear(&err);
                    continue;
                }
                if (got == 0)
                    break;
                serve(m, &nrq);
            }
        }
        for (size_t i = 0; i < m->n_sub; i++)
            if (items[first_sub + i].revents & ZMQ_POLLIN)
                subscription_receive(m, &m->sub[i]);
        for (size_t i = 0; i < m->n_src; i++)
            if (items[first_src + i].revents & ZMQ_POLLIN)
                source_receive(m, &m->src[i]);
    }
    return CLI_EXIT_OK;
}

static void monitor_clear(monitor *m)
{
    while (m->checks != NULL)
        check_free(m, m->checks);
    for (size_t i = 0; i < m->n_src; i++) {
        if (m->src[i].sock != NULL)
            zmq_close(m->src[i].sock);
        sodium_memzero(&m->src[i].curve, sizeof m->src[i].curve);
        free(m->src[i].endpoint);
        free(m->src[i].p);
    }
    for (size_t i = 0; i < m->n_sub; i++) {
        if (m->sub[i].sock != NULL)
            zmq_close(m->sub[i].sock);
        free(m->sub[i].endpoint);
    }
    gs_net_server_close(&m->server);
    if (m->zctx != NULL)
        zmq_ctx_term(m->zctx);
    if (m->db != NULL)
        sqlite3_close(m->db);
    gs_policy_free(&m->pol);
    gs_keypair_wipe(&m->reporter);
    gs_keypair_wipe(&m->witness);
}

/* The folder of path ("." when it has none). */
static void folder_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

static void named_free(char **named)
{
    for (size_t i = 0; i < MON_MAX_SOURCES; i++)
        free(named[i]);
}

/* The --connect values as endpoints: a NAME of client.conf becomes its
 * endpoint and key (clientconf.h). The strings made are kept in named. */
static int monitor_named_sources(const char *client_config, const char **connects, size_t n_connect,
                                 char **named, gs_error *err)
{
    for (size_t i = 0; i < n_connect; i++) {
        int rc = cli_clientconf_monitor_spec(client_config, connects[i], &named[i], err);
        if (rc != 0)
            return rc;
        connects[i] = named[i];
    }
    return 0;
}

/* Declared in main.c, which dispatches to it. */
int cli_cmd_monitor(int argc, char **argv);

int cli_cmd_monitor(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, OPT_TRUST},
        {"connect", required_argument, NULL, CLI_OPT_CONNECT},
        {"subscribe", required_argument, NULL, OPT_SUBSCRIBE},
        {"witness-key", required_argument, NULL, OPT_WITNESS_KEY},
        {"witness-name", required_argument, NULL, OPT_WITNESS_NAME},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"db", required_argument, NULL, OPT_DB},
        {"out", required_argument, NULL, OPT_OUT},
        {"key", required_argument, NULL, CLI_OPT_KEY},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"once", no_argument, NULL, OPT_ONCE},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"exec", required_argument, NULL, OPT_EXEC},
        {"exec-timeout", required_argument, NULL, OPT_EXEC_TIMEOUT},
        {"client-config", required_argument, NULL, CLI_OPT_CLIENT_CONFIG},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "monitor";
    const char *trust = NULL, *db_path = "./giamsat-monitor.db", *out_dir = NULL;
    const char *key_file = NULL, *pass_file = NULL, *witness_key = NULL, *witness_name = NULL;
    const char *connects[MON_MAX_SOURCES], *subscribes[MON_MAX_SOURCES];
    const char *listens[GS_NET_MAX_ENDPOINTS];
    size_t n_connect = 0, n_subscribe = 0, n_listen = 0;
    uint64_t interval = MON_DEFAULT_INTERVAL_MS, timeout = MON_DEFAULT_TIMEOUT_MS, duration = 0;
    bool once = false, json = false;
    const char *exec_cmd = NULL, *client_config = NULL;
    uint64_t exec_timeout = CLI_MONITOR_EXEC_TIMEOUT_S;
    char *named[MON_MAX_SOURCES] = {0}; /* --connect NAME resolved (clientconf.h) */
    monitor m = {0};
    gs_error err = {0};
    int c, rc, status = CLI_EXIT_USAGE;

    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case CLI_OPT_HELP: fputs(help, stdout); return CLI_EXIT_OK;
        case OPT_TRUST: trust = optarg; break;
        case CLI_OPT_CONNECT:
            if (n_connect == MON_MAX_SOURCES)
                return cli_usage_error(cmd, "at most %d --connect", MON_MAX_SOURCES);
            connects[n_connect++] = optarg;
            break;
        case OPT_SUBSCRIBE:
            if (n_subscribe == MON_MAX_SOURCES)
                return cli_usage_error(cmd, "at most %d --subscribe", MON_MAX_SOURCES);
            subscribes[n_subscribe++] = optarg;
            break;
        case OPT_LISTEN:
            if (n_listen == GS_NET_MAX_ENDPOINTS)
                return cli_usage_error(cmd, "at most %d --listen", GS_NET_MAX_ENDPOINTS);
            listens[n_listen++] = optarg;
            break;
        case OPT_WITNESS_KEY: witness_key = optarg; break;
        case OPT_WITNESS_NAME: witness_name = optarg; break;
        case OPT_DB: db_path = optarg; break;
        case OPT_OUT: out_dir = optarg; break;
        case CLI_OPT_KEY: key_file = optarg; break;
        case CLI_OPT_PASSPHRASE_FILE: pass_file = optarg; break;
        case OPT_INTERVAL:
            if (cli_parse_u64(optarg, "--interval", &interval, &err) != 0 || interval < 10 ||
                interval > 86400000)
                return cli_usage_error(cmd, "--interval must be milliseconds from 10 to 86400000");
            break;
        case CLI_OPT_TIMEOUT:
            if (cli_parse_u64(optarg, "--timeout", &timeout, &err) != 0 || timeout < 10 ||
                timeout > 600000)
                return cli_usage_error(cmd, "--timeout must be milliseconds from 10 to 600000");
            break;
        case OPT_DURATION:
            if (cli_parse_u64(optarg, "--duration", &duration, &err) != 0 || duration == 0 ||
                duration > 100000000)
                return cli_usage_error(cmd, "--duration must be a number of seconds from 1");
            break;
        case OPT_ONCE: once = true; break;
        case CLI_OPT_JSON: json = true; break;
        case OPT_EXEC: exec_cmd = optarg; break;
        case OPT_EXEC_TIMEOUT:
            if (cli_parse_u64(optarg, "--exec-timeout", &exec_timeout, &err) != 0 ||
                exec_timeout == 0 || exec_timeout > 86400)
                return cli_usage_error(cmd, "--exec-timeout must be seconds from 1 to 86400");
            break;
        case CLI_OPT_CLIENT_CONFIG: client_config = optarg; break;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (trust == NULL)
        return cli_usage_error(cmd, "--trust FILE is required: it names the logs to watch");
    if (exec_cmd != NULL && exec_cmd[0] == '\0')
        return cli_usage_error(cmd, "--exec needs a command");
    cli_monitor_events_setup(json, exec_cmd, (int)exec_timeout);
    const cli_clientconf *cc = NULL;
    if (cli_clientconf_get(client_config, &cc, &err) != 0) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    if (n_connect == 0 && n_subscribe == 0 && n_listen == 0 &&
        cli_clientconf_default_endpoint(cc) != NULL)
        connects[n_connect++] = cli_clientconf_default_endpoint(cc);
    if ((witness_key == NULL) != (n_listen == 0))
        return cli_usage_error(cmd, "--witness-key and --listen go together: the witness serves "
                                    "AddCheckpoint on the --listen endpoints");
    if (witness_name != NULL && witness_key == NULL)
        return cli_usage_error(cmd, "--witness-name needs --witness-key");
    if (n_connect == 0 && n_subscribe == 0 && n_listen == 0)
        return cli_usage_error(cmd, "nothing to watch: give --connect, --subscribe or "
                                    "--witness-key with --listen");
    if (once && n_connect == 0)
        return cli_usage_error(cmd, "--once polls the --connect sources once: give at least one");
    m.interval_ms = (int)interval;
    m.timeout_ms = (int)timeout;
    if ((rc = monitor_named_sources(client_config, connects, n_connect, named, &err)) != 0)
        goto fail;

    if ((rc = gs_policy_load(trust, &m.pol, &err)) != 0)
        goto fail;
    if (gs_policy_log_count(m.pol) == 0) {
        gs_error_set(&err, GS_EINVAL, "trust file %s lists no log to watch", trust);
        goto fail;
    }
    if (witness_key != NULL) {
        if ((rc = cli_load_key(witness_key, pass_file, &m.witness, &err)) != 0)
            goto fail;
        m.has_witness = true;
        if (witness_name != NULL) {
            snprintf(m.witness_name, sizeof m.witness_name, "%s", witness_name);
        } else {
            char hex[9];
            gs_hex(hex, gs_bytes_of(m.witness.pub.b, 4));
            snprintf(m.witness_name, sizeof m.witness_name, "monitor-%s", hex);
        }
        if (strlen(witness_name != NULL ? witness_name : "") >= sizeof m.witness_name ||
            gs_vkey_name_valid(m.witness_name) != 0) {
            rc = cli_usage_error(cmd,
                                 "--witness-name \"%s\" is not a valid key name (no spaces, "
                                 "no '+', at most %d bytes)",
                                 m.witness_name, GS_VKEY_NAME_MAX);
            monitor_clear(&m);
            return rc;
        }
    }
    if (key_file != NULL) {
        if ((rc = cli_load_key(key_file, pass_file, &m.reporter, &err)) != 0)
            goto fail;
    } else if (m.has_witness) {
        m.reporter = m.witness;
    } else {
        gs_keypair_generate(&m.reporter);
    }
    if (out_dir != NULL)
        snprintf(m.out_dir, sizeof m.out_dir, "%s", out_dir);
    else
        folder_of(db_path, m.out_dir, sizeof m.out_dir);
    struct stat sb;
    if (stat(m.out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        gs_error_set(&err, GS_EINVAL,
                     "evidence folder %s does not exist; create it or choose "
                     "another with --out",
                     m.out_dir);
        goto fail;
    }
    if ((rc = db_open(&m, db_path, &err)) != 0)
        goto fail;
    if ((m.zctx = zmq_ctx_new()) == NULL) {
        gs_error_set(&err, GS_EIO, "zmq context: %s", zmq_strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < n_connect; i++)
        if ((rc = source_add(&m, connects[i], &err)) != 0)
            goto fail;
    for (size_t i = 0; i < n_subscribe; i++)
        if ((rc = subscription_add(&m, subscribes[i], &err)) != 0)
            goto fail;
    if (m.has_witness) {
        gs_net_server_config sc = {.endpoints = listens,
                                   .n_endpoints = n_listen,
                                   .key = &m.witness,
                                   .max_message = GS_MAX_MESSAGE,
                                   .public_read = true,
                                   .open_write = true};
        if ((rc = gs_net_server_open(&m.server, m.zctx, &sc, &err)) != 0)
            goto fail;
    }

    /* What this monitor is, once, so an operator can copy keys from it. */
    char key_str[GS_VKEY_STR_MAX], b64[45];
    cli_b64_32(m.reporter.pub.b, b64);
    say_event(MON_EVENT(.level = "info", .event = "started"),
              "monitor watching %zu log%s of %s; quorum %s; history in %s; evidence to %s",
              gs_policy_log_count(m.pol), gs_policy_log_count(m.pol) == 1 ? "" : "s", trust,
              gs_policy_quorum_name(m.pol), db_path, m.out_dir);
    if (m.has_witness) {
        gs_vkey vk;
        if (gs_vkey_make(&vk, m.witness_name, GS_VKEY_ALG_COSIGNATURE_V1, &m.witness.pub, &err) !=
                0 ||
            gs_vkey_format(&vk, key_str, sizeof key_str, &err) != 0)
            goto fail;
        for (size_t i = 0; i < n_listen; i++)
            say("info", "witness %s serving AddCheckpoint on %s; cosigner key %s", m.witness_name,
                listens[i], key_str);
    }
    say("info", "evidence is signed by reporter key %s (%s)", b64,
        key_file != NULL ? "--key"
        : m.has_witness  ? "the witness key"
                         : "ephemeral: made for this run only, give --key for a stable one");

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    stop_requested = 0;

    status = run(&m, once, (int64_t)duration * 1000);
    if (status == CLI_EXIT_OK) {
        say_event(MON_EVENT(.level = "info", .event = "stopping"),
                  "monitor stopping: %zu piece%s of evidence found", m.evidence_found,
                  m.evidence_found == 1 ? "" : "s");
        status = m.evidence_found > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
        /* A single round that could not reach a source did not check what
         * it was asked to (DESIGN §7: an unreachable endpoint is 2). */
        if (once && status == CLI_EXIT_OK && m.unanswered > 0)
            status = CLI_EXIT_USAGE;
    }
    cli_monitor_events_finish();
    monitor_clear(&m);
    named_free(named);
    return status;
fail:
    cli_errorf("%s", err.msg);
    monitor_clear(&m);
    named_free(named);
    return CLI_EXIT_USAGE;
}
