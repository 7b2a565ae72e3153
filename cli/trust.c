/* trust.c — checkpoints judged against the trust file (DESIGN §5 "Trust
 * file", common/policy.h), with the sentences verify and audit print. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"

int cli_trust_load(const char *path, gs_policy **out, gs_error *err)
{
    int rc = gs_policy_load(path, out, err);
    if (rc != 0 && strstr(err->msg, path) == NULL)
        gs_error_wrap(err, "trust file %s", path);
    return rc;
}

void cli_trusted_clear(cli_trusted *t)
{
    gs_note_free(&t->note);
    gs_checkpoint_clear(&t->cp);
    free(t->witness);
    free(t->witness_time);
    memset(t, 0, sizeof *t);
}

int cli_trust_checkpoint(const gs_policy *pol, const char *origin, const char *note, size_t len,
                         cli_trusted *out, gs_error *err)
{
    gs_policy_result res = {0};
    size_t body_len = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = gs_note_parse(note, len, &out->note, err)) != 0) {
        gs_error_wrap(err, "the checkpoint is not a signed note");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    const char *body = gs_note_text(out->note, &body_len);
    if ((rc = gs_checkpoint_parse(body, body_len, &out->cp, err)) != 0) {
        gs_error_wrap(err, "the checkpoint");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if (strcmp(out->cp.origin, origin) != 0) {
        rc = gs_error_set(err, GS_EVERIFY, "the checkpoint is for %s, not %s", out->cp.origin,
                          origin);
        goto out;
    }
    if ((rc = gs_policy_log_key(pol, origin, &out->log_key, err)) != 0) {
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    rc = gs_policy_verify_checkpoint(pol, note, len, &res, err);
    if (rc != 0 && res.log_signed && !res.quorum_met) {
        size_t have = 0;
        for (size_t i = 0; i < res.n_witnesses; i++)
            have += res.cosigned[i];
        rc = gs_error_set(err, GS_EVERIFY,
                          "checkpoint below quorum: %zu of %zu witnesses in the trust file "
                          "cosigned %s at size %llu, and the quorum \"%s\" is not met",
                          have, res.n_witnesses, origin, (unsigned long long)out->cp.size,
                          gs_policy_quorum_name(pol));
        goto out;
    }
    if (rc != 0) {
        if (!res.log_signed && rc == GS_EVERIFY)
            gs_error_set(err, GS_EVERIFY,
                         "the checkpoint of %s is not signed by the log key the trust file lists "
                         "for it (%s+%08x)",
                         origin, out->log_key.name, out->log_key.key_hash);
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if ((out->witness = calloc(res.n_witnesses + 1, sizeof *out->witness)) == NULL ||
        (out->witness_time = calloc(res.n_witnesses + 1, sizeof *out->witness_time)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < res.n_witnesses; i++) {
        const char *name = NULL;
        if (!res.cosigned[i])
            continue;
        gs_policy_witness_at(pol, i, &name, NULL);
        out->witness[out->n_witnesses] = name;
        out->witness_time[out->n_witnesses++] = res.timestamps[i];
    }
    snprintf(out->quorum, sizeof out->quorum, "%s", gs_policy_quorum_name(pol));
    rc = 0;
out:
    gs_policy_result_clear(&res);
    if (rc != 0) {
        gs_note_free(&out->note);
        gs_checkpoint_clear(&out->cp);
        free(out->witness);
        free(out->witness_time);
        out->witness = NULL;
        out->witness_time = NULL;
    }
    return rc;
}
