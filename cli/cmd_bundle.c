/* cmd_bundle.c — `giamsat export` and `giamsat verify` (DESIGN §5 flow 6):
 * one event, checkable offline by anyone holding a trust file. What a
 * bundle carries and how it is verified: common/bundle.h. export replays
 * the log up to the entry (common/audit.h) to find the signer's standing,
 * fetches the proofs and writes the bundle; verify reads the files, calls
 * gs_bundle_verify and prints what it says. */
#define _POSIX_C_SOURCE 200809L

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inspect.h"
#include "outfile.h"
#include "bundle.h"

enum {
    OPT_INDEX = CLI_OPT_FIRST_OWN,
    OPT_OUT,
    OPT_TRUST,
};

static const char help_export[] =
    "usage: giamsat export --index I --out FILE [--origin O] [connection flags]\n"
    "\n"
    "Writes a bundle that proves one entry to anyone, offline: the signed statement,\n"
    "its inclusion proof, the latest cosigned checkpoint, and the signer's appointment\n"
    "(the Appointment, KeyRotation or Charter that gave the signer standing) with its\n"
    "own inclusion proof. Citizens' feedback carries no appointment. The log is read\n"
    "and replayed up to the entry to find the signer's tenure; every proof is checked\n"
    "before the file is written (exit 1 if anything fails to verify).\n"
    "\n"
    "  --index I             the entry (0-based)\n"
    "  --out FILE            where to write the bundle (replaced if it exists)\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Example:\n"
    "  giamsat export --connect ipc:///srv/giamsat/an-binh/node.sock --index 12 \\\n"
    "      --out commitment-12.bundle\n";

static const char help_verify[] =
    "usage: giamsat verify FILE --trust FILE [--json]\n"
    "\n"
    "Checks a bundle written by `giamsat export`, offline, against a trust file (C2SP\n"
    "tlog-policy: log keys, witnesses, quorum), in this order: the bundle decodes; the\n"
    "checkpoint is signed by the key the trust file lists for the bundle's log and\n"
    "cosigned by a quorum of its witnesses; the statement's signature verifies; the\n"
    "statement is addressed to that log; its inclusion proof leads to the checkpoint's\n"
    "root; the signer's appointment is in the same tree and appoints the signer (or the\n"
    "signer is the log key, or the statement is a citizen's feedback). Then says what\n"
    "the statement says, who signed it in which role, where, and who witnessed it.\n"
    "\n"
    "  --trust FILE          the trust file\n"
    "  --json                print an object (see docs/audit.md, \"verify --json\"):\n"
    "                          verified, failure (when not), origin, index,\n"
    "                          leaf_hash_b64, checkpoint {origin, size, root_b64,\n"
    "                          log_key, quorum, witnesses [{name, time, time_unix}]},\n"
    "                          statement (as `giamsat entries --json`), signer {key,\n"
    "                          role, name, title, appointment_index, appointment_kind},\n"
    "                          summary\n"
    "\n"
    "Exit status: 0 verified, 1 not verified, 2 usage (bad flags, unreadable file).\n"
    "\n"
    "Example:\n"
    "  giamsat verify commitment-12.bundle --trust giamsat.policy\n";

/* ---------------------------------------------------------------- export */

static int get_inclusion(cli_conn *cn, uint64_t index, uint64_t size, const gs_hash *leaf,
                         const gs_hash *root, gs_hash **proof, size_t *n, gs_error *err)
{
    gs_request rq = {0};
    gs_response rs = {0};
    rq.op = GS_OP_GET_INCLUSION_PROOF;
    rq.origin = cn->origin;
    rq.u.get_inclusion_proof.index = index;
    rq.u.get_inclusion_proof.size = size;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_PROOF || rs.u.proof.n > GS_MAX_PROOF || rs.u.proof.index != index ||
        rs.u.proof.size != size) {
        rc = gs_error_set(err, GS_EVERIFY, "the endpoint answered with another proof");
        goto out;
    }
    /* RFC 9162 §2.1.3.2: never write a proof that does not verify. */
    if ((rc = gs_merkle_verify_inclusion(leaf, index, size, rs.u.proof.hashes, rs.u.proof.n, root,
                                         err)) != 0) {
        gs_error_wrap(err, "the endpoint's proof of entry %llu", (unsigned long long)index);
        goto out;
    }
    *proof = rs.u.proof.hashes;
    *n = rs.u.proof.n;
    rs.u.proof.hashes = NULL;
    rs.u.proof.n = 0;
out:
    gs_response_clear(&rs);
    return rc;
}

/* Tracks which entry made the current log key: the Charter, or the last
 * KeyRotation signed by the log key. */
typedef struct {
    gs_pubkey log_key;
    uint64_t since;
} log_key_track;

static int track_log_key(void *ctx, uint64_t index, const gs_statement *st, const gs_hash *leaf,
                         const gs_rules_state *s, gs_error *err)
{
    (void)leaf;
    (void)err;
    log_key_track *t = ctx;
    gs_pubkey k;
    if (gs_rules_log_key(s, &k) == 0 && memcmp(k.b, t->log_key.b, 32) != 0) {
        t->log_key = k;
        t->since = index;
    }
    (void)st;
    return 0;
}

int cli_cmd_export(int argc, char **argv)
{
    static const struct option own[] = {
        {"index", required_argument, NULL, OPT_INDEX},
        {"out", required_argument, NULL, OPT_OUT},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "export";
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0};
    gs_audit_source src;
    gs_audit_leafdb *db = NULL;
    gs_audit_replay rp = {0};
    gs_bundle b = {0};
    gs_buf enc = {0};
    gs_buf *e = NULL, *se = NULL;
    size_t ne = 0, nse = 0;
    gs_statement st = {0};
    gs_keypair kp = {0};
    gs_error err = {0};
    log_key_track lk = {0};
    uint64_t index;
    int rc = cli_parse_flags(cmd, help_export, own, argc, argv, &cf, vals, NULL);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *index_s = vals[OPT_INDEX - CLI_OPT_FIRST_OWN];
    const char *out_path = vals[OPT_OUT - CLI_OPT_FIRST_OWN];
    if (index_s == NULL || out_path == NULL)
        return cli_usage_error(cmd, "--index I and --out FILE are required");
    if (cli_parse_u64(index_s, "--index", &index, &err) != 0)
        return cli_usage_error(cmd, "%s", err.msg);

    if (cf.key_file != NULL && (rc = cli_load_key(cf.key_file, cf.passphrase_file, &kp, &err)))
        goto out;
    rc = cli_connect(&cn, &cf, cf.key_file != NULL ? &kp : NULL, &err);
    gs_keypair_wipe(&kp);
    if (rc != 0 || (rc = cli_find_origin(&cn, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0)
        goto out;
    if (index >= cp.cp.size) {
        rc = gs_error_set(&err, GS_EINVAL,
                          "--index %llu: the latest checkpoint of %s covers entries 0 to %llu",
                          (unsigned long long)index, cn.origin, (unsigned long long)cp.cp.size - 1);
        goto out;
    }
    /* The tenure that let the signer sign entry `index` is in the state the
     * log had just before it. */
    if ((rc = gs_audit_leafdb_open(&db, &err)) != 0)
        goto out;
    cli_audit_source(&cn, &src);
    rp.origin = cn.origin;
    rp.size = index;
    rp.db = db;
    rp.on_entry = track_log_key;
    rp.ctx = &lk;
    if ((rc = gs_audit_replay_run(&src, &rp, &err)) != 0)
        goto out;
    if (rp.n_failures > 0) {
        rc = gs_error_set(&err, GS_EVERIFY, "%s before entry %llu does not verify: %s", cn.origin,
                          (unsigned long long)index, rp.failures[0]);
        goto out;
    }
    if ((rc = cli_fetch_entries(&cn, cn.origin, index, 1, &e, &ne, &err)) != 0)
        goto out;
    if ((rc = gs_wire_open_entry(gs_bytes_of(e[0].p, e[0].n), &st, &err)) != 0) {
        gs_error_wrap(&err, "entry %llu of %s", (unsigned long long)index, cn.origin);
        rc = err.code = GS_EVERIFY;
        goto out;
    }
    bool has_signer = true;
    uint64_t signer_index = 0;
    gs_rules_member m;
    gs_pubkey log_key;
    if (st.kind == GS_BODY_CHARTER) {
        signer_index = index; /* the Charter stands for itself */
    } else if (gs_rules_log_key(rp.state, &log_key) == 0 &&
               memcmp(log_key.b, st.signer.b, 32) == 0) {
        signer_index = lk.since;
    } else if (gs_rules_member_by_key(rp.state, &st.signer, &m) == 0 &&
               (m.ended == GS_TENURE_ACTIVE || st.kind != GS_BODY_FEEDBACK)) {
        signer_index = m.since_index;
    } else if (st.kind == GS_BODY_FEEDBACK) {
        has_signer = false; /* a citizen, or a former member speaking as one */
    } else {
        rc = gs_error_set(&err, GS_EVERIFY,
                          "entry %llu of %s is signed by a key with no tenure in the log",
                          (unsigned long long)index, cn.origin);
        goto out;
    }

    gs_hash leaf;
    gs_merkle_leaf_hash(gs_bytes_of(e[0].p, e[0].n), &leaf);
    if ((b.origin = strdup(cn.origin)) == NULL || (b.checkpoint = strdup(cp.text)) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    /* The rotations of the log key that lead from the key the checkpoint
     * was checked against to the key that signed it, proven in its tree
     * (none when that key signed it): a trust file naming the log's
     * original key verifies the bundle (docs/formats.md "Key chains"). */
    b.log_key_chain = cp.links;
    b.n_log_key_chain = cp.n_links;
    cp.links = NULL;
    cp.n_links = 0;
    b.index = index;
    b.entry = e[0];
    e[0].p = NULL;
    e[0].n = 0;
    if ((rc = get_inclusion(&cn, index, cp.cp.size, &leaf, &cp.cp.root, &b.inclusion_proof,
                            &b.n_inclusion_proof, &err)) != 0)
        goto out;
    if (has_signer) {
        gs_hash sleaf;
        if ((rc = cli_fetch_entries(&cn, cn.origin, signer_index, 1, &se, &nse, &err)) != 0)
            goto out;
        gs_merkle_leaf_hash(gs_bytes_of(se[0].p, se[0].n), &sleaf);
        b.signer_index = signer_index;
        b.signer_entry = se[0];
        se[0].p = NULL;
        se[0].n = 0;
        if ((rc = get_inclusion(&cn, signer_index, cp.cp.size, &sleaf, &cp.cp.root,
                                &b.signer_inclusion_proof, &b.n_signer_inclusion_proof, &err)) != 0)
            goto out;
    }
    if ((rc = gs_wire_encode_bundle(&b, &enc, &err)) != 0)
        goto out;
    /* Written whole and renamed into place: a reader never sees half a
     * bundle. */
    if ((rc = gs_outfile_write(out_path, gs_bytes_of(enc.p, enc.n), true, &err)) != 0)
        goto out;
    if (cf.json) {
        json_t *o = json_object();
        if (o != NULL) {
            json_object_set_new(o, "origin", json_string(cn.origin));
            json_object_set_new(o, "index", json_integer((json_int_t)index));
            json_object_set_new(o, "size", json_integer((json_int_t)cp.cp.size));
            json_object_set_new(o, "signer_index",
                                has_signer ? json_integer((json_int_t)signer_index) : json_null());
            json_object_set_new(o, "out", json_string(out_path));
            json_object_set_new(o, "log_key_rotations",
                                json_integer((json_int_t)b.n_log_key_chain));
        }
        rc = cli_print_json(o, &err);
    } else {
        printf("wrote %s: entry %llu of %s under its checkpoint at size %llu", out_path,
               (unsigned long long)index, cn.origin, (unsigned long long)cp.cp.size);
        if (has_signer)
            printf(", with the signer's appointment (entry %llu)\n",
                   (unsigned long long)signer_index);
        else
            printf(" (citizen's feedback: no appointment)\n");
    }
out:
    gs_buf_free(&enc);
    gs_bundle_clear(&b);
    gs_statement_clear(&st);
    cli_entries_free(e, ne);
    cli_entries_free(se, nse);
    gs_audit_replay_clear(&rp);
    gs_audit_leafdb_close(&db);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

/* ---------------------------------------------------------------- verify */

static void describe_value(const gs_statement *st, char *out, size_t cap)
{
    char a[48], c[48], d[32];
    switch (st->kind) {
    case GS_BODY_CHARTER:
        snprintf(out, cap, "the Charter of %s, a %s unit", st->u.charter.display_name,
                 gs_tier_name(st->u.charter.tier));
        break;
    case GS_BODY_APPOINTMENT:
        snprintf(out, cap, "appoints %s as %s%s%s", st->u.appointment.name,
                 gs_role_name(st->u.appointment.role), st->u.appointment.title[0] ? ", " : "",
                 st->u.appointment.title);
        break;
    case GS_BODY_RESIGNATION: snprintf(out, cap, "resigns: %s", st->u.resignation.reason); break;
    case GS_BODY_DISMISSAL:
        snprintf(out, cap, "dismisses a member: %s", st->u.dismissal.reason);
        break;
    case GS_BODY_KEY_ROTATION: snprintf(out, cap, "moves to a new key"); break;
    case GS_BODY_COMMITMENT:
        gs_fixed_format(st->u.commitment.target, a, sizeof a);
        cli_format_time(st->u.commitment.deadline, d, sizeof d);
        snprintf(out, cap, "commits (%s) to \"%s\": %s %s %s %s by %s", st->u.commitment.id,
                 st->u.commitment.title, st->u.commitment.indicator,
                 gs_direction_name(st->u.commitment.direction), a, st->u.commitment.unit_of_measure,
                 d);
        break;
    case GS_BODY_PROGRESS:
        gs_fixed_format(st->u.progress.value, a, sizeof a);
        snprintf(out, cap, "reports progress on %s: %s%s%s", st->u.progress.commitment_id, a,
                 st->u.progress.note[0] ? " — " : "", st->u.progress.note);
        break;
    case GS_BODY_OUTCOME:
        gs_fixed_format(st->u.outcome.value, c, sizeof c);
        snprintf(out, cap, "reports the outcome of %s: %s", st->u.outcome.commitment_id, c);
        break;
    case GS_BODY_FINDING:
        snprintf(out, cap, "finds (%s severity) about %s entry %llu: %s",
                 gs_severity_name(st->u.finding.severity), st->u.finding.about.origin,
                 (unsigned long long)st->u.finding.about.index, st->u.finding.text);
        break;
    case GS_BODY_FEEDBACK:
        if (st->u.feedback.has_about)
            snprintf(out, cap, "gives feedback about %s entry %llu: %s",
                     st->u.feedback.about.origin, (unsigned long long)st->u.feedback.about.index,
                     st->u.feedback.text);
        else
            snprintf(out, cap, "gives feedback: %s", st->u.feedback.text);
        break;
    case GS_BODY_RESPONSE:
        snprintf(out, cap, "responds to entry %llu: %s",
                 (unsigned long long)st->u.response.to.index, st->u.response.text);
        break;
    case GS_BODY_PARAMETER_CHANGE: {
        /* Each value it names (0 names none), e.g. "feedback_per_day 20". */
        const gs_rule_parameters *p = &st->u.parameter_change.parameters;
        char named[3][48];
        size_t n = 0;
        if (p->feedback_per_day != 0)
            snprintf(named[n++], sizeof named[0], "feedback_per_day to %u", p->feedback_per_day);
        if (p->open_feedback_per_day != 0)
            snprintf(named[n++], sizeof named[0], "open_feedback_per_day to %u",
                     p->open_feedback_per_day);
        if (p->partial_percent != 0)
            snprintf(named[n++], sizeof named[0], "partial_percent to %u", p->partial_percent);
        snprintf(out, cap, "sets the rule parameter%s %s%s%s%s%s from the next entry on",
                 n > 1 ? "s" : "", n > 0 ? named[0] : "", n > 1 ? (n > 2 ? ", " : " and ") : "",
                 n > 1 ? named[1] : "", n > 2 ? " and " : "", n > 2 ? named[2] : "");
        break;
    }
    case GS_BODY_REVISION:
        if (st->u.revision.has_target)
            gs_fixed_format(st->u.revision.target, a, sizeof a);
        if (st->u.revision.deadline != 0)
            cli_format_time(st->u.revision.deadline, d, sizeof d);
        snprintf(out, cap, "revises %s:%s%s%s%s — %s", st->u.revision.commitment_id,
                 st->u.revision.has_target ? " target " : "", st->u.revision.has_target ? a : "",
                 st->u.revision.deadline != 0 ? " deadline " : "",
                 st->u.revision.deadline != 0 ? d : "", st->u.revision.reason);
        break;
    default: snprintf(out, cap, "a %s statement", gs_body_name(st->kind)); break;
    }
}

static void describe_signer(const gs_bundle_result *v, char *out, size_t cap)
{
    char k[45];
    cli_b64_32(v->statement.signer.b, k);
    switch (v->signer) {
    case GS_BUNDLE_SIGNER_CITIZEN:
        snprintf(out, cap, "a citizen (key %s; no appointment needed for feedback)", k);
        break;
    case GS_BUNDLE_SIGNER_LOG_KEY:
        snprintf(out, cap, "the log key of %s (key %s)", v->unit ? v->unit : "the unit", k);
        break;
    case GS_BUNDLE_SIGNER_ROTATED_KEY:
        snprintf(out, cap, "a member continuing on a rotated key (key %s)", k);
        break;
    default:
        snprintf(out, cap, "%s, %s%s%s (key %s)", v->name ? v->name : "?", gs_role_name(v->role),
                 v->title ? ", " : "", v->title ? v->title : "", k);
    }
}

static const char *signer_role(const gs_bundle_result *v)
{
    switch (v->signer) {
    case GS_BUNDLE_SIGNER_CITIZEN: return "citizen";
    case GS_BUNDLE_SIGNER_LOG_KEY: return "log-key";
    case GS_BUNDLE_SIGNER_ROTATED_KEY: return "rotated-key";
    default: return gs_role_name(v->role);
    }
}

int cli_cmd_verify(int argc, char **argv)
{
    static const struct option own[] = {
        {"trust", required_argument, NULL, OPT_TRUST},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "verify";
    cli_common cf;
    const char *vals[16] = {0};
    const char *path = NULL;
    char *buf = NULL;
    size_t len = 0;
    gs_policy *pol = NULL;
    gs_bundle_result v = {0};
    gs_error err = {0};
    json_t *o = NULL;
    int rc = cli_parse_flags(cmd, help_verify, own, argc, argv, &cf, vals, &path);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *trust = vals[OPT_TRUST - CLI_OPT_FIRST_OWN];
    if (path == NULL || trust == NULL)
        return cli_usage_error(cmd, "give the bundle FILE and --trust FILE");
    if ((rc = cli_trust_load(trust, &pol, &err)) != 0 ||
        (rc = cli_read_file(path, GS_BUNDLE_MAX, &buf, &len, &err)) != 0) {
        cli_fail(&err);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    rc = gs_bundle_verify(pol, gs_bytes_of((const uint8_t *)buf, len), &v, &err);

    const gs_bundle *b = &v.bundle;
    const gs_audit_trusted *t = &v.checkpoint;
    const gs_statement *st = &v.statement;
    char what[1024], who[512], ts[32];
    what[0] = who[0] = '\0';
    if (rc == 0) {
        describe_value(st, what, sizeof what);
        describe_signer(&v, who, sizeof who);
        cli_format_time(st->issued_at, ts, sizeof ts);
    }
    if (cf.json) {
        o = json_object();
        if (o == NULL) {
            rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
            goto done_fail;
        }
        json_object_set_new(o, "verified", json_boolean(rc == 0));
        if (rc != 0)
            json_object_set_new(o, "failure", json_string(err.msg));
        if (b->origin != NULL) {
            json_object_set_new(o, "origin", json_string(b->origin));
            json_object_set_new(o, "index", json_integer((json_int_t)b->index));
        }
        if (rc == 0) {
            char vk[GS_VKEY_STR_MAX];
            bool citizen = v.signer == GS_BUNDLE_SIGNER_CITIZEN;
            json_t *c = json_object(), *w = json_array(), *sj = json_object();
            json_object_set_new(o, "leaf_hash_b64", cli_json_b64(v.leaf.b, 32));
            json_object_set_new(c, "origin", json_string(t->cp.origin));
            json_object_set_new(c, "size", json_integer((json_int_t)t->cp.size));
            json_object_set_new(c, "root_b64", cli_json_b64(t->cp.root.b, 32));
            if (gs_vkey_format(&t->log_key, vk, sizeof vk, NULL) == 0)
                json_object_set_new(c, "log_key", json_string(vk));
            json_object_set_new(c, "quorum", json_string(t->quorum));
            for (size_t i = 0; i < t->n_witnesses; i++) {
                json_t *x = json_object();
                cli_format_time(t->witness_time[i], ts, sizeof ts);
                json_object_set_new(x, "name", json_string(t->witness[i]));
                json_object_set_new(x, "time", json_string(ts));
                json_object_set_new(x, "time_unix", json_integer(t->witness_time[i]));
                json_array_append_new(w, x);
            }
            json_object_set_new(c, "witnesses", w);
            json_object_set_new(o, "checkpoint", c);
            json_object_set_new(o, "statement", cli_entry_json(b->index, st, &v.leaf));
            json_object_set_new(sj, "key", cli_json_b64(st->signer.b, 32));
            json_object_set_new(sj, "role", json_string(signer_role(&v)));
            json_object_set_new(sj, "name", v.name ? json_string(v.name) : json_null());
            json_object_set_new(sj, "title", v.title ? json_string(v.title) : json_null());
            json_object_set_new(sj, "appointment_index",
                                citizen ? json_null() : json_integer((json_int_t)b->signer_index));
            json_object_set_new(sj, "appointment_kind",
                                citizen ? json_null()
                                        : json_string(gs_body_name(v.appointment_kind)));
            json_object_set_new(o, "signer", sj);
            char sum[2048];
            cli_format_time(st->issued_at, ts, sizeof ts);
            snprintf(sum, sizeof sum, "%s %s (%s), entry %llu of %s", who, what, ts,
                     (unsigned long long)b->index, b->origin);
            json_object_set_new(o, "summary", json_string(sum));
        }
        gs_error jerr = {0};
        if (cli_print_json(o, &jerr) != 0 && rc == 0) {
            err = jerr;
            rc = jerr.code;
        }
        o = NULL;
        if (rc != 0 && rc != GS_EVERIFY)
            goto done_fail;
        rc = rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
        goto done;
    }
    if (rc != 0) {
        cli_errorf("NOT VERIFIED: %s", err.msg);
        rc = cli_exit_for(rc);
        goto done;
    }
    printf("VERIFIED\n");
    printf("  what:    %s\n", what);
    printf("  who:     %s\n", who);
    printf("  when:    %s (as the signer stated; seq %llu)\n", ts, (unsigned long long)st->seq);
    printf("  where:   entry %llu of %s\n", (unsigned long long)b->index, b->origin);
    if (v.signer != GS_BUNDLE_SIGNER_CITIZEN)
        printf("  standing: %s at entry %llu of the same log\n", gs_body_name(v.appointment_kind),
               (unsigned long long)b->signer_index);
    char root[45];
    cli_b64_32(t->cp.root.b, root);
    printf("  under:   checkpoint of size %llu, root %s, signed by the log key %s\n",
           (unsigned long long)t->cp.size, root, t->log_key.name);
    if (t->n_witnesses == 0)
        printf("  witnessed by: nobody (the trust file's quorum is \"%s\")\n", t->quorum);
    for (size_t i = 0; i < t->n_witnesses; i++) {
        cli_format_time(t->witness_time[i], ts, sizeof ts);
        printf("  witnessed by: %s at %s\n", t->witness[i], ts);
    }
    rc = CLI_EXIT_OK;
    goto done;
done_fail:
    rc = cli_fail(&err);
done:
    json_decref(o);
    gs_bundle_result_clear(&v);
    gs_policy_free(&pol);
    free(buf);
    return rc;
}
