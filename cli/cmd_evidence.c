/* cmd_evidence.c — `giamsat evidence` (what a hub holds) and
 * `giamsat verify-evidence` (is one piece of it proof?), DESIGN §2.6, §7.
 *
 * Evidence travels as a SignedStatement whose body is an Evidence, signed by
 * the hub that found it. That signature says who reported it, never whether
 * it is true: verify-evidence checks every signature, proof and hash itself
 * (gs_evidence_verify) against the accused log's key from a trust file. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "evidence.h"
#include "outfile.h"
#include "policy.h"

enum {
    OPT_OUT = CLI_OPT_FIRST_OWN,
    OPT_TRUST,
};

static const char help_evidence[] =
    "usage: giamsat evidence [--origin O] [--out DIR] [--json] [connection flags]\n"
    "\n"
    "Lists the evidence of misbehaviour a hub holds (GetEvidence), each checked to be\n"
    "signed by the hub that reported it. Listing is not verifying: check one piece\n"
    "offline with `giamsat verify-evidence FILE --trust FILE`.\n"
    "\n"
    "  --origin O            only evidence against this log (default: all the hub holds)\n"
    "  --out DIR             also write each one to DIR/<n>-<kind>.evidence (n from 1),\n"
    "                        exactly the SignedStatement bytes; existing files are not\n"
    "                        overwritten\n"
    "  --json                print an array of objects with the fields\n"
    "                          n, kind (split-view, rollback, bad-entries,\n"
    "                          rule-violation), origin (the accused log), log_key,\n"
    "                          description, reason (the reporter's words),\n"
    "                          detected_at (RFC 3339), detected_at_unix,\n"
    "                          reporter (base64 key), reporter_origin (the hub's log),\n"
    "                          reported_at, reported_at_unix, sha256_b64 (of the\n"
    "                          file bytes), file (with --out)\n"
    "  --key FILE            optional: your key as the CURVE identity on tcp://\n"
    "\n"
    "Exit status: 0 listed, 1 an item was not validly signed, 2 usage or connection.\n"
    "\n"
    "Example:\n"
    "  giamsat evidence --connect ipc:///srv/giamsat/hub/hub.sock --out ./evidence\n";

static const char help_verify[] =
    "usage: giamsat verify-evidence FILE... --trust FILE [--json]\n"
    "\n"
    "Checks offline that an evidence file (written by `giamsat evidence --out`) proves\n"
    "what it claims against the accused log, whose key is taken from the trust file (a\n"
    "C2SP tlog-policy file: `log <verifier key>` lines name the logs by origin). Every\n"
    "signature, proof and hash is checked here; the reporter is not trusted. Prints what\n"
    "the evidence proves in plain words and who reported it, and whether the reporter\n"
    "is a witness listed in the trust file. Rule-violation evidence too large for one\n"
    "entry comes in parts (\"part k of n\"): name all n files, in any order, to check\n"
    "them joined; a part alone is not proof.\n"
    "\n"
    "  --trust FILE          the trust file\n"
    "  --json                print {\"file\",\"proof\",\"kind\",\"origin\",\"description\",\n"
    "                        \"proves\",\"reason\",\"detected_at\",\"reporter\",\n"
    "                        \"reporter_origin\",\"reporter_witness\",\"error\"}\n"
    "                        (reporter_witness: its name in the trust file, or null;\n"
    "                        error: why it is not proof, or null; with several files\n"
    "                        also \"parts\", their number, and file is the first)\n"
    "\n"
    "Exit status: 0 the evidence is proof, 1 it is not (or the origin is not a log in\n"
    "the trust file), 2 usage, or an unreadable file.\n"
    "\n"
    "Example:\n"
    "  giamsat verify-evidence evidence/1-split-view.evidence --trust trust.policy\n";

/* Opens an evidence entry: the reporter's signature is checked over the
 * bytes, and the body must be an Evidence. */
static int open_evidence(gs_bytes entry, gs_statement *st, gs_error *err)
{
    int rc = gs_wire_open_entry(entry, st, err);
    if (rc != 0)
        return rc;
    if (st->kind != GS_BODY_EVIDENCE) {
        rc = gs_error_set(err, GS_EINVAL, "it is a %s statement, not evidence",
                          gs_body_name(st->kind));
        gs_statement_clear(st);
        return rc;
    }
    return 0;
}

/* Writes DIR/<n>-<kind>.evidence, refusing to overwrite or follow links. */
static int write_evidence_file(const char *dir, size_t n, const char *kind, gs_bytes data,
                               char *path, size_t cap, gs_error *err)
{
    int len = snprintf(path, cap, "%s/%zu-%s.evidence", dir, n, kind);
    if (len < 0 || (size_t)len >= cap)
        return gs_error_set(err, GS_EINVAL, "--out %s: the path is too long", dir);
    int rc = gs_outfile_write(path, data, false, err);
    if (rc == GS_ECONFLICT)
        return gs_error_set(err, GS_ECONFLICT, "%s already exists (choose an empty --out folder)",
                            path);
    return rc;
}

static void time_or_dash(int64_t t, char *out, size_t cap)
{
    if (t > 0)
        cli_format_time(t, out, cap);
    else
        snprintf(out, cap, "-");
}

/* ------------------------------------------------------------- evidence */

int cli_cmd_evidence(int argc, char **argv)
{
    struct option opts[24] = {CLI_COMMON_OPTIONS};
    size_t no = 0;
    while (opts[no].name != NULL)
        no++;
    opts[no++] = (struct option){"out", required_argument, NULL, OPT_OUT};
    opts[no] = (struct option){NULL, 0, NULL, 0};
    cli_common cf;
    const char *out_dir = NULL;
    cli_conn cn = {0};
    gs_response rs = {0};
    gs_error err = {0};
    json_t *arr = NULL;
    int rc, c, bad = 0;

    cli_common_init(&cf);
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == CLI_OPT_HELP) {
            fputs(help_evidence, stdout);
            fputs("\n", stdout);
            fputs(cli_help_connection, stdout);
            return CLI_EXIT_OK;
        }
        int r = cli_common_opt(&cf, c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == OPT_OUT) {
            out_dir = optarg;
            continue;
        }
        return cli_getopt_error("evidence", c, argv);
    }
    if (optind < argc)
        return cli_usage_error("evidence", "unexpected argument \"%s\"", argv[optind]);
    if ((rc = cli_common_finish(&cf)) != 0)
        return rc;

    gs_keypair kp = {0};
    if (cf.key_file != NULL && (rc = cli_load_key(cf.key_file, cf.passphrase_file, &kp, &err)))
        return cli_fail(&err);
    rc = cli_connect(&cn, &cf, cf.key_file != NULL ? &kp : NULL, &err);
    gs_keypair_wipe(&kp);
    if (rc != 0)
        goto out;

    gs_request rq = {0};
    rq.op = GS_OP_GET_EVIDENCE;
    rq.origin = (cf.origin != NULL ? cf.origin : "");
    if ((rc = cli_call(&cn, &rq, &rs, &err)) != 0)
        goto out;
    if (rs.result != GS_RESULT_EVIDENCE) {
        rc = gs_error_set(&err, GS_EINVAL,
                          "the endpoint answered GetEvidence with another "
                          "kind of result; is it a hub?");
        goto out;
    }
    if (cf.json && (arr = json_array()) == NULL) {
        rc = gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto out;
    }
    if (!cf.json && rs.u.evidence.n == 0)
        printf("no evidence%s%s\n", cf.origin != NULL ? " against " : "",
               cf.origin != NULL ? cf.origin : "");
    for (size_t i = 0; i < rs.u.evidence.n; i++) {
        gs_bytes data = gs_bytes_of(rs.u.evidence.items[i].p, rs.u.evidence.items[i].n);
        gs_statement st = {0};
        gs_error why = {0};
        char desc[512], when[40], reported[40], signer[45], path[4096] = "";
        if (open_evidence(data, &st, &why) != 0) {
            cli_errorf("evidence %zu is not validly signed evidence: %s", i + 1, why.msg);
            bad = 1;
            continue;
        }
        const gs_evidence *ev = &st.u.evidence;
        gs_evidence_describe(ev, desc, sizeof desc);
        time_or_dash(ev->detected_at, when, sizeof when);
        time_or_dash(st.issued_at, reported, sizeof reported);
        cli_b64_32(st.signer.b, signer);
        if (out_dir != NULL &&
            (rc = write_evidence_file(out_dir, i + 1, gs_audit_evidence_kind_name(ev->kind), data,
                                      path, sizeof path, &err)) != 0) {
            gs_statement_clear(&st);
            goto out;
        }
        if (cf.json) {
            gs_hash h;
            gs_sha256(data, &h);
            json_t *o = json_object();
            json_object_set_new(o, "n", json_integer((json_int_t)(i + 1)));
            json_object_set_new(o, "kind", json_string(gs_audit_evidence_kind_name(ev->kind)));
            json_object_set_new(o, "origin", json_string(ev->origin));
            json_object_set_new(o, "log_key", json_string(ev->log_key));
            json_object_set_new(o, "description", json_string(desc));
            json_object_set_new(o, "reason", json_string(ev->reason != NULL ? ev->reason : ""));
            json_object_set_new(o, "detected_at", json_string(when));
            json_object_set_new(o, "detected_at_unix", json_integer(ev->detected_at));
            json_object_set_new(o, "reporter", json_string(signer));
            json_object_set_new(o, "reporter_origin", json_string(st.origin));
            json_object_set_new(o, "reported_at", json_string(reported));
            json_object_set_new(o, "reported_at_unix", json_integer(st.issued_at));
            json_object_set_new(o, "sha256_b64", cli_json_b64(h.b, 32));
            if (path[0] != '\0')
                json_object_set_new(o, "file", json_string(path));
            json_array_append_new(arr, o);
        } else {
            printf("evidence %zu: %s\n", i + 1, gs_audit_evidence_kind_name(ev->kind));
            printf("  against:     %s\n", ev->origin);
            printf("  what:        %s\n", desc);
            if (ev->reason != NULL && ev->reason[0] != '\0')
                printf("  reason:      %s\n", ev->reason);
            printf("  detected:    %s\n", when);
            printf("  reported by: %s (key %s)%s\n", st.origin, signer,
                   cn.has_server_key &&
                           memcmp(cn.server_key.key.b, st.signer.b, sizeof st.signer.b) == 0
                       ? ", the hub you asked"
                       : "");
            printf("  reported:    %s\n", reported);
            if (path[0] != '\0')
                printf("  file:        %s\n", path);
        }
        gs_statement_clear(&st);
    }
    if (cf.json) {
        rc = cli_print_json(arr, &err);
        arr = NULL;
        if (rc != 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(arr);
    gs_response_clear(&rs);
    cli_disconnect(&cn);
    if (rc != 0)
        return cli_fail(&err);
    return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* ------------------------------------------------------- verify-evidence */

int cli_cmd_verify_evidence(int argc, char **argv)
{
    static const struct option opts[] = {
        {"trust", required_argument, NULL, OPT_TRUST},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "verify-evidence";
    const char *trust = NULL, *file = NULL;
    bool json = false;
    char **bufs = NULL;
    gs_statement *sts = NULL;
    const gs_evidence **parts = NULL;
    size_t n_files = 0;
    gs_policy *pol = NULL;
    gs_error err = {0}, why = {0};
    gs_vkey log_key;
    int rc, c, exit_code = CLI_EXIT_USAGE;

    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case CLI_OPT_HELP: fputs(help_verify, stdout); return CLI_EXIT_OK;
        case OPT_TRUST: trust = optarg; break;
        case CLI_OPT_JSON: json = true; break;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(cmd, "name the evidence FILE to check");
    n_files = (size_t)(argc - optind);
    if (n_files > GS_MAX_EVIDENCE_PARTS)
        return cli_usage_error(cmd, "%zu files: at most %d parts of one evidence", n_files,
                               GS_MAX_EVIDENCE_PARTS);
    file = argv[optind];
    if (trust == NULL)
        return cli_usage_error(cmd,
                               "--trust FILE is required: the accused log's key comes from it");
    bufs = calloc(n_files, sizeof *bufs);
    sts = calloc(n_files, sizeof *sts);
    parts = calloc(n_files, sizeof *parts);
    if (bufs == NULL || sts == NULL || parts == NULL) {
        gs_error_set(&err, GS_ENOMEM, "out of memory");
        goto fail;
    }

    /* Unreadable input is a usage error (2); a signature that does not verify
     * is a failed verification (1). Several files are the parts of one split
     * evidence, in any order: they are put in part order (the chain checks
     * it). */
    for (size_t k = 0; k < n_files; k++) {
        const char *fk = argv[optind + (int)k];
        size_t len = 0;
        if ((rc = cli_read_file(fk, GS_MAX_ENTRY, &bufs[k], &len, &err)) != 0) {
            if (rc == GS_ETOOBIG)
                gs_error_wrap(&err, "not an evidence file");
            goto fail;
        }
        if ((rc = open_evidence(gs_bytes_of(bufs[k], len), &sts[k], &err)) != 0) {
            gs_error_wrap(&err, "%s is not evidence a hub signed", fk);
            if (rc == GS_EVERIFY)
                exit_code = CLI_EXIT_FAIL;
            goto fail;
        }
        parts[k] = &sts[k].u.evidence;
        if (n_files > 1 && (parts[k]->part == 0 || parts[k]->part > n_files)) {
            gs_error_set(&err, GS_EINVAL,
                         "%s is not part of a split evidence of %zu parts (it says part %u of %u)",
                         fk, n_files, (unsigned)parts[k]->part, (unsigned)parts[k]->parts);
            exit_code = CLI_EXIT_FAIL;
            goto fail;
        }
    }
    for (size_t k = 1; n_files > 1 && k < n_files; k++)
        for (size_t j = k; j > 0 && parts[j - 1]->part > parts[j]->part; j--) {
            const gs_evidence *t = parts[j];
            parts[j] = parts[j - 1];
            parts[j - 1] = t;
        }
    if ((rc = gs_policy_load(trust, &pol, &err)) != 0)
        goto fail;
    const gs_evidence *ev = parts[0];
    /* The reporter: the one who signed the first part. */
    const gs_statement *st0 = &sts[0];
    for (size_t k = 0; k < n_files; k++)
        if (&sts[k].u.evidence == ev)
            st0 = &sts[k];
    const gs_statement st = *st0;
    if (gs_policy_log_key(pol, ev->origin, &log_key, &err) != 0) {
        gs_error_set(&err, GS_ENOTFOUND, "origin %s is not a log in trust file %s", ev->origin,
                     trust);
        exit_code = CLI_EXIT_FAIL;
        goto fail;
    }
    if (n_files > 1)
        rc = gs_evidence_verify_parts(parts, n_files, &log_key, &why);
    else
        rc = gs_evidence_verify(ev, &log_key, &why);
    if (rc == GS_ENOMEM) {
        err = why;
        goto fail;
    }
    bool proof = rc == 0;
    int w = gs_policy_find_witness(pol, &st.signer);
    const char *wname = NULL;
    if (w >= 0)
        gs_policy_witness_at(pol, (size_t)w, &wname, NULL);
    char desc[512], when[40], signer[45];
    gs_evidence_describe_parts(parts, n_files, desc, sizeof desc);
    time_or_dash(ev->detected_at, when, sizeof when);
    cli_b64_32(st.signer.b, signer);

    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(file));
        if (n_files > 1)
            json_object_set_new(o, "parts", json_integer((json_int_t)n_files));
        json_object_set_new(o, "proof", json_boolean(proof));
        json_object_set_new(o, "kind", json_string(gs_audit_evidence_kind_name(ev->kind)));
        json_object_set_new(o, "origin", json_string(ev->origin));
        json_object_set_new(o, "description", json_string(desc));
        json_object_set_new(o, "proves",
                            proof ? json_string(gs_audit_evidence_proves(ev->kind)) : json_null());
        json_object_set_new(o, "reason", json_string(ev->reason != NULL ? ev->reason : ""));
        json_object_set_new(o, "detected_at", json_string(when));
        json_object_set_new(o, "reporter", json_string(signer));
        json_object_set_new(o, "reporter_origin", json_string(st.origin));
        json_object_set_new(o, "reporter_witness",
                            wname != NULL ? json_string(wname) : json_null());
        json_object_set_new(o, "error", proof ? json_null() : json_string(why.msg));
        if ((rc = cli_print_json(o, &err)) != 0)
            goto fail;
    } else {
        if (n_files > 1)
            printf("%zu parts of one split evidence, joined:\n", n_files);
        if (proof)
            printf("PROOF: %s\n  %s.\n  Proven: %s.\n", ev->origin, desc,
                   gs_audit_evidence_proves(ev->kind));
        else
            printf("NOT PROOF: the evidence against %s (%s) does not hold:\n  %s\n", ev->origin,
                   desc, why.msg);
        if (ev->reason != NULL && ev->reason[0] != '\0')
            printf("  The reporter says: %s\n", ev->reason);
        printf("  Reported by %s (key %s), detected %s;\n", st.origin, signer, when);
        if (wname != NULL)
            printf("  the reporter is the witness %s listed in the trust file.\n", wname);
        else
            printf("  the reporter is not a witness listed in the trust file (the evidence "
                   "stands or falls on its own checks).\n");
    }
    exit_code = proof ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    goto out;
fail:
    cli_errorf("%s", err.msg);
out:
    for (size_t k = 0; k < n_files; k++) {
        if (sts != NULL)
            gs_statement_clear(&sts[k]);
        if (bufs != NULL)
            free(bufs[k]);
    }
    free(sts);
    free(bufs);
    free(parts);
    gs_policy_free(&pol);
    return exit_code;
}
