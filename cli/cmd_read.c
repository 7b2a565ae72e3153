/* cmd_read.c — reading and checking a log: checkpoint, proof inclusion,
 * proof consistency, entries, roster (DESIGN §7).
 *
 * Nothing served is believed unchecked: the checkpoint is verified against
 * the log key before anything is printed, proofs are verified against the
 * signed root (RFC 9162 §2.1.3.2, §2.1.4.2), every entry's signature is
 * checked as it is decoded, and the roster is built only from entries whose
 * Merkle root matches the signed checkpoint. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ingest.h"
#include "rules.h"

enum {
    OPT_INDEX = CLI_OPT_FIRST_OWN,
    OPT_SIZE,
    OPT_OLD,
    OPT_NEW,
    OPT_OLD_CHECKPOINT,
    OPT_START,
    OPT_COUNT,
};

static const char help_checkpoint[] =
    "usage: giamsat checkpoint [--origin O] [connection flags]\n"
    "\n"
    "Prints the latest cosigned checkpoint of a log, byte for byte as the log and its\n"
    "witnesses signed it (a C2SP signed note). The log's signature is verified first;\n"
    "a checkpoint that does not verify is not printed (exit 1). Save it to check later\n"
    "proofs against: giamsat checkpoint > cp-100.txt\n"
    "\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "  --passphrase-file F   the passphrase of --key\n"
    "\n"
    "Example:\n"
    "  giamsat checkpoint --connect ipc:///srv/giamsat/an-binh/node.sock\n";

static const char help_proof[] =
    "usage: giamsat proof inclusion --index I [--size N] [--origin O] --json\n"
    "       giamsat proof consistency --old M [--new N] [--origin O] --json\n"
    "                                 [--old-checkpoint FILE]\n"
    "Run `giamsat proof inclusion --help` or `giamsat proof consistency --help`.\n";

static const char help_inclusion[] =
    "usage: giamsat proof inclusion --index I [--size N] [--origin O] --json\n"
    "\n"
    "Fetches the RFC 6962 inclusion proof of entry I in the tree of size N, with the\n"
    "entry itself. When N is the size of the latest checkpoint (the default), the\n"
    "checkpoint's signature and the proof against its root are verified (exit 1 on\n"
    "failure). For another N the proof is printed unverified, with a note on stderr.\n"
    "\n"
    "  --index I             the entry (0-based)\n"
    "  --size N              the tree size; default the latest checkpoint's\n"
    "  --json                print {\"origin\",\"index\",\"size\",\"leaf_b64\",\"leaf_hash_b64\",\n"
    "                        \"proof\":[b64...]}; leaf_b64 is the entry bytes\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Example:\n"
    "  giamsat proof inclusion --index 7 --json\n";

static const char help_consistency[] =
    "usage: giamsat proof consistency --old M [--new N] [--origin O] --json\n"
    "                                 [--old-checkpoint FILE]\n"
    "\n"
    "Fetches the RFC 6962 consistency proof between tree sizes M and N: the tree of\n"
    "size N extends the tree of size M without changing it.\n"
    "\n"
    "  --old M               the older size (at least 1)\n"
    "  --new N               the newer size; default the latest checkpoint's\n"
    "  --old-checkpoint FILE a checkpoint saved at size M (`giamsat checkpoint > FILE`);\n"
    "                        when N is the latest size, the proof is verified between\n"
    "                        the two signed roots (exit 1 on failure)\n"
    "  --json                print {\"origin\",\"old_size\",\"new_size\",\"proof\":[b64...]}\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Example:\n"
    "  giamsat proof consistency --old 100 --old-checkpoint cp-100.txt --json\n";

static const char help_entries[] =
    "usage: giamsat entries [--start S] [--count C] [--origin O] [--json]\n"
    "\n"
    "Lists entries, each decoded and its signature checked (exit 1 if one fails).\n"
    "Signers are shown by name when an Appointment in the listing names them, as\n"
    "\"node\" for the log key, else by their key's fingerprint (its first 8 bytes in\n"
    "hex; --json gives the full key).\n"
    "\n"
    "  --start S             the first entry (default 0)\n"
    "  --count C             how many (default: up to the latest checkpoint)\n"
    "  --json                print an array of objects with the fields\n"
    "                          index, kind, origin, signer (base64 key), signer_name\n"
    "                          (when known), seq, issued_at (RFC 3339 UTC),\n"
    "                          issued_at_unix, leaf_hash_b64, body\n"
    "                        body holds the statement's fields: keys as base64,\n"
    "                        measures as exact decimal strings (\"12.5\"), times as\n"
    "                        RFC 3339 plus *_unix, references as\n"
    "                        \"ORIGIN:INDEX:LEAFHASH\", evidence as evidence_sha256_b64:\n"
    "                          charter: unit, tier, display_name, parent_origin, parent_key,\n"
    "                            feedback_per_day, open_feedback_per_day, partial_percent\n"
    "                            (each when the charter names it), time_zone (when\n"
    "                            named; Asia/Ho_Chi_Minh otherwise)\n"
    "                          parameter-change: feedback_per_day, open_feedback_per_day,\n"
    "                            partial_percent (each when it names it)\n"
    "                          appointment: person, name, role, title, decision\n"
    "                          resignation: reason          dismissal: person, reason\n"
    "                          key_rotation: new_key\n"
    "                          commitment: id, title, indicator, unit_of_measure, target,\n"
    "                            direction, deadline, deadline_unix, parent\n"
    "                          progress: commitment_id, value, note, evidence_sha256_b64\n"
    "                          outcome: commitment_id, value, evidence_sha256_b64\n"
    "                          revision: commitment_id, target (when revised), deadline,\n"
    "                            deadline_unix (when revised), reason\n"
    "                          finding: about, severity, verdict (confirms or contests,\n"
    "                            when given), text, evidence_sha256_b64\n"
    "                          feedback: about, rating (1 to 5, when given), text\n"
    "                          response: to, text\n"
    "                          observation: origin, size, root_b64, time, time_unix\n"
    "                          evidence: kind, origin, reason, detected_at\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Example:\n"
    "  giamsat entries --start 10 --count 5\n";

static const char help_roster[] =
    "usage: giamsat roster [--origin O] [--json]\n"
    "\n"
    "Who held which role, with which key, from when to when. Fetches every entry up to\n"
    "the latest checkpoint, checks them against its signed root and replays them\n"
    "through the rule book with the rule parameters the log declares (exit 1 if\n"
    "anything fails to verify or is refused). The text form also names the rule\n"
    "parameters in force.\n"
    "\n"
    "  --json                print an array of tenures with the fields\n"
    "                          name, role, title, decision, key (base64),\n"
    "                          since_index, since_time (RFC 3339), status (active,\n"
    "                          resigned, dismissed, rotated), until_index, until_time\n"
    "                          (when ended), successor (when rotated), predecessor\n"
    "                          (when it began by a rotation), appointed_by, ended_by,\n"
    "                          fingerprint (the key's short form, as entries show it)\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Example:\n"
    "  giamsat roster --origin giamsat/commune/xa-an-binh --json\n";

/* --------------------------------------------------------- shared parts */

/* Parses a read command's flags: the shared ones plus opts_own (NULL
 * terminated), whose values land in own[code - CLI_OPT_FIRST_OWN]. */
static int parse_read(const char *cmd, const char *help, const struct option *own, int argc,
                      char **argv, cli_common *cf, const char **vals)
{
    return cli_parse_flags(cmd, help, own, argc, argv, cf, vals, NULL);
}

/* Connects, with --key (if given) as the CURVE identity. */
static int connect_reader(cli_conn *cn, const cli_common *cf, gs_error *err)
{
    gs_keypair kp = {0};
    int rc;
    if (cf->key_file != NULL && (rc = cli_load_key(cf->key_file, cf->passphrase_file, &kp, err)))
        return rc;
    rc = cli_connect(cn, cf, cf->key_file != NULL ? &kp : NULL, err);
    gs_keypair_wipe(&kp);
    return rc;
}

static json_t *proof_json(const gs_hash *h, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, cli_json_b64(h[i].b, 32));
    return a;
}

static void print_proof_text(const gs_hash *h, size_t n)
{
    char b[45];
    for (size_t i = 0; i < n; i++) {
        cli_b64_32(h[i].b, b);
        printf("  %s\n", b);
    }
}

static int get_proof(cli_conn *cn, gs_request *rq, gs_response *rs, uint64_t a, uint64_t b,
                     gs_error *err)
{
    int rc = cli_call(cn, rq, rs, err);
    if (rc != 0)
        return rc;
    if (rs->result != GS_RESULT_PROOF || rs->u.proof.n > GS_MAX_PROOF ||
        (rq->op == GS_OP_GET_INCLUSION_PROOF &&
         (rs->u.proof.index != a || rs->u.proof.size != b))) {
        gs_response_clear(rs);
        return gs_error_set(err, GS_EVERIFY, "the endpoint answered with another proof");
    }
    return 0;
}

/* ----------------------------------------------------------- checkpoint */

int cli_cmd_checkpoint(int argc, char **argv)
{
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0};
    gs_error err = {0};
    int rc = parse_read("checkpoint", help_checkpoint, NULL, argc, argv, &cf, vals);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = connect_reader(&cn, &cf, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0)
        goto out;
    if (fwrite(cp.text, 1, cp.len, stdout) != cp.len || fflush(stdout) != 0)
        rc = gs_error_set(&err, GS_EIO, "cannot write to standard output");
out:
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

/* ---------------------------------------------------------------- proof */

static int proof_inclusion(int argc, char **argv)
{
    static const struct option own[] = {
        {"index", required_argument, NULL, OPT_INDEX},
        {"size", required_argument, NULL, OPT_SIZE},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "proof inclusion";
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0};
    gs_buf *e = NULL;
    size_t ne = 0;
    gs_response rs = {0};
    gs_error err = {0};
    uint64_t index, size;
    gs_hash leaf;
    int rc = parse_read(cmd, help_inclusion, own, argc, argv, &cf, vals);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (vals[OPT_INDEX - CLI_OPT_FIRST_OWN] == NULL)
        return cli_usage_error(cmd, "--index I is required");
    if (cli_parse_u64(vals[OPT_INDEX - CLI_OPT_FIRST_OWN], "--index", &index, &err) != 0 ||
        (vals[OPT_SIZE - CLI_OPT_FIRST_OWN] != NULL &&
         cli_parse_u64(vals[OPT_SIZE - CLI_OPT_FIRST_OWN], "--size", &size, &err) != 0))
        return cli_usage_error(cmd, "%s", err.msg);
    if ((rc = connect_reader(&cn, &cf, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0)
        goto out;
    if (vals[OPT_SIZE - CLI_OPT_FIRST_OWN] == NULL)
        size = cp.cp.size;
    if (size > cp.cp.size || index >= size) {
        rc = gs_error_set(&err, GS_EINVAL,
                          "--index %llu --size %llu: need index < size <= %llu, the size of the "
                          "latest checkpoint of %s",
                          (unsigned long long)index, (unsigned long long)size,
                          (unsigned long long)cp.cp.size, cn.origin);
        goto out;
    }
    if ((rc = cli_fetch_entries(&cn, cn.origin, index, 1, &e, &ne, &err)) != 0)
        goto out;
    gs_merkle_leaf_hash(gs_bytes_of(e[0].p, e[0].n), &leaf);
    gs_request rq = {0};
    rq.op = GS_OP_GET_INCLUSION_PROOF;
    rq.origin = cn.origin;
    rq.u.get_inclusion_proof.index = index;
    rq.u.get_inclusion_proof.size = size;
    if ((rc = get_proof(&cn, &rq, &rs, index, size, &err)) != 0)
        goto out;
    if (size == cp.cp.size) {
        /* RFC 9162 §2.1.3.2 against the root the log signed. */
        if ((rc = gs_merkle_verify_inclusion(&leaf, index, size, rs.u.proof.hashes, rs.u.proof.n,
                                             &cp.cp.root, &err)) != 0) {
            gs_error_wrap(&err, "entry %llu is not proven in the signed tree of size %llu",
                          (unsigned long long)index, (unsigned long long)size);
            goto out;
        }
    } else {
        fprintf(stderr,
                "giamsat: note: no signed checkpoint at size %llu here; the proof is not "
                "verified\n",
                (unsigned long long)size);
    }
    if (cf.json) {
        json_t *o = json_object();
        if (o != NULL) {
            json_object_set_new(o, "origin", json_string(cn.origin));
            json_object_set_new(o, "index", json_integer((json_int_t)index));
            json_object_set_new(o, "size", json_integer((json_int_t)size));
            json_object_set_new(o, "leaf_b64", cli_json_b64(e[0].p, e[0].n));
            json_object_set_new(o, "leaf_hash_b64", cli_json_b64(leaf.b, 32));
            json_object_set_new(o, "proof", proof_json(rs.u.proof.hashes, rs.u.proof.n));
        }
        rc = cli_print_json(o, &err);
    } else {
        char h[45];
        cli_b64_32(leaf.b, h);
        printf("entry %llu of %s in the tree of size %llu%s\nleaf hash %s\nproof (%zu hashes):\n",
               (unsigned long long)index, cn.origin, (unsigned long long)size,
               size == cp.cp.size ? " (verified against the signed checkpoint)" : "", h,
               rs.u.proof.n);
        print_proof_text(rs.u.proof.hashes, rs.u.proof.n);
    }
out:
    gs_response_clear(&rs);
    cli_entries_free(e, ne);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

static int proof_consistency(int argc, char **argv)
{
    static const struct option own[] = {
        {"old", required_argument, NULL, OPT_OLD},
        {"new", required_argument, NULL, OPT_NEW},
        {"old-checkpoint", required_argument, NULL, OPT_OLD_CHECKPOINT},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "proof consistency";
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0}, old_cp = {0};
    gs_response rs = {0};
    gs_error err = {0};
    char *old_text = NULL;
    size_t old_len = 0;
    uint64_t old_size, new_size;
    int rc = parse_read(cmd, help_consistency, own, argc, argv, &cf, vals);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *old_s = vals[OPT_OLD - CLI_OPT_FIRST_OWN],
               *new_s = vals[OPT_NEW - CLI_OPT_FIRST_OWN];
    const char *old_file = vals[OPT_OLD_CHECKPOINT - CLI_OPT_FIRST_OWN];
    if (old_s == NULL)
        return cli_usage_error(cmd, "--old M is required");
    if (cli_parse_u64(old_s, "--old", &old_size, &err) != 0 ||
        (new_s != NULL && cli_parse_u64(new_s, "--new", &new_size, &err) != 0))
        return cli_usage_error(cmd, "%s", err.msg);
    if (old_size == 0)
        return cli_usage_error(cmd, "--old must be at least 1: every tree extends the empty one");
    if (old_file != NULL && (rc = cli_read_file(old_file, GS_NOTE_MAX, &old_text, &old_len, &err)))
        goto out;
    if ((rc = connect_reader(&cn, &cf, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0)
        goto out;
    if (new_s == NULL)
        new_size = cp.cp.size;
    if (old_size > new_size || new_size > cp.cp.size) {
        rc = gs_error_set(&err, GS_EINVAL,
                          "--old %llu --new %llu: need 1 <= old <= new <= %llu, the size of the "
                          "latest checkpoint of %s",
                          (unsigned long long)old_size, (unsigned long long)new_size,
                          (unsigned long long)cp.cp.size, cn.origin);
        goto out;
    }
    if (old_text != NULL) {
        if ((rc = cli_open_checkpoint(&cn, old_text, old_len, &old_cp, &err)) != 0) {
            gs_error_wrap(&err, "--old-checkpoint %s", old_file);
            goto out;
        }
        if (old_cp.cp.size != old_size) {
            rc = gs_error_set(&err, GS_EINVAL,
                              "--old-checkpoint %s is at size %llu, not --old %llu", old_file,
                              (unsigned long long)old_cp.cp.size, (unsigned long long)old_size);
            goto out;
        }
    }
    gs_request rq = {0};
    rq.op = GS_OP_GET_CONSISTENCY_PROOF;
    rq.origin = cn.origin;
    rq.u.get_consistency_proof.old_size = old_size;
    rq.u.get_consistency_proof.new_size = new_size;
    if ((rc = get_proof(&cn, &rq, &rs, old_size, new_size, &err)) != 0)
        goto out;
    bool verified = false;
    if (old_text != NULL && new_size == cp.cp.size) {
        /* RFC 9162 §2.1.4.2 between the two signed roots. */
        if ((rc = gs_merkle_verify_consistency(old_size, new_size, &old_cp.cp.root, &cp.cp.root,
                                               rs.u.proof.hashes, rs.u.proof.n, &err)) != 0) {
            gs_error_wrap(&err,
                          "the log of %s at size %llu does not extend the saved checkpoint at "
                          "size %llu",
                          cn.origin, (unsigned long long)new_size, (unsigned long long)old_size);
            goto out;
        }
        verified = true;
    } else if (old_text != NULL) {
        fprintf(stderr,
                "giamsat: note: --new %llu is not the latest size %llu; the proof is not "
                "verified\n",
                (unsigned long long)new_size, (unsigned long long)cp.cp.size);
    }
    if (cf.json) {
        json_t *o = json_object();
        if (o != NULL) {
            json_object_set_new(o, "origin", json_string(cn.origin));
            json_object_set_new(o, "old_size", json_integer((json_int_t)old_size));
            json_object_set_new(o, "new_size", json_integer((json_int_t)new_size));
            json_object_set_new(o, "proof", proof_json(rs.u.proof.hashes, rs.u.proof.n));
        }
        rc = cli_print_json(o, &err);
    } else {
        printf("%s from size %llu to %llu%s\nproof (%zu hashes):\n", cn.origin,
               (unsigned long long)old_size, (unsigned long long)new_size,
               verified ? " (verified between the two signed checkpoints)" : "", rs.u.proof.n);
        print_proof_text(rs.u.proof.hashes, rs.u.proof.n);
    }
out:
    free(old_text);
    gs_response_clear(&rs);
    cli_checkpoint_clear(&old_cp);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

int cli_cmd_proof(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_proof, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_proof, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "inclusion") == 0)
        return proof_inclusion(argc - 1, argv + 1);
    if (strcmp(argv[1], "consistency") == 0)
        return proof_consistency(argc - 1, argv + 1);
    cli_errorf("unknown command \"proof %s\"; expected `proof inclusion` or `proof consistency`",
               argv[1]);
    return CLI_EXIT_USAGE;
}

/* -------------------------------------------------------------- entries */

static void set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, json_string(v != NULL ? v : ""));
}

static void set_key(json_t *o, const char *k, const gs_pubkey *p)
{
    json_object_set_new(o, k, cli_json_b64(p->b, 32));
}

static void set_fixed(json_t *o, const char *k, int64_t v)
{
    char b[40];
    gs_fixed_format(v, b, sizeof b);
    set_str(o, k, b);
}

static void set_time(json_t *o, const char *k, int64_t t)
{
    char b[32], ku[64];
    cli_format_time(t, b, sizeof b);
    set_str(o, k, b);
    snprintf(ku, sizeof ku, "%s_unix", k);
    json_object_set_new(o, ku, json_integer((json_int_t)t));
}

static void set_ref(json_t *o, const char *k, const gs_ref *r)
{
    char b[GS_MAX_ORIGIN + 80];
    cli_format_ref(r, b, sizeof b);
    set_str(o, k, b);
}

static void set_evidence(json_t *o, bool has, const gs_hash *h)
{
    if (has)
        json_object_set_new(o, "evidence_sha256_b64", cli_json_b64(h->b, 32));
}

/* The values a Charter or ParameterChange names; those left out are not
 * shown (a Charter's are then the defaults, a change's unchanged). */
static void set_parameters(json_t *o, const gs_rule_parameters *p)
{
    if (p->feedback_per_day != 0)
        json_object_set_new(o, "feedback_per_day", json_integer((json_int_t)p->feedback_per_day));
    if (p->open_feedback_per_day != 0)
        json_object_set_new(o, "open_feedback_per_day",
                            json_integer((json_int_t)p->open_feedback_per_day));
    if (p->partial_percent != 0)
        json_object_set_new(o, "partial_percent", json_integer((json_int_t)p->partial_percent));
}

static json_t *body_json(const gs_statement *st)
{
    json_t *b = json_object();
    if (b == NULL)
        return NULL;
    switch (st->kind) {
    case GS_BODY_CHARTER:
        set_str(b, "unit", st->u.charter.unit);
        set_str(b, "tier", gs_tier_name(st->u.charter.tier));
        set_str(b, "display_name", st->u.charter.display_name);
        if (st->u.charter.parent_origin != NULL)
            set_str(b, "parent_origin", st->u.charter.parent_origin);
        if (st->u.charter.has_parent_key)
            set_key(b, "parent_key", &st->u.charter.parent_key);
        set_parameters(b, &st->u.charter.parameters);
        if (st->u.charter.time_zone != NULL && st->u.charter.time_zone[0] != '\0')
            set_str(b, "time_zone", st->u.charter.time_zone);
        break;
    case GS_BODY_APPOINTMENT:
        set_key(b, "person", &st->u.appointment.person);
        set_str(b, "name", st->u.appointment.name);
        set_str(b, "role", gs_role_name(st->u.appointment.role));
        set_str(b, "title", st->u.appointment.title);
        set_str(b, "decision", st->u.appointment.decision);
        break;
    case GS_BODY_RESIGNATION: set_str(b, "reason", st->u.resignation.reason); break;
    case GS_BODY_DISMISSAL:
        set_key(b, "person", &st->u.dismissal.person);
        set_str(b, "reason", st->u.dismissal.reason);
        break;
    case GS_BODY_KEY_ROTATION: set_key(b, "new_key", &st->u.key_rotation.new_key); break;
    case GS_BODY_COMMITMENT:
        set_str(b, "id", st->u.commitment.id);
        set_str(b, "title", st->u.commitment.title);
        set_str(b, "indicator", st->u.commitment.indicator);
        set_str(b, "unit_of_measure", st->u.commitment.unit_of_measure);
        set_fixed(b, "target", st->u.commitment.target);
        set_str(b, "direction", gs_direction_name(st->u.commitment.direction));
        set_time(b, "deadline", st->u.commitment.deadline);
        if (st->u.commitment.has_parent)
            set_ref(b, "parent", &st->u.commitment.parent);
        break;
    case GS_BODY_PROGRESS:
        set_str(b, "commitment_id", st->u.progress.commitment_id);
        set_fixed(b, "value", st->u.progress.value);
        set_str(b, "note", st->u.progress.note);
        set_evidence(b, st->u.progress.has_evidence, &st->u.progress.evidence_hash);
        break;
    case GS_BODY_OUTCOME:
        set_str(b, "commitment_id", st->u.outcome.commitment_id);
        set_fixed(b, "value", st->u.outcome.value);
        set_evidence(b, st->u.outcome.has_evidence, &st->u.outcome.evidence_hash);
        break;
    case GS_BODY_FINDING:
        set_ref(b, "about", &st->u.finding.about);
        set_str(b, "severity", gs_severity_name(st->u.finding.severity));
        if (st->u.finding.verdict != GS_VERDICT_NONE)
            set_str(b, "verdict", gs_verdict_name(st->u.finding.verdict));
        set_str(b, "text", st->u.finding.text);
        set_evidence(b, st->u.finding.has_evidence, &st->u.finding.evidence_hash);
        break;
    case GS_BODY_FEEDBACK:
        if (st->u.feedback.has_about)
            set_ref(b, "about", &st->u.feedback.about);
        if (st->u.feedback.rating != 0)
            json_object_set_new(b, "rating", json_integer((json_int_t)st->u.feedback.rating));
        set_str(b, "text", st->u.feedback.text);
        break;
    case GS_BODY_REVISION:
        set_str(b, "commitment_id", st->u.revision.commitment_id);
        if (st->u.revision.has_target)
            set_fixed(b, "target", st->u.revision.target);
        if (st->u.revision.deadline != 0)
            set_time(b, "deadline", st->u.revision.deadline);
        set_str(b, "reason", st->u.revision.reason);
        break;
    case GS_BODY_RESPONSE:
        set_ref(b, "to", &st->u.response.to);
        set_str(b, "text", st->u.response.text);
        break;
    case GS_BODY_OBSERVATION:
        set_str(b, "origin", st->u.observation.origin);
        json_object_set_new(b, "size", json_integer((json_int_t)st->u.observation.size));
        json_object_set_new(b, "root_b64", cli_json_b64(st->u.observation.root.b, 32));
        set_time(b, "time", st->u.observation.time);
        break;
    case GS_BODY_EVIDENCE:
        json_object_set_new(b, "kind", json_integer((json_int_t)st->u.evidence.kind));
        set_str(b, "origin", st->u.evidence.origin);
        set_str(b, "reason", st->u.evidence.reason);
        set_time(b, "detected_at", st->u.evidence.detected_at);
        break;
    case GS_BODY_PARAMETER_CHANGE: set_parameters(b, &st->u.parameter_change.parameters); break;
    default: break;
    }
    return b;
}

json_t *cli_entry_json(uint64_t index, const gs_statement *st, const gs_hash *leaf_hash)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "index", json_integer((json_int_t)index));
    set_str(o, "kind", gs_body_name(st->kind));
    set_str(o, "origin", st->origin);
    set_key(o, "signer", &st->signer);
    json_object_set_new(o, "seq", json_integer((json_int_t)st->seq));
    set_time(o, "issued_at", st->issued_at);
    json_object_set_new(o, "leaf_hash_b64", cli_json_b64(leaf_hash->b, 32));
    json_object_set_new(o, "body", body_json(st));
    return o;
}

/* Names for signers, learnt from the Appointments and KeyRotations listed
 * (the log key is "node"). Borrowed strings from the decoded statements. */
typedef struct {
    gs_pubkey key;
    const char *name;
} name_entry;

typedef struct {
    name_entry *v;
    size_t n, cap;
} names;

static const char *name_of(const names *ns, const gs_pubkey *k)
{
    for (size_t i = ns->n; i-- > 0;)
        if (memcmp(ns->v[i].key.b, k->b, 32) == 0)
            return ns->v[i].name;
    return NULL;
}

static void name_add(names *ns, const gs_pubkey *k, const char *name)
{
    if (name == NULL)
        return;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        name_entry *v = realloc(ns->v, cap * sizeof *v);
        if (v == NULL)
            return; /* names are a courtesy: without memory, keys are shown */
        ns->v = v;
        ns->cap = cap;
    }
    ns->v[ns->n].key = *k;
    ns->v[ns->n].name = name;
    ns->n++;
}

static void learn_names(names *ns, const gs_statement *st)
{
    if (st->kind == GS_BODY_CHARTER)
        name_add(ns, &st->signer, "node");
    else if (st->kind == GS_BODY_APPOINTMENT)
        name_add(ns, &st->u.appointment.person, st->u.appointment.name);
    else if (st->kind == GS_BODY_KEY_ROTATION)
        name_add(ns, &st->u.key_rotation.new_key, name_of(ns, &st->signer));
}

/* Prints a text field, indenting continuation lines of multi-line text. */
static void print_field(const char *k, json_t *v)
{
    printf("    %s: ", k);
    if (json_is_string(v)) {
        for (const char *p = json_string_value(v); *p != '\0'; p++) {
            putchar(*p);
            if (*p == '\n')
                fputs("      ", stdout);
        }
    } else if (json_is_integer(v)) {
        printf("%lld", (long long)json_integer_value(v));
    }
    putchar('\n');
}

static void print_entry_text(json_t *o, const char *signer_name)
{
    const char *k;
    json_t *v, *body = json_object_get(o, "body");
    char who[GS_KEY_FINGERPRINT_LEN];
    if (signer_name == NULL) {
        gs_pubkey key;
        size_t n = 0;
        const char *s = json_string_value(json_object_get(o, "signer"));
        if (s != NULL && gs_base64_decode(key.b, sizeof key.b, &n, s, strlen(s), NULL) == 0 &&
            n == 32)
            gs_key_fingerprint(&key, who);
        else
            snprintf(who, sizeof who, "?");
        signer_name = who;
    }
    printf("#%lld %s by %s (seq %lld, %s)\n",
           (long long)json_integer_value(json_object_get(o, "index")),
           json_string_value(json_object_get(o, "kind")), signer_name,
           (long long)json_integer_value(json_object_get(o, "seq")),
           json_string_value(json_object_get(o, "issued_at")));
    json_object_foreach(body, k, v)
    {
        size_t kl = strlen(k);
        if (kl > 5 && strcmp(k + kl - 5, "_unix") == 0)
            continue; /* the RFC 3339 form is shown */
        print_field(k, v);
    }
}

int cli_cmd_entries(int argc, char **argv)
{
    static const struct option own[] = {
        {"start", required_argument, NULL, OPT_START},
        {"count", required_argument, NULL, OPT_COUNT},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "entries";
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0};
    gs_buf *e = NULL;
    size_t ne = 0;
    gs_statement *sts = NULL;
    names ns = {0};
    json_t *arr = NULL;
    gs_error err = {0};
    uint64_t start = 0, count = 0;
    int rc = parse_read(cmd, help_entries, own, argc, argv, &cf, vals);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    const char *start_s = vals[OPT_START - CLI_OPT_FIRST_OWN];
    const char *count_s = vals[OPT_COUNT - CLI_OPT_FIRST_OWN];
    if ((start_s != NULL && cli_parse_u64(start_s, "--start", &start, &err) != 0) ||
        (count_s != NULL && cli_parse_u64(count_s, "--count", &count, &err) != 0))
        return cli_usage_error(cmd, "%s", err.msg);
    if ((rc = connect_reader(&cn, &cf, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0)
        goto out;
    if (start > cp.cp.size) {
        rc = gs_error_set(&err, GS_EINVAL, "--start %llu: %s has %llu entries",
                          (unsigned long long)start, cn.origin, (unsigned long long)cp.cp.size);
        goto out;
    }
    if (count_s == NULL || count > cp.cp.size - start)
        count = cp.cp.size - start;
    if ((rc = cli_fetch_entries(&cn, cn.origin, start, count, &e, &ne, &err)) != 0)
        goto out;
    if (ne > 0 && (sts = calloc(ne, sizeof *sts)) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    if ((arr = json_array()) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ne; i++) {
        gs_hash leaf;
        if ((rc = gs_wire_open_entry(gs_bytes_of(e[i].p, e[i].n), &sts[i], &err)) != 0) {
            gs_error_wrap(&err, "entry %llu of %s", (unsigned long long)(start + i), cn.origin);
            if (rc == GS_EINVAL)
                rc = err.code = GS_EVERIFY; /* a log must hold only valid entries */
            goto out;
        }
        learn_names(&ns, &sts[i]);
        gs_merkle_leaf_hash(gs_bytes_of(e[i].p, e[i].n), &leaf);
        json_t *o = cli_entry_json(start + i, &sts[i], &leaf);
        const char *nm = name_of(&ns, &sts[i].signer);
        if (o != NULL && nm != NULL)
            set_str(o, "signer_name", nm);
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
            goto out;
        }
        if (!cf.json)
            print_entry_text(o, nm);
    }
    if (cf.json) {
        rc = cli_print_json(arr, &err);
        arr = NULL;
    }
out:
    json_decref(arr);
    for (size_t i = 0; sts != NULL && i < ne; i++)
        gs_statement_clear(&sts[i]);
    free(sts);
    free(ns.v);
    cli_entries_free(e, ne);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

/* --------------------------------------------------------------- roster */

static json_t *tenure_json(const gs_rules_member *m)
{
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    char t[32];
    set_str(o, "name", m->name);
    set_str(o, "role", gs_role_name(m->role));
    set_str(o, "title", m->title);
    set_str(o, "decision", m->decision);
    set_key(o, "key", &m->key);
    char fp[GS_KEY_FINGERPRINT_LEN];
    gs_key_fingerprint(&m->key, fp);
    set_str(o, "fingerprint", fp);
    json_object_set_new(o, "since_index", json_integer((json_int_t)m->since_index));
    cli_format_time(m->since_time, t, sizeof t);
    set_str(o, "since_time", t);
    set_str(o, "status", gs_tenure_end_name(m->ended));
    if (m->ended != GS_TENURE_ACTIVE) {
        json_object_set_new(o, "until_index", json_integer((json_int_t)m->until_index));
        cli_format_time(m->until_time, t, sizeof t);
        set_str(o, "until_time", t);
        set_key(o, "ended_by", &m->ended_by);
    }
    if (m->has_successor)
        set_key(o, "successor", &m->successor);
    if (m->has_predecessor)
        set_key(o, "predecessor", &m->predecessor);
    set_key(o, "appointed_by", &m->appointed_by);
    return o;
}

static void print_tenure(const gs_rules_member *m)
{
    char k[45], t[32], fp[GS_KEY_FINGERPRINT_LEN];
    cli_b64_32(m->key.b, k);
    gs_key_fingerprint(&m->key, fp);
    cli_format_time(m->since_time, t, sizeof t);
    printf("%-9s %s", gs_role_name(m->role), m->name);
    if (m->title[0] != '\0')
        printf(" (%s)", m->title);
    /* The fingerprint, as entries, errors and reports show the key, then
     * the full key. */
    printf("\n    key   %s %s\n    since #%llu %s%s\n", fp, k, (unsigned long long)m->since_index,
           t, m->has_predecessor ? " (by key rotation)" : "");
    if (m->ended == GS_TENURE_ACTIVE) {
        printf("    active\n");
        return;
    }
    cli_format_time(m->until_time, t, sizeof t);
    printf("    until #%llu %s: %s", (unsigned long long)m->until_index, t,
           gs_tenure_end_name(m->ended));
    if (m->has_successor) {
        gs_key_fingerprint(&m->successor, fp);
        cli_b64_32(m->successor.b, k);
        printf(" -> %s %s", fp, k);
    }
    putchar('\n');
}

int cli_cmd_roster(int argc, char **argv)
{
    const char *cmd = "roster";
    cli_common cf;
    const char *vals[16] = {0};
    cli_conn cn = {0};
    cli_checkpoint cp = {0};
    gs_buf *e = NULL;
    size_t ne = 0;
    gs_bytes *entries = NULL;
    gs_ingest_verdict *verdicts = NULL;
    gs_ingest *in = NULL;
    json_t *arr = NULL;
    gs_error err = {0};
    int rc = parse_read(cmd, help_roster, NULL, argc, argv, &cf, vals);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = connect_reader(&cn, &cf, &err)) != 0 ||
        (rc = cli_fetch_checkpoint(&cn, &cp, &err)) != 0 ||
        (rc = cli_fetch_entries(&cn, cn.origin, 0, cp.cp.size, &e, &ne, &err)) != 0)
        goto out;
    if (ne > 0 && ((entries = calloc(ne, sizeof *entries)) == NULL ||
                   (verdicts = calloc(ne, sizeof *verdicts)) == NULL)) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory for %zu entries", ne);
        goto out;
    }
    /* The one ingestion pipeline, as the node, the hub and the audit: every
     * signature checked, the rule book applied in order. */
    for (size_t i = 0; i < ne; i++)
        entries[i] = gs_bytes_of(e[i].p, e[i].n);
    gs_ingest_config ic = {0};
    if ((rc = gs_ingest_new(&in, cn.origin, &ic, &err)) != 0 ||
        (rc = gs_ingest_push(in, GS_INGEST_HISTORY, entries, ne, 0, verdicts, &err)) != 0)
        goto out;
    /* The entries must be exactly those the signed checkpoint commits to. */
    gs_hash root;
    gs_ingest_root(in, &root);
    if (sodium_memcmp(root.b, cp.cp.root.b, 32) != 0) {
        rc = gs_error_set(&err, GS_EVERIFY,
                          "the entries served for %s do not match the root of its signed "
                          "checkpoint at size %llu",
                          cn.origin, (unsigned long long)cp.cp.size);
        goto out;
    }
    for (size_t i = 0; i < ne; i++) {
        if (verdicts[i].accepted)
            continue;
        char why[2 * GS_ERROR_MSG_MAX];
        gs_ingest_verdict_text(&verdicts[i], why, sizeof why);
        rc = gs_error_set(&err, GS_EVERIFY, "entry %zu of %s is refused: %s", i, cn.origin, why);
        goto out;
    }
    const gs_rules_state *rs = gs_ingest_rules(in);
    if ((arr = json_array()) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    size_t nm = gs_rules_member_count(rs);
    if (!cf.json) {
        gs_rule_parameters rp;
        uint64_t since;
        gs_rules_parameters(rs, &rp, &since);
        printf("roster of %s at size %llu (%zu tenures)\n", cn.origin,
               (unsigned long long)cp.cp.size, nm);
        printf("rule parameters: feedback_per_day %u (set at index %llu)\n", rp.feedback_per_day,
               (unsigned long long)since);
        if (rp.open_feedback_per_day != 0)
            printf("rule parameters: open_feedback_per_day %u (set at index %llu)\n",
                   rp.open_feedback_per_day, (unsigned long long)since);
        else
            printf("rule parameters: open_feedback_per_day none (the log names no budget)\n");
        printf("rule parameters: partial_percent %u (set at index %llu)\n", rp.partial_percent,
               (unsigned long long)since);
    }
    for (size_t i = 0; i < nm; i++) {
        gs_rules_member m;
        if ((rc = gs_rules_member_at(rs, i, &m)) != 0)
            goto out;
        if (cf.json)
            json_array_append_new(arr, tenure_json(&m));
        else
            print_tenure(&m);
    }
    if (cf.json) {
        rc = cli_print_json(arr, &err);
        arr = NULL;
    }
out:
    json_decref(arr);
    gs_ingest_free(&in);
    free(entries);
    free(verdicts);
    cli_entries_free(e, ne);
    cli_checkpoint_clear(&cp);
    cli_disconnect(&cn);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}
