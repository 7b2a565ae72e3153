/* bundle.c — offline verification of a bundle against a trust file. See
 * bundle.h. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "keychain.h"
#include "merkle.h"

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? strdup(s) : NULL;
}

void gs_bundle_result_clear(gs_bundle_result *r)
{
    gs_bundle_clear(&r->bundle);
    gs_audit_trusted_clear(&r->checkpoint);
    gs_statement_clear(&r->statement);
    free(r->name);
    free(r->title);
    free(r->unit);
    memset(r, 0, sizeof *r);
}

/* The signer's standing: the appointment entry the bundle carries, opened,
 * in the checkpoint's tree, and appointing the key that signed. */
static int verify_signer(gs_bundle_result *out, gs_error *err)
{
    const gs_bundle *b = &out->bundle;
    const gs_statement *st = &out->statement;
    const gs_checkpoint *cp = &out->checkpoint.cp;
    gs_statement sst = {0};
    gs_hash sleaf;
    int rc;
    if (b->signer_entry.n == 0) {
        if (st->kind != GS_BODY_FEEDBACK)
            return gs_error_set(err, GS_EVERIFY,
                                "the bundle carries no appointment for the signer, and only a "
                                "citizen's feedback needs none (this is a %s)",
                                gs_body_name(st->kind));
        out->signer = GS_BUNDLE_SIGNER_CITIZEN;
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
    gs_merkle_leaf_hash(gs_bytes_of(b->signer_entry.p, b->signer_entry.n), &sleaf);
    if (gs_merkle_verify_inclusion(&sleaf, b->signer_index, cp->size, b->signer_inclusion_proof,
                                   b->n_signer_inclusion_proof, &cp->root, NULL) != 0) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the signer's appointment is not in the checkpoint's tree: its "
                          "inclusion proof does not lead to the root (entry %llu)",
                          (unsigned long long)b->signer_index);
        goto out;
    }
    out->appointment_kind = sst.kind;
    rc = 0;
    switch (sst.kind) {
    case GS_BODY_CHARTER:
        if (b->signer_index != 0 || memcmp(sst.signer.b, st->signer.b, 32) != 0)
            goto not_signer;
        out->signer = GS_BUNDLE_SIGNER_LOG_KEY;
        out->unit = dup_or_null(sst.u.charter.display_name);
        break;
    case GS_BODY_APPOINTMENT:
        if (memcmp(sst.u.appointment.person.b, st->signer.b, 32) != 0)
            goto not_signer;
        out->signer = GS_BUNDLE_SIGNER_MEMBER;
        out->role = sst.u.appointment.role;
        out->name = dup_or_null(sst.u.appointment.name);
        out->title = dup_or_null(sst.u.appointment.title);
        break;
    case GS_BODY_KEY_ROTATION:
        if (memcmp(sst.u.key_rotation.new_key.b, st->signer.b, 32) != 0)
            goto not_signer;
        out->signer = GS_BUNDLE_SIGNER_ROTATED_KEY;
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

/* The checkpoint against the trust file, its log signature by the key the
 * bundle's key chain leads to from the trust file's key (none: that key
 * itself). The links are proven in the tree of the very checkpoint whose
 * signature they then decide, so a chain altered or cut short is refused:
 * the key it leads to did not sign the note. */
static int trust_checkpoint(const gs_policy *pol, const gs_bundle *b, gs_bundle_result *out,
                            gs_error *err)
{
    gs_vkey anchor;
    gs_keychain kc = {0};
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    size_t blen = 0;
    int rc;
    if (gs_policy_log_key(pol, b->origin, &anchor, NULL) != 0)
        /* not a log of the trust file: the check below says so */
        return gs_audit_trust_checkpoint(pol, b->origin, b->checkpoint, strlen(b->checkpoint),
                                         &out->checkpoint, err);
    const char *body = NULL;
    if ((rc = gs_note_parse(b->checkpoint, strlen(b->checkpoint), &n, err)) == 0) {
        body = gs_note_text(n, &blen);
        rc = gs_checkpoint_parse(body, blen, &cp, err);
    }
    if (rc != 0) {
        gs_error_wrap(err, "the bundle's checkpoint");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    if ((rc = gs_keychain_init(&kc, b->origin, &anchor.key, err)) != 0)
        goto out;
    if ((rc = gs_keychain_add_links(&kc, b->log_key_chain, b->n_log_key_chain, cp.size, &cp.root,
                                    err)) != 0) {
        gs_error_wrap(err, "the bundle's key chain");
        if (rc != GS_ENOMEM)
            rc = err->code = GS_EVERIFY;
        goto out;
    }
    rc = gs_audit_trust_checkpoint_chain(pol, b->origin, b->checkpoint, strlen(b->checkpoint), &kc,
                                         &out->checkpoint, err);
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    gs_keychain_clear(&kc);
    return rc;
}

static int verify(const gs_policy *pol, gs_bytes data, gs_bundle_result *out, gs_error *err)
{
    gs_bundle *b = &out->bundle;
    int rc;
    if ((rc = gs_wire_decode_bundle(data, b, err)) != 0) {
        gs_error_wrap(err, "this is not a giamsat bundle");
        return err->code = GS_EVERIFY;
    }
    if (gs_origin_valid(b->origin, err) != 0) {
        gs_error_wrap(err, "the bundle names its log");
        return err->code = GS_EVERIFY;
    }
    if ((rc = trust_checkpoint(pol, b, out, err)) != 0)
        return rc;
    const gs_checkpoint *cp = &out->checkpoint.cp;
    if (b->index >= cp->size)
        return gs_error_set(err, GS_EVERIFY,
                            "entry %llu is beyond the checkpoint, which covers %llu entries",
                            (unsigned long long)b->index, (unsigned long long)cp->size);
    rc = gs_wire_open_entry(gs_bytes_of(b->entry.p, b->entry.n), &out->statement, err);
    if (rc == GS_EVERIFY)
        return gs_error_set(err, GS_EVERIFY,
                            "the entry was altered: its signature does not verify");
    if (rc != 0) {
        gs_error_wrap(err, "the entry is not a well-formed signed statement");
        return err->code = GS_EVERIFY;
    }
    if (strcmp(out->statement.origin, b->origin) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the statement is addressed to %s, not to the bundle's log %s",
                            out->statement.origin, b->origin);
    gs_merkle_leaf_hash(gs_bytes_of(b->entry.p, b->entry.n), &out->leaf);
    if (gs_merkle_verify_inclusion(&out->leaf, b->index, cp->size, b->inclusion_proof,
                                   b->n_inclusion_proof, &cp->root, NULL) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the inclusion proof does not lead to the checkpoint's root: entry "
                            "%llu is not proven in %s at size %llu",
                            (unsigned long long)b->index, b->origin, (unsigned long long)cp->size);
    return verify_signer(out, err);
}

int gs_bundle_verify(const gs_policy *pol, gs_bytes data, gs_bundle_result *out, gs_error *err)
{
    gs_error local = {0};
    if (err == NULL)
        err = &local;
    memset(out, 0, sizeof *out);
    int rc = verify(pol, data, out, err);
    /* Whatever went wrong inside the bundle, the verdict is "not verified". */
    if (rc != 0 && rc != GS_EVERIFY && rc != GS_ENOMEM)
        rc = err->code = GS_EVERIFY;
    return rc;
}
