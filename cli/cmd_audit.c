/* cmd_audit.c — `giamsat audit` (DESIGN §5 flow 5): the central inspector
 * pulls every log a hub holds, verifies everything, and writes the
 * accountability report.
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
 * trust file's keys and the Merkle root say. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

enum {
    OPT_TRUST = CLI_OPT_FIRST_OWN,
    OPT_AS_OF,
    OPT_FORMAT,
    OPT_OUT,
    OPT_RESPONSE_DAYS,
    OPT_AUDIT_ORIGIN,
    OPT_THREADS,
};

#define MAX_ORIGINS 4096

static const char help_audit[] =
    "usage: giamsat audit --connect HUB --trust FILE [--as-of DATE] [--origin O]...\n"
    "                     [--format text|json|html] [--out FILE] [--response-days N]\n"
    "\n"
    "Pulls every log the hub holds (the origins its own log has Observations for, or\n"
    "those given with --origin) and verifies each: its cosigned checkpoint against the\n"
    "trust file, every signature, a replay through the rule book, the Merkle root, every\n"
    "checkpoint the hub observed for it, and every cross-log reference. Then reports,\n"
    "as of DATE, every person's roles, commitments (delivered, missed, overdue, open),\n"
    "the findings and feedback about what they signed and whether they answered in\n"
    "time; for every unit, the head in office at each deadline missed or passed without\n"
    "an outcome; and delegation chains as trees. Against a node, audits its one log.\n"
    "Exit 1 when anything failed to verify.\n"
    "\n"
    "  --trust FILE          the trust file (C2SP tlog-policy): log keys, witnesses, quorum\n"
    "  --as-of DATE          judge as of this time (YYYY-MM-DD or RFC 3339); default now\n"
    "  --origin O            audit this log (repeatable); default every log observed\n"
    "  --format F            text (default), json (schema: docs/audit.md) or html (one\n"
    "                        self-contained file)\n"
    "  --out FILE            write the report here instead of standard output\n"
    "  --response-days N     days a finding or feedback may wait for a response (30)\n"
    "  --threads N           signature-checking threads besides this one (default: the\n"
    "                        processors there are, less one)\n"
    "\n"
    "Example:\n"
    "  giamsat audit --connect tcp://hub.gov.vn:7100 --server-key $HUB_VKEY \\\n"
    "      --trust giamsat.policy --as-of 2026-12-31 --format html --out audit.html\n";

typedef struct {
    char *origin;
    cli_observed o;
} observation;

typedef struct {
    cli_report *report;
    bool hub;
    observation *obs;
    size_t n_obs, cap_obs;
} own_log_ctx;

/* The hub's own log: the report's callback, and every Observation kept. */
static int own_log_entry(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                         const gs_rules_state *s, gs_error *err)
{
    own_log_ctx *c = ctx;
    int rc = cli_report_on_entry(c->report, index, st, leaf, s, err);
    if (rc != 0 || !c->hub || st->kind != GS_BODY_OBSERVATION)
        return rc;
    if (c->n_obs == c->cap_obs) {
        size_t cap = c->cap_obs ? c->cap_obs * 2 : 64;
        observation *v = realloc(c->obs, cap * sizeof *v);
        if (v == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        c->obs = v;
        c->cap_obs = cap;
    }
    observation *o = &c->obs[c->n_obs];
    memset(o, 0, sizeof *o);
    if ((o->origin = strdup(st->u.observation.origin)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    o->o.size = st->u.observation.size;
    o->o.root = st->u.observation.root;
    c->n_obs++;
    return 0;
}

static int cmp_obs(const void *a, const void *b)
{
    const observation *x = a, *y = b;
    int c = strcmp(x->origin, y->origin);
    if (c != 0)
        return c;
    return x->o.size < y->o.size ? -1 : x->o.size > y->o.size;
}

static int get_checkpoint_text(cli_conn *cn, const char *origin, char **text, gs_error *err)
{
    gs_request rq = {0};
    gs_response rs;
    rq.op = GS_OP_GET_CHECKPOINT;
    rq.origin = (char *)origin;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_CHECKPOINT || rs.u.checkpoint == NULL) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EVERIFY, "the endpoint answered GetCheckpoint(%s) without one",
                            origin[0] ? origin : "its own log");
    }
    *text = rs.u.checkpoint;
    rs.u.checkpoint = NULL;
    gs_response_clear(&rs);
    return 0;
}

/* Audits one log: the checkpoint against the trust file, then the replay.
 * Failures of the log go into the report; only what stops the audit itself
 * (the endpoint, memory, the disk) is returned. */
static int audit_log(cli_conn *cn, const gs_policy *pol, cli_report *report, cli_leafdb *db,
                     gs_pool *pool, const char *origin, cli_observed *obs, size_t n_obs,
                     cli_replay_fn fn, void *fn_ctx, const char *own_text, gs_error *err)
{
    char *text = NULL;
    cli_trusted t = {0};
    cli_replay rp = {0};
    gs_error why = {0};
    int rc;
    rp.origin = origin;
    if (own_text == NULL) {
        rc = get_checkpoint_text(cn, origin, &text, &why);
        if (rc == GS_EUNAVAIL || rc == GS_ENOMEM) {
            *err = why;
            goto out;
        }
        if (rc != 0) {
            rc = cli_report_add_log(report, &rp, NULL, why.msg, err);
            goto out;
        }
        own_text = text;
    }
    if (cli_trust_checkpoint(pol, origin, own_text, strlen(own_text), &t, &why) != 0) {
        rc = cli_report_add_log(report, &rp, NULL, why.msg, err);
        goto out;
    }
    rp.size = t.cp.size;
    rp.pool = pool;
    rp.db = db;
    rp.observed = obs;
    rp.n_observed = n_obs;
    rp.on_entry = fn;
    rp.ctx = fn_ctx;
    if ((rc = cli_report_begin_log(report, origin, err)) != 0)
        goto out;
    if ((rc = cli_replay_run(cn, &rp, err)) != 0) {
        /* The endpoint stopped serving the log: a failure of this log, and
         * the audit goes on with the others unless the endpoint is gone. */
        if (rc == GS_EUNAVAIL || rc == GS_ENOMEM || rc == GS_EIO)
            goto out;
        cli_replay_fail(&rp, "reading the log stopped: %s", err->msg);
        gs_error_clear(err);
    } else if (memcmp(rp.root.b, t.cp.root.b, 32) != 0) {
        cli_replay_fail(&rp,
                        "the entries served do not give the root of the cosigned checkpoint at "
                        "size %llu",
                        (unsigned long long)t.cp.size);
    }
    for (size_t i = 0; i < n_obs; i++)
        if (!obs[i].checked)
            cli_replay_fail(&rp,
                            "the hub observed size %llu but serves a checkpoint of size %llu: "
                            "the log it serves is smaller than one it cosigned",
                            (unsigned long long)obs[i].size, (unsigned long long)t.cp.size);
    if (rp.state != NULL && (rc = cli_report_end_log(report, rp.state, err)) != 0)
        goto out;
    rc = cli_report_add_log(report, &rp, &t, NULL, err);
out:
    cli_replay_clear(&rp);
    cli_trusted_clear(&t);
    free(text);
    return rc;
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
        {"origin", required_argument, NULL, OPT_AUDIT_ORIGIN},
        {"trust", required_argument, NULL, OPT_TRUST},
        {"as-of", required_argument, NULL, OPT_AS_OF},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, OPT_OUT},
        {"response-days", required_argument, NULL, OPT_RESPONSE_DAYS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "audit";
    cli_common cf;
    const char *trust = NULL, *as_of_s = NULL, *out_path = NULL;
    const char **origins = NULL;
    size_t n_origins = 0;
    cli_format fmt = CLI_FORMAT_TEXT;
    uint64_t response_days = 30, threads;
    int64_t as_of = (int64_t)time(NULL);
    gs_error err = {0};
    gs_policy *pol = NULL;
    gs_pool *pool = NULL;
    cli_conn cn = {0};
    cli_leafdb *db = NULL;
    cli_report *report = NULL;
    own_log_ctx own = {0};
    char *own_text = NULL;
    gs_note *own_note = NULL;
    gs_checkpoint own_cp = {0};
    gs_keypair kp = {0};
    FILE *out = NULL;
    char *tmp = NULL;
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
        case OPT_TRUST: trust = optarg; break;
        case OPT_AS_OF: as_of_s = optarg; break;
        case OPT_OUT: out_path = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                fmt = CLI_FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                fmt = CLI_FORMAT_JSON;
            else if (strcmp(optarg, "html") == 0)
                fmt = CLI_FORMAT_HTML;
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
    if (cf.json)
        fmt = CLI_FORMAT_JSON;
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
        (rc = cli_leafdb_open(&db, &err)) != 0 ||
        (rc = cli_report_new(&report, as_of, (int64_t)response_days, &err)) != 0)
        goto fail;

    /* The endpoint's own log first: a hub's holds the Observations that
     * list the logs it follows and the roots it cosigned for them. */
    if ((rc = get_checkpoint_text(&cn, "", &own_text, &err)) != 0)
        goto fail;
    size_t blen = 0;
    const char *body = NULL;
    if (gs_note_parse(own_text, strlen(own_text), &own_note, &err) != 0 ||
        (body = gs_note_text(own_note, &blen)) == NULL ||
        gs_checkpoint_parse(body, blen, &own_cp, &err) != 0 ||
        gs_origin_valid(own_cp.origin, &err) != 0) {
        gs_error_wrap(&err, "the endpoint's own checkpoint");
        rc = err.code = GS_EVERIFY;
        goto fail;
    }
    own.report = report;
    own.hub = strncmp(own_cp.origin, "giamsat/hub/", 12) == 0;
    if (own.hub)
        cli_report_set_hub(report, own_cp.origin);
    if ((rc = audit_log(&cn, pol, report, db, pool, own_cp.origin, NULL, 0, own_log_entry, &own,
                        own_text, &err)) != 0)
        goto fail;
    if (own.n_obs > 0)
        qsort(own.obs, own.n_obs, sizeof *own.obs, cmp_obs);

    /* Then every log observed (or asked for), each with its observations. */
    for (size_t i = 0; i < own.n_obs || i < n_origins;) {
        const char *origin;
        if (n_origins > 0) {
            if (i >= n_origins)
                break;
            origin = origins[i++];
        } else {
            origin = own.obs[i].origin;
            while (i < own.n_obs && strcmp(own.obs[i].origin, origin) == 0)
                i++;
        }
        if (strcmp(origin, own_cp.origin) == 0)
            continue;
        size_t lo = 0, n = 0;
        while (lo < own.n_obs && strcmp(own.obs[lo].origin, origin) != 0)
            lo++;
        while (lo + n < own.n_obs && strcmp(own.obs[lo + n].origin, origin) == 0)
            n++;
        /* The replay wants plain cli_observed, sorted by size. */
        cli_observed *ob = n > 0 ? calloc(n, sizeof *ob) : NULL;
        if (n > 0 && ob == NULL) {
            rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t k = 0; k < n; k++)
            ob[k] = own.obs[lo + k].o;
        rc = audit_log(&cn, pol, report, db, pool, origin, ob, n, cli_report_on_entry, report, NULL,
                       &err);
        free(ob);
        if (rc != 0)
            goto fail;
    }
    if ((rc = cli_report_finish(report, db, &err)) != 0)
        goto fail;

    if (out_path != NULL) {
        size_t tl = strlen(out_path) + 8;
        if ((tmp = malloc(tl)) == NULL) {
            rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(tmp, tl, "%s.tmp", out_path);
        if ((out = fopen(tmp, "w")) == NULL) {
            rc = gs_error_set(&err, GS_EIO, "cannot write %s", tmp);
            goto fail;
        }
    }
    if ((rc = cli_report_write(report, fmt, out ? out : stdout, &err)) != 0)
        goto fail;
    if (out != NULL) {
        int cr = fclose(out);
        out = NULL;
        if (cr != 0 || rename(tmp, out_path) != 0) {
            rc = gs_error_set(&err, GS_EIO, "cannot write %s", out_path);
            goto fail;
        }
    }
    if (cli_report_failed(report)) {
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
    if (out != NULL) {
        fclose(out);
        remove(tmp);
    }
    free(tmp);
    for (size_t i = 0; i < own.n_obs; i++)
        free(own.obs[i].origin);
    free(own.obs);
    gs_checkpoint_clear(&own_cp);
    gs_note_free(&own_note);
    free(own_text);
    cli_report_free(&report);
    cli_leafdb_close(&db);
    gs_pool_free(&pool);
    cli_disconnect(&cn);
    gs_policy_free(&pol);
    free(origins);
    return rc;
}
