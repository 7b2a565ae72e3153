/* bundle.h — one event, checkable offline by anyone holding a trust file
 * (DESIGN §5 flow 6).
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
 * What verification cannot see offline: whether the member was still in
 * office at the statement's index (a Resignation in between). The log's node
 * refused such a statement when it was submitted, and every hub whose
 * cosignature the trust file's quorum requires has replayed the log through
 * the same rule book before cosigning (DESIGN §2 principle 5).
 *
 * Verification trusts nothing in the bundle: every signature, proof and
 * hash is checked against the trust file's keys.
 */
#ifndef GS_BUNDLE_H
#define GS_BUNDLE_H

#include <stdbool.h>

#include "audit.h"
#include "error.h"
#include "policy.h"
#include "wire.h"

#define GS_BUNDLE_MAX (4 * 1024 * 1024) /* bytes of an encoded bundle */

/* Who signed the statement, and with what standing. */
typedef enum {
    GS_BUNDLE_SIGNER_CITIZEN = 0, /* a feedback without an appointment */
    GS_BUNDLE_SIGNER_LOG_KEY,     /* the log's own key (its Charter) */
    GS_BUNDLE_SIGNER_MEMBER,      /* appointed by an Appointment */
    GS_BUNDLE_SIGNER_ROTATED_KEY, /* a member or the log key continuing on a
                                     rotated key (a KeyRotation) */
} gs_bundle_signer_kind;

/* What a verified bundle says. Owns everything it holds
 * (gs_bundle_result_clear); checkpoint borrows the witness names from the
 * policy it was verified against. */
typedef struct {
    gs_bundle bundle;            /* as decoded */
    gs_audit_trusted checkpoint; /* the cosigned checkpoint, trusted */
    gs_statement statement;      /* the entry, opened */
    gs_hash leaf;                /* its leaf hash */
    gs_bundle_signer_kind signer;
    gs_body_kind appointment_kind; /* the signer's appointment entry, when any */
    gs_role role;                  /* for GS_BUNDLE_SIGNER_MEMBER */
    char *name;                    /* the appointee's name; NULL when none */
    char *title;                   /* the appointee's title; NULL when none */
    char *unit;                    /* the Charter's display name, for the log key */
} gs_bundle_result;

/* Checks an encoded bundle against a trust file, in this order: it decodes;
 * the checkpoint is signed by the key pol lists for the bundle's log and
 * cosigned by a quorum of its witnesses; the statement's signature
 * verifies; it is addressed to that log; its inclusion proof leads to the
 * checkpoint's root; the signer's appointment is in the same tree and
 * appoints the signer (or the signer is the log key, or the statement is a
 * citizen's feedback). Returns 0 when everything holds; otherwise GS_EVERIFY
 * (or GS_ENOMEM) with the sentence of the first check that failed. out is
 * filled as far as the checks got (out->bundle.origin is set once the bundle
 * decoded): clear it with gs_bundle_result_clear in every case. */
int gs_bundle_verify(const gs_policy *pol, gs_bytes data, gs_bundle_result *out, gs_error *err)
    __attribute__((warn_unused_result));
void gs_bundle_result_clear(gs_bundle_result *r);

#endif
