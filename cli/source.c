/* source.c — the audit engine's entry source over ZeroMQ (cli_call), and
 * the trust file with the sentence verify and audit print. See audit.h. */
#include <stdlib.h>
#include <string.h>

#include "inspect.h"

int cli_trust_load(const char *path, gs_policy **out, gs_error *err)
{
    int rc = gs_policy_load(path, out, err);
    if (rc != 0 && strstr(err->msg, path) == NULL)
        gs_error_wrap(err, "trust file %s", path);
    return rc;
}

static int read_checkpoint(void *ctx, const char *origin, char **note, gs_error *err)
{
    cli_conn *cn = ctx;
    gs_request rq = {0};
    gs_response rs;
    rq.op = GS_OP_GET_CHECKPOINT;
    rq.origin = origin;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_CHECKPOINT || rs.u.checkpoint == NULL) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EVERIFY, "the endpoint answered GetCheckpoint(%s) without one",
                            origin[0] ? origin : "its own log");
    }
    *note = gs_wire_take(rs.u.checkpoint);
    rs.u.checkpoint = NULL;
    gs_response_clear(&rs);
    return 0;
}

static int read_page(void *ctx, const char *origin, uint64_t start, uint32_t count,
                     gs_buf **entries, size_t *n, gs_error *err)
{
    cli_conn *cn = ctx;
    gs_request rq = {0};
    gs_response rs = {0};
    rq.op = GS_OP_GET_ENTRIES;
    rq.origin = origin;
    rq.u.get_entries.start = start;
    rq.u.get_entries.count = count;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    /* The engine checks the page's length; where it starts only the
     * reply says. */
    if (rs.result != GS_RESULT_ENTRIES || rs.u.entries.start != start) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_ENOTFOUND, "the endpoint did not serve entry %llu of %s",
                            (unsigned long long)start, origin);
    }
    *entries = rs.u.entries.entries;
    *n = rs.u.entries.n;
    rs.u.entries.entries = NULL;
    rs.u.entries.n = 0;
    gs_response_clear(&rs);
    return 0;
}

/* GetEvidence(origin): the bytes as the hub serves them; the audit engine
 * judges each piece itself. */
static int read_evidence(void *ctx, const char *origin, gs_buf **items, size_t *n, gs_error *err)
{
    cli_conn *cn = ctx;
    gs_request rq = {0};
    gs_response rs = {0};
    rq.op = GS_OP_GET_EVIDENCE;
    rq.origin = origin;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_EVIDENCE) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EINVAL,
                            "the endpoint answered GetEvidence(%s) with another kind of result",
                            origin);
    }
    *items = rs.u.evidence.items;
    *n = rs.u.evidence.n;
    rs.u.evidence.items = NULL;
    rs.u.evidence.n = 0;
    gs_response_clear(&rs);
    return 0;
}

/* GetKeyChain(origin, size): the rotations as served; the audit engine
 * checks them from the trust file's key (keychain.h). */
static int read_key_chain(void *ctx, const char *origin, uint64_t size, gs_key_link **links,
                          size_t *n, gs_error *err)
{
    cli_conn *cn = ctx;
    gs_request rq = {0};
    gs_response rs = {0};
    rq.op = GS_OP_GET_KEY_CHAIN;
    rq.origin = origin;
    rq.u.get_key_chain.size = size;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_KEY_CHAIN || rs.u.key_chain.size != size) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EVERIFY,
                            "the endpoint answered GetKeyChain(%s, %llu) with something else",
                            origin, (unsigned long long)size);
    }
    *links = rs.u.key_chain.links;
    *n = rs.u.key_chain.n;
    rs.u.key_chain.links = NULL;
    rs.u.key_chain.n = 0;
    gs_response_clear(&rs);
    return 0;
}

void cli_audit_source(cli_conn *cn, gs_audit_source *out)
{
    out->ctx = cn;
    out->read_checkpoint = read_checkpoint;
    out->read_page = read_page;
    out->read_evidence = read_evidence;
    out->read_key_chain = read_key_chain;
}
