/* policy.h — trust files: C2SP tlog-policy (c2sp.org/tlog-policy), the one
 * place verifiers (verify, verify-evidence, audit, monitor) take their trust
 * from (DESIGN §5 "Trust file").
 *
 * The file is line based; items are separated by ASCII spaces and tabs:
 *     log     <vkey> [<url>]                  the key name is the log's origin
 *     witness <name> <vkey> [<url>]           a cosigner (cosignature/v1)
 *     group   <name> all|any|<k> <member>...  members named on earlier lines
 *     quorum  <name>|none                     exactly one
 * Empty lines and lines starting with '#' are ignored; a '#' starting an item
 * also ends the line (a trailing comment). Only tab, newline, 0x20–0x7E and
 * octets >= 0x80 may appear; names are opaque octet strings.
 *
 * What the parser refuses, each with the file name and line number: an
 * unknown keyword, a wrong number of items, a bad verifier key, a log key
 * that is not alg 0x01, a witness key that is not alg 0x04 (or 0x01: the same
 * Ed25519 key, taken as its 0x04 cosigner key under the same key name), two
 * logs or two witnesses wrapping the same public key, two logs for one origin,
 * a name defined twice or named "none", a group member not defined on an
 * earlier line or listed twice, a threshold outside 1..n, a second quorum
 * line, and (at the end) a missing quorum line.
 *
 * A checkpoint is trusted when a listed log signed it (the key whose name is
 * its origin) AND witnesses listed here met the quorum with valid
 * cosignature/v1 lines. A witness whose key is the log's own key (a hub's
 * own log: the hub's cosigner key is its log key under alg 0x04) counts as
 * having witnessed the checkpoint that key signed (gs_policy_verify_checkpoint
 * says why this weakens nothing).
 *
 * c2sp.org/tlog-policy has one quorum per file and no per-log quorum; this
 * parser keeps to it, so a trust file written for giamsat is read the same
 * by any other tlog-policy verifier (docs/trust.md).
 *
 * Every function returns 0 or a negative GS_E… code with err filled. Call
 * gs_crypto_init first.
 */
#ifndef GS_POLICY_H
#define GS_POLICY_H

#include <stdbool.h>

#include "crypto.h"
#include "error.h"
#include "types.h"

/* A national auditor's trust file names every log: about 3,400 (issue 13),
 * some 90 bytes a line. */
#define GS_POLICY_MAX_FILE (4 * 1024 * 1024)
/* c2sp.org/tlog-policy recommends supporting at least 32 of each. */
#define GS_POLICY_MAX_LOGS 8192
#define GS_POLICY_MAX_WITNESSES 256
#define GS_POLICY_MAX_GROUPS 256

typedef struct gs_policy gs_policy;

/* Parses a policy held in memory; source names it in error messages
 * ("trust.policy:7: …"). Caller owns *out (gs_policy_free). */
int gs_policy_parse(const char *buf, size_t len, const char *source, gs_policy **out,
                    gs_error *err);
/* Reads and parses the file at path (at most GS_POLICY_MAX_FILE bytes). */
int gs_policy_load(const char *path, gs_policy **out, gs_error *err);
/* Frees *pp and sets it to NULL; safe on NULL. */
void gs_policy_free(gs_policy **pp);

/* The listed logs, in file order. url is "" when none (may be NULL). The
 * pointers are borrowed from the policy. */
size_t gs_policy_log_count(const gs_policy *p);
const gs_vkey *gs_policy_log_at(const gs_policy *p, size_t i, const char **url);
/* The key of the log whose origin is origin; GS_ENOTFOUND when the policy
 * lists no such log. */
int gs_policy_log_key(const gs_policy *p, const char *origin, gs_vkey *out, gs_error *err);

/* The listed witnesses, in file order: their policy name and cosigner key
 * (alg 0x04 under the key's own name). */
size_t gs_policy_witness_count(const gs_policy *p);
const gs_vkey *gs_policy_witness_at(const gs_policy *p, size_t i, const char **name,
                                    const char **url);
/* The index of the witness whose public key is key, or -1. */
int gs_policy_find_witness(const gs_policy *p, const gs_pubkey *key);
/* Whether the quorum is "none" (no cosignature needed). */
bool gs_policy_quorum_none(const gs_policy *p);
/* The quorum's name ("none", a witness or a group). */
const char *gs_policy_quorum_name(const gs_policy *p);

/* The groups, in file order: name, threshold k and member count n (any is
 * k = 1, all is k = n). NULL past the end. */
size_t gs_policy_group_count(const gs_policy *p);
const char *gs_policy_group_at(const gs_policy *p, size_t i, size_t *k, size_t *n);
/* The name of member j of group i (a witness or an earlier group), and
 * whether it is a group; NULL past the end. */
const char *gs_policy_group_member(const gs_policy *p, size_t i, size_t j, bool *is_group);
/* Whether name is a witness or a group of the policy ("none" is neither). */
bool gs_policy_name_defined(const gs_policy *p, const char *name);

/* What checking one checkpoint found, for the caller to print. */
typedef struct {
    char origin[GS_VKEY_NAME_MAX + 1]; /* of the checkpoint ("" if unparsed) */
    uint64_t size;
    gs_hash root;
    bool log_signed;     /* a listed log key's signature verified */
    bool quorum_met;     /* the quorum is satisfied */
    size_t n_witnesses;  /* = gs_policy_witness_count */
    bool *cosigned;      /* per witness: a valid cosignature/v1 line */
    int64_t *timestamps; /* per witness: its cosignature time when cosigned */
    bool *bad;           /* per witness: a line by its key did not verify */
    /* the witness whose key is the log's own key, counted by the log's
     * signature (cosigned[] stays false) */
    bool self_counted;
    size_t self_witness;
} gs_policy_result;

void gs_policy_result_clear(gs_policy_result *r);

/* Checks a (cosigned) checkpoint note: it parses as a checkpoint, its origin
 * is a listed log whose key signed it, and the quorum is met by cosignatures
 * of listed witnesses. A cosignature line that does not verify does not
 * count (and is marked bad). Returns 0 when trusted; GS_ENOTFOUND when the
 * origin is not a listed log, GS_EVERIFY when the log signature or the
 * quorum fails (the sentence says which witnesses cosigned and what was
 * missing), GS_EINVAL when the note does not parse. res (may be NULL) is
 * filled as far as the check got; clear it with gs_policy_result_clear.
 *
 * When a listed witness wraps the very key the log signs with (a hub's own
 * log: its cosigner key is its log key under alg 0x04), that witness counts
 * toward the quorum once the log's signature verified (res->self_counted).
 * That key could add a cosignature line to its own checkpoint whenever it
 * liked, and this check would then accept it, so asking for the line proves
 * nothing more; it is what lets a lone hub, whose log nobody else cosigns,
 * be judged by the file's quorum when that quorum is the hub itself. Every
 * other witness counts only by a valid cosignature line, and nothing changes
 * for a log whose key is no witness (a node's log). One check for every
 * verifier — the audit, `verify`, `verify-evidence`, the monitor — so they
 * reach the same verdict from the same note and trust file. */
int gs_policy_verify_checkpoint(const gs_policy *p, const char *note, size_t len,
                                gs_policy_result *res, gs_error *err) GS_MUST_USE;
/* The same with the log's signature checked against log_key instead of the
 * file's key for the origin: the key a rotation of the log key (keychain.h)
 * made the log key for the checkpoint's size, which the caller followed from
 * the file's key. log_key NULL: the file's key. */
int gs_policy_verify_checkpoint_key(const gs_policy *p, const char *note, size_t len,
                                    const gs_vkey *log_key, gs_policy_result *res,
                                    gs_error *err) GS_MUST_USE;

#endif
