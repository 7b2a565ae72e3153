/* cmd_audit.c — `giamsat audit` (DESIGN §5 flow 5): the central inspector
 * pulls every log a hub holds, verifies everything, and writes the
 * accountability report. The engine is common/audit.h and the report
 * common/report.h; this file parses flags, connects, calls them and writes
 * the report where it was asked.
 *
 * Verification first, for each log: its cosigned checkpoint against the
 * trust file; every entry's signature; a replay of the whole log through the
 * rule book (replay mode); the root of the fetched leaves against the
 * checkpoint; every root the hub observed for it (the Observations in the
 * hub's own log, one per checkpoint it cosigned) against the root of the
 * same leaves at that size, so every checkpoint the hub held is shown
 * consistent with the one tree; and every cross-log reference against the
 * logs fetched. Run against a node instead of a hub, it audits the node's
 * one log.
 *
 * The hub is not trusted: a log it serves is believed only as far as the
 * trust file's keys and the Merkle root say.
 *
 * Evidence is part of the audit: what the hub holds (GetEvidence for every
 * log audited, and the Evidence entries of its own log) and what monitors
 * recorded (--monitor), each piece verified here (common/audit.h), leads the
 * report and fails the audit. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"
#include "outfile.h"
#include "progress.h"
#include "report.h"

enum {
    OPT_TRUST = CLI_OPT_FIRST_OWN,
    OPT_AS_OF,
    OPT_FORMAT,
    OPT_OUT,
    OPT_RESPONSE_DAYS,
    OPT_AUDIT_ORIGIN,
    OPT_THREADS,
    OPT_MONITOR,
    OPT_LANG,
};

#define MAX_ORIGINS 4096
#define MAX_MONITORS 64
#define MAX_EVIDENCE_FILES 100000

static const char help_audit[] =
    "usage: giamsat audit --connect HUB --trust FILE [--as-of DATE] [--origin O]...\n"
    "                     [--format text|json|html] [--out FILE] [--response-days N]\n"
    "                     [--monitor PATH]... [--lang vi|en]\n"
    "\n"
    "Pulls every log the hub holds (the origins its own log has Observations for, or\n"
    "those given with --origin) and verifies each: its cosigned checkpoint against the\n"
    "trust file, every signature, a replay through the rule book, the Merkle root, every\n"
    "checkpoint the hub observed for it, and every cross-log reference. Then reports,\n"
    "as of DATE, every person's roles and commitments (delivered, delivered_late,\n"
    "partially_delivered, missed, overdue, at_risk, open; revisions; whether inspectors\n"
    "confirmed or contested the claims), a scorecard per person, satisfaction ratings per\n"
    "quarter,\n"
    "the findings and feedback about what they signed and whether they answered in\n"
    "time; for every unit, the head in office at each deadline missed or passed without\n"
    "an outcome; and delegation chains as trees. Against a node, audits its one log.\n"
    "\n"
    "Evidence leads the report: every piece the hub holds about the logs audited\n"
    "(GetEvidence, and the Evidence entries of its own log) and every piece a monitor\n"
    "recorded (--monitor) is verified here against the trust file, never taken on the\n"
    "detector's word. A verified piece against a log gives it the status \"evidence\"\n"
    "(frozen, as the hub freezes it); a piece that does not verify is reported as\n"
    "unverifiable, naming its detector, and is never held against the log.\n"
    "\n"
    "Exit 1 when anything failed to verify or any evidence was found (verified or not).\n"
    "\n"
    "  --trust FILE          the trust file (C2SP tlog-policy): log keys, witnesses, quorum;\n"
    "                        made with `giamsat trust` (docs/trust.md). The hub's own log\n"
    "                        counts the witness holding the hub's key as having seen it,\n"
    "                        so one hub audits without --origin; every log it follows\n"
    "                        needs real cosignatures meeting the quorum\n"
    "  --as-of DATE          judge as of this time (YYYY-MM-DD or RFC 3339); default now\n"
    "  --origin O            audit this log (repeatable); default every log observed\n"
    "  --format F            text (default), json (schema: docs/audit.md) or html (one\n"
    "                        self-contained file, summary first, with charts)\n"
    "  --lang L              the HTML report's language: vi (Vietnamese) or en (default);\n"
    "                        text is always English, JSON has no language\n"
    "  --out FILE            write the report here instead of standard output\n"
    "  --response-days N     days a finding or feedback may wait for a response (30)\n"
    "  --threads N           signature-checking threads besides this one (default: the\n"
    "                        processors there are, less one)\n"
    "  --monitor PATH        repeatable: evidence a monitor recorded, judged like the\n"
    "                        hub's: its database (`giamsat monitor --db FILE`), or a\n"
    "                        folder of .evidence files (`giamsat monitor --out DIR`,\n"
    "                        `giamsat evidence --out DIR`)\n"
    "\n"
    "Example:\n"
    "  giamsat audit --connect tcp://hub.gov.vn:7100 --server-key $HUB_VKEY \\\n"
    "      --trust giamsat.policy --as-of 2026-12-31 --format html --out audit.html\n";

static int add_monitor_piece(void *ctx, gs_bytes data, const char *where, gs_error *err)
{
    return gs_audit_add_evidence(ctx, data, GS_AUDIT_FROM_MONITOR, where, err);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .evidence file of dir (a monitor's --out, or `giamsat evidence
 * --out`), in name order so the report reads the same each time. */
static int add_evidence_folder(gs_audit *a, const char *dir, gs_error *err)
{
    DIR *d = opendir(dir);
    char **names = NULL, *buf = NULL;
    size_t n = 0, cap = 0, len = 0;
    int rc = 0;
    struct dirent *de;
    if (d == NULL)
        return gs_error_set(err, GS_EIO, "--monitor %s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl <= 9 || strcmp(de->d_name + nl - 9, ".evidence") != 0)
            continue;
        if (n == MAX_EVIDENCE_FILES) {
            rc = gs_error_set(err, GS_ETOOBIG, "--monitor %s: more than %d evidence files", dir,
                              MAX_EVIDENCE_FILES);
            goto out;
        }
        if (n == cap) {
            size_t c = cap ? cap * 2 : 64;
            char **v = realloc(names, c * sizeof *v);
            if (v == NULL) {
                rc = gs_error_set(err, GS_ENOMEM, "out of memory");
                goto out;
            }
            names = v;
            cap = c;
        }
        if ((names[n] = malloc(strlen(dir) + nl + 2)) == NULL) {
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(names[n], strlen(dir) + nl + 2, "%s/%s", dir, de->d_name);
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = cli_read_file(names[i], GS_MAX_ENTRY, &buf, &len, err)) != 0) {
            gs_error_wrap(err, "--monitor");
            break;
        }
        rc = gs_audit_add_evidence(a, gs_bytes_of(buf, len), GS_AUDIT_FROM_MONITOR, names[i], err);
        free(buf);
        buf = NULL;
    }
out:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* --monitor PATH: a folder of evidence files, or a monitor's database. */
static int add_monitor(gs_audit *a, const char *path, gs_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return gs_error_set(err, GS_EIO, "--monitor %s: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return add_evidence_folder(a, path, err);
    return cli_monitor_evidence(path, add_monitor_piece, a, err);
}

/* ------------------------------------------------------------ progress */

/* The entry source seen from the terminal: each log's entries counted
 * against the size of the checkpoint just read for it (progress.h; nothing
 * is shown unless stderr is a terminal). The engine reads a log's
 * checkpoint, then its pages in order, one log after the other. */
typedef struct {
    const gs_audit_source *inner;
    char origin[GS_MAX_ORIGIN + 1]; /* of the last checkpoint read */
    uint64_t size;
    char shown[GS_MAX_ORIGIN + 1]; /* the log on the progress line */
    gs_progress *line;
} audit_progress;

static int progress_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    audit_progress *ap = ctx;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_error ignored = {0};
    size_t len;
    int rc = ap->inner->read_checkpoint(ap->inner->ctx, origin, note, err);
    /* Only for the count shown: the engine verifies the note itself. */
    if (rc == 0 && gs_note_parse(*note, strlen(*note), &n, &ignored) == 0) {
        const char *text = gs_note_text(n, &len);
        if (gs_checkpoint_parse(text, len, &cp, &ignored) == 0 &&
            strlen(cp.origin) < sizeof ap->origin) {
            snprintf(ap->origin, sizeof ap->origin, "%s", cp.origin);
            ap->size = cp.size;
        }
    }
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    return rc;
}

static int progress_page(void *ctx, const char *origin, uint64_t start, uint32_t count,
                         gs_buf **entries, size_t *n, gs_error *err)
{
    audit_progress *ap = ctx;
    int rc = ap->inner->read_page(ap->inner->ctx, origin, start, count, entries, n, err);
    if (ap->line != NULL && strcmp(ap->shown, origin) != 0)
        gs_progress_end(&ap->line);
    if (rc != 0)
        return rc;
    if (ap->line == NULL && start == 0 && strcmp(ap->origin, origin) == 0) {
        char label[GS_MAX_ORIGIN + 16];
        snprintf(label, sizeof label, "audit %s", origin);
        snprintf(ap->shown, sizeof ap->shown, "%s", origin);
        ap->line = gs_progress_start(label, "entries", 0, ap->size);
    }
    gs_progress_update(ap->line, start + *n, ap->size);
    if (start + *n >= ap->size)
        gs_progress_end(&ap->line);
    return 0;
}

static int progress_evidence(void *ctx, const char *origin, gs_buf **items, size_t *n,
                             gs_error *err)
{
    audit_progress *ap = ctx;
    return ap->inner->read_evidence(ap->inner->ctx, origin, items, n, err);
}

static int progress_key_chain(void *ctx, const char *origin, uint64_t size, gs_key_link **links,
                              size_t *n, gs_error *err)
{
    audit_progress *ap = ctx;
    return ap->inner->read_key_chain(ap->inner->ctx, origin, size, links, n, err);
}

static void progress_source(audit_progress *ap, const gs_audit_source *inner, gs_audit_source *out)
{
    memset(ap, 0, sizeof *ap);
    ap->inner = inner;
    out->ctx = ap;
    out->read_checkpoint = progress_checkpoint;
    out->read_page = progress_page;
    out->read_evidence = inner->read_evidence != NULL ? progress_evidence : NULL;
    out->read_key_chain = inner->read_key_chain != NULL ? progress_key_chain : NULL;
}

int cli_cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"connect", required_argument, NULL, CLI_OPT_CONNECT},
        {"server-key", required_argument, NULL, CLI_OPT_SERVER_KEY},
        {"key", required_argument, NULL, CLI_OPT_KEY},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {"client-config", required_argument, NULL, CLI_OPT_CLIENT_CONFIG},
        {"origin", required_argument, NULL, OPT_AUDIT_ORIGIN},
        {"trust", required_argument, NULL, OPT_TRUST},
        {"as-of", required_argument, NULL, OPT_AS_OF},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, OPT_OUT},
        {"response-days", required_argument, NULL, OPT_RESPONSE_DAYS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"monitor", required_argument, NULL, OPT_MONITOR},
        {"lang", required_argument, NULL, OPT_LANG},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "audit";
    cli_common cf;
    const char *trust = NULL, *as_of_s = NULL, *out_path = NULL, *lang = "en";
    const char **origins = NULL;
    size_t n_origins = 0;
    const char *monitors[MAX_MONITORS];
    size_t n_monitors = 0;
    gs_report_format fmt = GS_REPORT_TEXT;
    uint64_t response_days = 30, threads;
    int64_t as_of = (int64_t)time(NULL);
    gs_error err = {0};
    gs_policy *pol = NULL;
    gs_pool *pool = NULL;
    cli_conn cn = {0};
    gs_audit_source src, shown_src;
    audit_progress progress = {0};
    gs_audit_sink sink;
    gs_audit a = {0};
    gs_audit_leafdb *db = NULL;
    gs_report *report = NULL;
    gs_keypair kp = {0};
    gs_outfile *out = NULL;
    int c, rc = 0;

    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    threads = ncpu > 1 ? (uint64_t)(ncpu - 1) : 0;
    if (threads > 7)
        threads = 7;
    if ((origins = calloc(MAX_ORIGINS, sizeof *origins)) == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    cli_common_init(&cf);
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        int r;
        switch (c) {
        case CLI_OPT_HELP:
            fputs(help_audit, stdout);
            fputs("\n", stdout);
            fputs(cli_help_connection, stdout);
            free(origins);
            return CLI_EXIT_OK;
        case OPT_AUDIT_ORIGIN:
            if (gs_origin_valid(optarg, &err) != 0) {
                rc = cli_usage_error(cmd, "--origin: %s", err.msg);
                goto done;
            }
            if (n_origins == MAX_ORIGINS) {
                rc = cli_usage_error(cmd, "at most %d --origin", MAX_ORIGINS);
                goto done;
            }
            origins[n_origins++] = optarg;
            break;
        case OPT_MONITOR:
            if (n_monitors == MAX_MONITORS) {
                rc = cli_usage_error(cmd, "at most %d --monitor", MAX_MONITORS);
                goto done;
            }
            monitors[n_monitors++] = optarg;
            break;
        case OPT_TRUST: trust = optarg; break;
        case OPT_LANG:
            if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0) {
                rc = cli_usage_error(cmd, "--lang: expected vi or en, got \"%s\"", optarg);
                goto done;
            }
            lang = optarg;
            break;
        case OPT_AS_OF: as_of_s = optarg; break;
        case OPT_OUT: out_path = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                fmt = GS_REPORT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = GS_REPORT_JSON;
            else if (strcmp(optarg, "html") == 0)
                fmt = GS_REPORT_HTML;
            else {
                rc = cli_usage_error(cmd, "--format: expected text, json or html, got \"%s\"",
                                     optarg);
                goto done;
            }
            break;
        case OPT_RESPONSE_DAYS:
            if (cli_parse_u64(optarg, "--response-days", &response_days, &err) != 0 ||
                response_days > 36500) {
                rc = cli_usage_error(cmd, "--response-days: expected 0 to 36500 days");
                goto done;
            }
            break;
        case OPT_THREADS:
            if (cli_parse_u64(optarg, "--threads", &threads, &err) != 0 || threads > 64) {
                rc = cli_usage_error(cmd, "--threads: expected 0 to 64");
                goto done;
            }
            break;
        default:
            r = cli_common_opt(&cf, c, optarg);
            if (r < 0) {
                rc = CLI_EXIT_USAGE;
                goto done;
            }
            if (r == 0) {
                rc = cli_getopt_error(cmd, c, argv);
                goto done;
            }
        }
    }
    if (optind < argc) {
        rc = cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
        goto done;
    }
    if (trust == NULL) {
        rc = cli_usage_error(cmd, "--trust FILE is required: the audit believes only its keys");
        goto done;
    }
    if ((rc = cli_common_finish(&cf)) != 0)
        goto done;
    if (cf.json)
        fmt = GS_REPORT_JSON;
    if (as_of_s != NULL && cli_parse_date(as_of_s, &as_of, &err) != 0) {
        rc = cli_usage_error(cmd, "--as-of: %s", err.msg);
        goto done;
    }

    if ((rc = cli_trust_load(trust, &pol, &err)) != 0)
        goto fail;
    if (cf.key_file != NULL && (rc = cli_load_key(cf.key_file, cf.passphrase_file, &kp, &err)))
        goto fail;
    rc = cli_connect(&cn, &cf, cf.key_file != NULL ? &kp : NULL, &err);
    gs_keypair_wipe(&kp);
    if (rc != 0 || (rc = gs_pool_new(&pool, (unsigned)threads, &err)) != 0 ||
        (rc = gs_audit_leafdb_open(&db, &err)) != 0 ||
        (rc = gs_report_new(&report, as_of, (int64_t)response_days, &err)) != 0)
        goto fail;
    cli_audit_source(&cn, &src);
    progress_source(&progress, &src, &shown_src);
    gs_report_set_lang(report, lang);
    gs_report_sink(report, &sink);
    a.source = &shown_src;
    a.sink = &sink;
    a.policy = pol;
    a.pool = pool;
    a.db = db;
    a.origins = origins;
    a.n_origins = n_origins;
    /* An unreadable record is an environment error (2), like an unreadable
     * trust file: the audit would otherwise be silently incomplete. */
    for (size_t i = 0; i < n_monitors; i++)
        if ((rc = add_monitor(&a, monitors[i], &err)) != 0)
            goto fail;
    rc = gs_audit_run(&a, &err);
    gs_progress_end(&progress.line);
    if (rc != 0)
        goto fail;
    if (a.hub)
        gs_report_set_hub(report, a.own_origin);
    if (out_path != NULL && (rc = gs_outfile_open(&out, out_path, &err)) != 0)
        goto fail;
    /* JSON is written as it is built (person by person, unit by unit): a
     * national audit never holds the whole document. The other forms are
     * drawn from the whole document. */
    if (fmt == GS_REPORT_JSON)
        rc = gs_report_finish_json(report, db, out ? gs_outfile_stream(out) : stdout, &err);
    else if ((rc = gs_report_finish(report, db, &err)) == 0)
        rc = gs_report_write(report, fmt, out ? gs_outfile_stream(out) : stdout, &err);
    if (rc != 0)
        goto fail;
    if (out != NULL && (rc = gs_outfile_commit(&out, true, &err)) != 0)
        goto fail;
    size_t n_proof, n_unverifiable;
    gs_report_evidence_count(report, &n_proof, &n_unverifiable);
    if (n_proof > 0 || n_unverifiable > 0) {
        cli_errorf("the audit found evidence: %zu verified (proof of misbehaviour), %zu that "
                   "does not verify; see the report's EVIDENCE",
                   n_proof, n_unverifiable);
        rc = CLI_EXIT_FAIL;
    } else if (gs_report_failed(report)) {
        cli_errorf("the audit found failures: see the report's logs and references");
        rc = CLI_EXIT_FAIL;
    } else {
        rc = CLI_EXIT_OK;
    }
    goto done;
fail:
    rc = cli_fail(&err);
    if (rc == CLI_EXIT_OK)
        rc = CLI_EXIT_USAGE;
done:
    gs_outfile_abort(&out);
    gs_report_free(&report);
    gs_audit_clear(&a);
    gs_audit_leafdb_close(&db);
    gs_pool_free(&pool);
    cli_disconnect(&cn);
    gs_policy_free(&pol);
    free(origins);
    return rc;
}
