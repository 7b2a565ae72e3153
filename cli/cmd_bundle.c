/* cmd_bundle.c — `giamsat export` and `giamsat verify` (DESIGN §5 flow 6):
 * one event, checkable offline by anyone holding a trust file.
 *
 * A bundle (proto Bundle, wire.h gs_bundle) carries a signed statement, its
 * inclusion proof, the cosigned checkpoint the proof leads to, and the
 * signer's appointment — the entry that gave the signer the standing to sign
 * it — with its own inclusion proof in the same checkpoint:
 *   - a member's Appointment (or the KeyRotation that moved their tenure to
 *     the key that signed);
 *   - for the log key, the Charter (entry 0) or the KeyRotation that made it
 *     the log key;
 *   - nothing for a citizen's Feedback: citizens need no appointment.
 *
 * What verify cannot see offline: whether the member was still in office at
 * the statement's index (a Resignation in between). The log's node refused
 * such a statement when it was submitted, and every hub whose cosignature
 * the trust file's quorum requires has replayed the log through the same
 * rule book before cosigning (DESIGN §2 principle 5). */
#define _POSIX_C_SOURCE 200809L

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"

enum {
    OPT_INDEX = CLI_OPT_FIRST_OWN,
    OPT_OUT,
    OPT_TRUST,
};

#define BUNDLE_MAX (4 * 1024 * 1024)

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
    cli_leafdb *db = NULL;
    cli_replay rp = {0};
    gs_bundle b = {0};
    gs_buf enc = {0};
    gs_buf *e = NULL, *se = NULL;
    size_t ne = 0, nse = 0;
    gs_statement st = {0};
    gs_keypair kp = {0};
    gs_error err = {0};
    log_key_track lk = {0};
    uint64_t index;
    FILE *f = NULL;
    char *tmp = NULL;
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
    if ((rc = cli_leafdb_open(&db, &err)) != 0)
        goto out;
    rp.origin = cn.origin;
    rp.size = index;
    rp.db = db;
    rp.on_entry = track_log_key;
    rp.ctx = &lk;
    if ((rc = cli_replay_run(&cn, &rp, &err)) != 0)
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
    /* Written next to the target and renamed, so a reader never sees half a
     * bundle. */
    size_t tl = strlen(out_path) + 8;
    if ((tmp = malloc(tl)) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, tl, "%s.tmp", out_path);
    if ((f = fopen(tmp, "wb")) == NULL || fwrite(enc.p, 1, enc.n, f) != enc.n || fflush(f) != 0) {
        rc = gs_error_set(&err, GS_EIO, "cannot write %s", tmp);
        goto out;
    }
    if (fclose(f) != 0) {
        f = NULL;
        rc = gs_error_set(&err, GS_EIO, "cannot write %s", tmp);
        goto out;
    }
    f = NULL;
    if (rename(tmp, out_path) != 0) {
        rc = gs_error_set(&err, GS_EIO, "cannot rename %s to %s", tmp, out_path);
        goto out;
    }
    if (cf.json) {
        json_t *o = json_object();
        if (o != NULL) {
            json_object_set_new(o, "origin", json_string(cn.origin));
            json_object_set_new(o, "index", json_integer((json_int_t)index));
            json_object_set_new(o, "size", json_integer((json_int_t)cp.cp.size));
            json_object_set_new(o, "signer_index",
                                has_signer ? json_integer((json_int_t)signer_index) : json_null());
            json_object_set_new(o, "out", json_string(out_path));
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
    if (f != NULL)
        fclose(f);
    if (rc != 0 && tmp != NULL)
        remove(tmp);
    free(tmp);
    gs_buf_free(&enc);
    gs_bundle_clear(&b);
    gs_statement_clear(&st);
    cli_entries_free(e, ne);
    cli_entries_free(se, nse);
    cli_replay_clear(&rp);
    cli_leafdb_close(&db);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

/* ---------------------------------------------------------------- verify */

typedef struct {
    bool citizen; /* feedback without an appointment */
    bool log_key; /* the log's own key */
    gs_role role; /* for members */
    char *name;   /* owned; NULL when the bundle does not say */
    char *title;  /* owned; NULL when none */
    char *unit;   /* the Charter's display name, for the log key */
    gs_body_kind appointment_kind;
} signer_info;

static void signer_info_clear(signer_info *s)
{
    free(s->name);
    free(s->title);
    free(s->unit);
    memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

/* The checks that need no network, in the order the help text gives. */
static int verify_bundle(const gs_policy *pol, const uint8_t *buf, size_t len, gs_bundle *b,
                         cli_trusted *t, gs_statement *st, gs_hash *leaf, signer_info *si,
                         gs_error *err)
{
    gs_statement sst = {0};
    int rc;
    if ((rc = gs_wire_decode_bundle(gs_bytes_of(buf, len), b, err)) != 0) {
        gs_error_wrap(err, "this is not a giamsat bundle");
        return err->code = GS_EVERIFY;
    }
    if (gs_origin_valid(b->origin, err) != 0) {
        gs_error_wrap(err, "the bundle names its log");
        return err->code = GS_EVERIFY;
    }
    if ((rc = cli_trust_checkpoint(pol, b->origin, b->checkpoint, strlen(b->checkpoint), t, err)))
        return rc;
    if (b->index >= t->cp.size)
        return gs_error_set(err, GS_EVERIFY,
                            "entry %llu is beyond the checkpoint, which covers %llu entries",
                            (unsigned long long)b->index, (unsigned long long)t->cp.size);
    rc = gs_wire_open_entry(gs_bytes_of(b->entry.p, b->entry.n), st, err);
    if (rc == GS_EVERIFY)
        return gs_error_set(err, GS_EVERIFY,
                            "the entry was altered: its signature does not verify");
    if (rc != 0) {
        gs_error_wrap(err, "the entry is not a well-formed signed statement");
        return err->code = GS_EVERIFY;
    }
    if (strcmp(st->origin, b->origin) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the statement is addressed to %s, not to the bundle's log %s",
                            st->origin, b->origin);
    gs_merkle_leaf_hash(gs_bytes_of(b->entry.p, b->entry.n), leaf);
    if (gs_merkle_verify_inclusion(leaf, b->index, t->cp.size, b->inclusion_proof,
                                   b->n_inclusion_proof, &t->cp.root, NULL) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the inclusion proof does not lead to the checkpoint's root: entry "
                            "%llu is not proven in %s at size %llu",
                            (unsigned long long)b->index, b->origin,
                            (unsigned long long)t->cp.size);

    /* The signer's standing. */
    if (b->signer_entry.n == 0) {
        if (st->kind != GS_BODY_FEEDBACK)
            return gs_error_set(err, GS_EVERIFY,
                                "the bundle carries no appointment for the signer, and only a "
                                "citizen's feedback needs none (this is a %s)",
                                gs_body_name(st->kind));
        si->citizen = true;
        return 0;
    }
    if (b->signer_index > b->index)
        return gs_error_set(err, GS_EVERIFY,
                            "the signer's appointment (entry %llu) comes after the statement "
                            "(entry %llu)",
                            (unsigned long long)b->signer_index, (unsigned long long)b->index);
    rc = gs_wire_open_entry(gs_bytes_of(b->signer_entry.p, b->signer_entry.n), &sst, err);
    if (rc == GS_EVERIFY) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the signer's appointment was altered: its signature does not verify");
        goto out;
    }
    if (rc != 0) {
        gs_error_wrap(err, "the signer's appointment is not a well-formed signed statement");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if (strcmp(sst.origin, b->origin) != 0) {
        rc = gs_error_set(err, GS_EVERIFY, "the signer's appointment belongs to %s, not to %s",
                          sst.origin, b->origin);
        goto out;
    }
    gs_hash sleaf;
    gs_merkle_leaf_hash(gs_bytes_of(b->signer_entry.p, b->signer_entry.n), &sleaf);
    if (gs_merkle_verify_inclusion(&sleaf, b->signer_index, t->cp.size, b->signer_inclusion_proof,
                                   b->n_signer_inclusion_proof, &t->cp.root, NULL) != 0) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the signer's appointment is not in the checkpoint's tree: its "
                          "inclusion proof does not lead to the root (entry %llu)",
                          (unsigned long long)b->signer_index);
        goto out;
    }
    si->appointment_kind = sst.kind;
    rc = 0;
    switch (sst.kind) {
    case GS_BODY_CHARTER:
        if (b->signer_index != 0 || memcmp(sst.signer.b, st->signer.b, 32) != 0)
            goto not_signer;
        si->log_key = true;
        si->unit = dup_or_null(sst.u.charter.display_name);
        break;
    case GS_BODY_APPOINTMENT:
        if (memcmp(sst.u.appointment.person.b, st->signer.b, 32) != 0)
            goto not_signer;
        si->role = sst.u.appointment.role;
        si->name = dup_or_null(sst.u.appointment.name);
        si->title = dup_or_null(sst.u.appointment.title);
        break;
    case GS_BODY_KEY_ROTATION:
        if (memcmp(sst.u.key_rotation.new_key.b, st->signer.b, 32) != 0)
            goto not_signer;
        break;
    default:
        rc = gs_error_set(err, GS_EVERIFY,
                          "the signer's appointment (entry %llu) is a %s, which appoints nobody",
                          (unsigned long long)b->signer_index, gs_body_name(sst.kind));
        goto out;
    }
    goto out;
not_signer:
    rc = gs_error_set(err, GS_EVERIFY,
                      "the signer's appointment (entry %llu, a %s) does not appoint the key that "
                      "signed the statement",
                      (unsigned long long)b->signer_index, gs_body_name(sst.kind));
out:
    gs_statement_clear(&sst);
    return rc;
}

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
    case GS_BODY_PARAMETER_CHANGE:
        snprintf(out, cap, "sets the rule parameter feedback_per_day to %u from the next entry on",
                 st->u.parameter_change.parameters.feedback_per_day);
        break;
    default: snprintf(out, cap, "a %s statement", gs_body_name(st->kind)); break;
    }
}

static void describe_signer(const signer_info *si, const gs_statement *st, char *out, size_t cap)
{
    char k[45];
    cli_b64_32(st->signer.b, k);
    if (si->citizen)
        snprintf(out, cap, "a citizen (key %s; no appointment needed for feedback)", k);
    else if (si->log_key)
        snprintf(out, cap, "the log key of %s (key %s)", si->unit ? si->unit : "the unit", k);
    else if (si->appointment_kind == GS_BODY_KEY_ROTATION)
        snprintf(out, cap, "a member continuing on a rotated key (key %s)", k);
    else
        snprintf(out, cap, "%s, %s%s%s (key %s)", si->name ? si->name : "?", gs_role_name(si->role),
                 si->title ? ", " : "", si->title ? si->title : "", k);
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
    gs_bundle b = {0};
    cli_trusted t = {0};
    gs_statement st = {0};
    signer_info si = {0};
    gs_hash leaf = {{0}};
    gs_error err = {0};
    json_t *o = NULL;
    int rc = cli_parse_flags(cmd, help_verify, own, argc, argv, &cf, vals, &path);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *trust = vals[OPT_TRUST - CLI_OPT_FIRST_OWN];
    if (path == NULL || trust == NULL)
        return cli_usage_error(cmd, "give the bundle FILE and --trust FILE");
    if ((rc = cli_trust_load(trust, &pol, &err)) != 0 ||
        (rc = cli_read_file(path, BUNDLE_MAX, &buf, &len, &err)) != 0) {
        cli_fail(&err);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    rc = verify_bundle(pol, (const uint8_t *)buf, len, &b, &t, &st, &leaf, &si, &err);
    if (rc != 0 && rc != GS_EVERIFY && rc != GS_ENOMEM)
        rc = err.code = GS_EVERIFY;

    char what[1024], who[512], where[256], ts[32];
    what[0] = who[0] = where[0] = '\0';
    if (rc == 0) {
        describe_value(&st, what, sizeof what);
        describe_signer(&si, &st, who, sizeof who);
        cli_format_time(st.issued_at, ts, sizeof ts);
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
        if (b.origin != NULL) {
            json_object_set_new(o, "origin", json_string(b.origin));
            json_object_set_new(o, "index", json_integer((json_int_t)b.index));
        }
        if (rc == 0) {
            char vk[GS_VKEY_STR_MAX];
            json_t *c = json_object(), *w = json_array(), *sj = json_object();
            json_object_set_new(o, "leaf_hash_b64", cli_json_b64(leaf.b, 32));
            json_object_set_new(c, "origin", json_string(t.cp.origin));
            json_object_set_new(c, "size", json_integer((json_int_t)t.cp.size));
            json_object_set_new(c, "root_b64", cli_json_b64(t.cp.root.b, 32));
            if (gs_vkey_format(&t.log_key, vk, sizeof vk, NULL) == 0)
                json_object_set_new(c, "log_key", json_string(vk));
            json_object_set_new(c, "quorum", json_string(t.quorum));
            for (size_t i = 0; i < t.n_witnesses; i++) {
                json_t *x = json_object();
                cli_format_time(t.witness_time[i], ts, sizeof ts);
                json_object_set_new(x, "name", json_string(t.witness[i]));
                json_object_set_new(x, "time", json_string(ts));
                json_object_set_new(x, "time_unix", json_integer(t.witness_time[i]));
                json_array_append_new(w, x);
            }
            json_object_set_new(c, "witnesses", w);
            json_object_set_new(o, "checkpoint", c);
            json_object_set_new(o, "statement", cli_entry_json(b.index, &st, &leaf));
            json_object_set_new(sj, "key", cli_json_b64(st.signer.b, 32));
            json_object_set_new(sj, "role",
                                json_string(si.citizen   ? "citizen"
                                            : si.log_key ? "log-key"
                                            : si.appointment_kind == GS_BODY_KEY_ROTATION
                                                ? "rotated-key"
                                                : gs_role_name(si.role)));
            json_object_set_new(sj, "name", si.name ? json_string(si.name) : json_null());
            json_object_set_new(sj, "title", si.title ? json_string(si.title) : json_null());
            json_object_set_new(sj, "appointment_index",
                                si.citizen ? json_null()
                                           : json_integer((json_int_t)b.signer_index));
            json_object_set_new(sj, "appointment_kind",
                                si.citizen ? json_null()
                                           : json_string(gs_body_name(si.appointment_kind)));
            json_object_set_new(o, "signer", sj);
            char sum[2048];
            cli_format_time(st.issued_at, ts, sizeof ts);
            snprintf(sum, sizeof sum, "%s %s (%s), entry %llu of %s", who, what, ts,
                     (unsigned long long)b.index, b.origin);
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
    printf("  when:    %s (as the signer stated; seq %llu)\n", ts, (unsigned long long)st.seq);
    printf("  where:   entry %llu of %s\n", (unsigned long long)b.index, b.origin);
    if (!si.citizen)
        printf("  standing: %s at entry %llu of the same log\n", gs_body_name(si.appointment_kind),
               (unsigned long long)b.signer_index);
    char root[45];
    cli_b64_32(t.cp.root.b, root);
    printf("  under:   checkpoint of size %llu, root %s, signed by the log key %s\n",
           (unsigned long long)t.cp.size, root, t.log_key.name);
    if (t.n_witnesses == 0)
        printf("  witnessed by: nobody (the trust file's quorum is \"%s\")\n", t.quorum);
    for (size_t i = 0; i < t.n_witnesses; i++) {
        cli_format_time(t.witness_time[i], ts, sizeof ts);
        printf("  witnessed by: %s at %s\n", t.witness[i], ts);
    }
    rc = CLI_EXIT_OK;
    goto done;
done_fail:
    rc = cli_fail(&err);
done:
    json_decref(o);
    signer_info_clear(&si);
    gs_statement_clear(&st);
    cli_trusted_clear(&t);
    gs_bundle_clear(&b);
    gs_policy_free(&pol);
    free(buf);
    return rc;
}
