/* test_wire.c — protobuf at the edge: round trips, every refusal, signatures.
 *
 * The protobuf bytes the decoders are fed are built here by a small
 * independent writer (protobuf encoding spec: varints, zigzag for sint64,
 * tag = field << 3 | wire type, proto3 leaves zero values out, fields in
 * number order), not by the code under test. Valid statements must decode
 * to the values written and encode back to exactly the same bytes. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merkle.h"
#include "wire.h"

/* ------------------------------------------------ an independent writer */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} pb;

static void pb_raw(pb *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void pb_varint(pb *b, uint64_t v)
{
    uint8_t c;
    do {
        c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        pb_raw(b, &c, 1);
    } while (v);
}

static void pb_tag(pb *b, int field, int wt)
{
    pb_varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

static void pb_len(pb *b, int field, const void *p, size_t n)
{
    pb_tag(b, field, 2);
    pb_varint(b, n);
    pb_raw(b, p, n);
}

static void pb_uint(pb *b, int field, uint64_t v)
{
    if (v == 0)
        return;
    pb_tag(b, field, 0);
    pb_varint(b, v);
}

static void pb_sint(pb *b, int field, int64_t v)
{
    pb_uint(b, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void pb_msg(pb *b, int field, pb *sub)
{
    pb_len(b, field, sub->p, sub->n);
    free(sub->p);
    memset(sub, 0, sizeof *sub);
}

static void pb_free(pb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* One override per case: the field named key gets a different value. */
enum { OV_STR = 1, OV_LEN, OV_INT, OV_OMIT, OV_COUNT };
typedef struct {
    const char *key;
    int kind;
    const char *s; /* OV_STR */
    size_t slen;   /* OV_STR: bytes of s to write (0: strlen) */
    int64_t i;     /* OV_LEN: byte length; OV_INT: value; OV_COUNT: items */
} override;

static const override *cur;

static bool is(const char *key)
{
    return cur != NULL && strcmp(cur->key, key) == 0;
}

static void w_str(pb *b, int f, const char *key, const char *def)
{
    if (is(key) && cur->kind == OV_STR) {
        size_t n = cur->slen ? cur->slen : strlen(cur->s);
        if (n)
            pb_len(b, f, cur->s, n);
    } else if (def[0]) {
        pb_len(b, f, def, strlen(def));
    }
}

/* Byte fields are filled with a byte derived from the field number, so the
 * decoded value can be checked. */
static void w_bytes(pb *b, int f, const char *key, size_t n)
{
    uint8_t buf[70000];
    if (is(key) && cur->kind == OV_LEN)
        n = (size_t)cur->i;
    memset(buf, 0x40 + f, n);
    if (n)
        pb_len(b, f, buf, n);
}

static void w_uint(pb *b, int f, const char *key, uint64_t def)
{
    pb_uint(b, f, is(key) && cur->kind == OV_INT ? (uint64_t)cur->i : def);
}

static void w_sint(pb *b, int f, const char *key, int64_t def)
{
    pb_sint(b, f, is(key) && cur->kind == OV_INT ? cur->i : def);
}

/* A repeated bytes field of count items of len bytes. */
static void w_list(pb *b, int f, const char *key, size_t count, size_t len)
{
    if (is(key) && cur->kind == OV_COUNT)
        count = (size_t)cur->i;
    uint8_t buf[70000];
    if (is(key) && cur->kind == OV_LEN)
        len = (size_t)cur->i;
    memset(buf, 0x40 + f, len);
    /* every element of a repeated field is written, even an empty one */
    for (size_t k = 0; k < count; k++)
        pb_len(b, f, buf, len);
}

static void w_ref(pb *b, int f, const char *key)
{
    char k[64];
    pb r = {0};
    if (is(key) && cur->kind == OV_OMIT)
        return;
    snprintf(k, sizeof k, "%s.origin", key);
    w_str(&r, 1, k, "giamsat/province/ha-noi");
    snprintf(k, sizeof k, "%s.index", key);
    w_uint(&r, 2, k, 42);
    snprintf(k, sizeof k, "%s.leaf_hash", key);
    w_bytes(&r, 3, k, 32);
    pb_msg(b, f, &r);
}

/* A RuleParameters naming feedback_per_day. OV_OMIT on key leaves the
 * message out; OV_INT on "<key>.feedback_per_day" another value (0: an empty
 * message). */
static void w_params(pb *b, int f, const char *key, uint64_t feedback_per_day)
{
    char k[64];
    pb r = {0};
    if (is(key) && cur->kind == OV_OMIT)
        return;
    snprintf(k, sizeof k, "%s.feedback_per_day", key);
    w_uint(&r, 1, k, feedback_per_day);
    snprintf(k, sizeof k, "%s.partial_percent", key); /* 0 unless overridden */
    w_uint(&r, 3, k, 0);
    pb_msg(b, f, &r);
}

#define ORIGIN "giamsat/commune/phuong-1"
#define DEADLINE 1767225600

static void body(pb *b, int kind)
{
    switch (kind) {
    case GS_BODY_CHARTER:
        w_str(b, 1, "charter.unit", "phuong-1");
        w_uint(b, 2, "charter.tier", 1);
        w_str(b, 3, "charter.display_name", "Phường 1");
        w_str(b, 4, "charter.parent_origin", "giamsat/province/ha-noi");
        w_bytes(b, 5, "charter.parent_log_key", 32);
        w_params(b, 6, "charter.parameters", 20);
        w_str(b, 7, "charter.time_zone", ""); /* none unless overridden */
        break;
    case GS_BODY_APPOINTMENT:
        w_bytes(b, 1, "appointment.person", 32);
        w_str(b, 2, "appointment.name", "Nguyễn Văn A");
        w_uint(b, 3, "appointment.role", 1);
        w_str(b, 4, "appointment.title", "Chủ tịch");
        w_str(b, 5, "appointment.decision", "QD-1/2026");
        break;
    case GS_BODY_RESIGNATION: w_str(b, 1, "resignation.reason", "health\treasons"); break;
    case GS_BODY_DISMISSAL:
        w_bytes(b, 1, "dismissal.person", 32);
        w_str(b, 2, "dismissal.reason", "reassigned");
        break;
    case GS_BODY_KEY_ROTATION: w_bytes(b, 1, "key_rotation.new_key", 32); break;
    case GS_BODY_COMMITMENT:
        w_str(b, 1, "commitment.id", "road-2026.1_a");
        w_str(b, 2, "commitment.title", "Pave the road");
        w_str(b, 3, "commitment.indicator", "paved length");
        w_str(b, 4, "commitment.unit_of_measure", "km");
        w_sint(b, 5, "commitment.target", 12500000);
        w_uint(b, 6, "commitment.direction", 1);
        w_uint(b, 7, "commitment.deadline", DEADLINE);
        w_ref(b, 8, "commitment.parent");
        break;
    case GS_BODY_PROGRESS:
        w_str(b, 1, "progress.commitment_id", "road-2026.1_a");
        w_sint(b, 2, "progress.value", -3000000);
        w_str(b, 3, "progress.note", "half\ndone");
        w_bytes(b, 4, "progress.evidence_hash", 32);
        break;
    case GS_BODY_OUTCOME:
        w_str(b, 1, "outcome.commitment_id", "road-2026.1_a");
        w_sint(b, 2, "outcome.value", 13000000);
        w_bytes(b, 3, "outcome.evidence_hash", 32);
        break;
    case GS_BODY_FINDING:
        w_ref(b, 1, "finding.about");
        w_uint(b, 2, "finding.severity", 3);
        w_str(b, 3, "finding.text", "funds moved");
        w_bytes(b, 4, "finding.evidence_hash", 32);
        w_uint(b, 5, "finding.verdict", 0); /* none unless overridden */
        break;
    case GS_BODY_FEEDBACK:
        w_ref(b, 1, "feedback.about");
        w_str(b, 2, "feedback.text", "the road is still mud");
        w_uint(b, 3, "feedback.rating", 0); /* none unless overridden */
        break;
    case GS_BODY_RESPONSE:
        w_ref(b, 1, "response.to");
        w_str(b, 2, "response.text", "paving resumes Monday");
        break;
    case GS_BODY_OBSERVATION:
        w_str(b, 1, "observation.origin", ORIGIN);
        w_uint(b, 2, "observation.size", 1000);
        w_bytes(b, 3, "observation.root_hash", 32);
        w_uint(b, 4, "observation.time", 1700000100);
        break;
    case GS_BODY_EVIDENCE:
        w_uint(b, 1, "evidence.kind", 1);
        w_str(b, 2, "evidence.origin", ORIGIN);
        w_str(b, 3, "evidence.log_key", "giamsat/commune/phuong-1+01234567+AQID");
        w_str(b, 4, "evidence.checkpoint_a", "a\n1\nx\n");
        w_str(b, 5, "evidence.checkpoint_b", "b\n2\ny\n");
        w_list(b, 6, "evidence.consistency_proof", 2, 32);
        w_uint(b, 7, "evidence.first_index", 5);
        w_list(b, 8, "evidence.entries", 3, 10);
        w_list(b, 9, "evidence.inclusion_proof", 1, 32);
        w_list(b, 10, "evidence.frontier", 1, 32);
        w_str(b, 11, "evidence.reason", "two roots for size 2");
        w_uint(b, 12, "evidence.detected_at", 1700000200);
        break;
    case GS_BODY_PARAMETER_CHANGE: w_params(b, 1, "parameter_change.parameters", 5); break;
    case GS_BODY_REVISION:
        w_str(b, 1, "revision.commitment_id", "road-2026.1_a");
        w_uint(b, 2, "revision.has_target", 1);
        w_sint(b, 3, "revision.target", -10000000);
        w_uint(b, 4, "revision.deadline", DEADLINE + 86400);
        w_str(b, 5, "revision.reason", "budget cut by the province");
        break;
    }
}

/* Statement bytes: signer, seq, issued_at, origin, then body field 9+kind
 * (Revision, kind 15, is field 24). */
static void statement_bytes(pb *out, int kind, const override *ov)
{
    pb bd = {0};
    cur = ov;
    w_bytes(out, 1, "signer", 32);
    w_uint(out, 2, "seq", 7);
    w_uint(out, 3, "issued_at", 1700000000);
    w_str(out, 4, "origin", ORIGIN);
    if (kind != GS_BODY_NONE) {
        body(&bd, kind);
        pb_msg(out, 9 + kind, &bd);
    }
    cur = NULL;
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void filled(const uint8_t *b, size_t n, int field)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b[i], 0x40 + field);
}

/* -------------------------------------------------------- round trips */

static void test_statement_round_trip(void **state)
{
    (void)state;
    for (int kind = GS_BODY_CHARTER; kind <= GS_BODY_REVISION; kind++) {
        pb in = {0};
        gs_statement st;
        gs_buf again = {0};
        gs_error err = {0};
        statement_bytes(&in, kind, NULL);
        int rc = gs_wire_decode_statement(gs_bytes_of(in.p, in.n), &st, &err);
        if (rc != 0)
            fail_msg("%s: %s", gs_body_name((gs_body_kind)kind), err.msg);
        assert_int_equal(st.kind, kind);
        filled(st.signer.b, 32, 1);
        assert_int_equal(st.seq, 7);
        assert_int_equal(st.issued_at, 1700000000);
        assert_string_equal(st.origin, ORIGIN);
        switch (kind) {
        case GS_BODY_CHARTER:
            assert_string_equal(st.u.charter.unit, "phuong-1");
            assert_int_equal(st.u.charter.tier, GS_TIER_COMMUNE);
            assert_string_equal(st.u.charter.display_name, "Phường 1");
            assert_string_equal(st.u.charter.parent_origin, "giamsat/province/ha-noi");
            assert_true(st.u.charter.has_parent_key);
            filled(st.u.charter.parent_key.b, 32, 5);
            assert_int_equal(st.u.charter.parameters.feedback_per_day, 20);
            assert_int_equal(st.u.charter.parameters.partial_percent, 0);
            assert_string_equal(st.u.charter.time_zone, "");
            break;
        case GS_BODY_REVISION:
            assert_string_equal(st.u.revision.commitment_id, "road-2026.1_a");
            assert_true(st.u.revision.has_target);
            assert_int_equal(st.u.revision.target, -10000000);
            assert_int_equal(st.u.revision.deadline, DEADLINE + 86400);
            assert_string_equal(st.u.revision.reason, "budget cut by the province");
            assert_string_equal(gs_body_name(st.kind), "revision");
            break;
        case GS_BODY_PARAMETER_CHANGE:
            assert_int_equal(st.u.parameter_change.parameters.feedback_per_day, 5);
            assert_string_equal(gs_body_name(st.kind), "parameter-change");
            break;
        case GS_BODY_APPOINTMENT:
            filled(st.u.appointment.person.b, 32, 1);
            assert_string_equal(st.u.appointment.name, "Nguyễn Văn A");
            assert_int_equal(st.u.appointment.role, GS_ROLE_HEAD);
            assert_string_equal(st.u.appointment.title, "Chủ tịch");
            assert_string_equal(st.u.appointment.decision, "QD-1/2026");
            break;
        case GS_BODY_RESIGNATION:
            assert_string_equal(st.u.resignation.reason, "health\treasons");
            break;
        case GS_BODY_DISMISSAL:
            filled(st.u.dismissal.person.b, 32, 1);
            assert_string_equal(st.u.dismissal.reason, "reassigned");
            break;
        case GS_BODY_KEY_ROTATION: filled(st.u.key_rotation.new_key.b, 32, 1); break;
        case GS_BODY_COMMITMENT:
            assert_string_equal(st.u.commitment.id, "road-2026.1_a");
            assert_string_equal(st.u.commitment.title, "Pave the road");
            assert_string_equal(st.u.commitment.indicator, "paved length");
            assert_string_equal(st.u.commitment.unit_of_measure, "km");
            assert_int_equal(st.u.commitment.target, 12500000);
            assert_int_equal(st.u.commitment.direction, GS_DIRECTION_AT_LEAST);
            assert_int_equal(st.u.commitment.deadline, DEADLINE);
            assert_true(st.u.commitment.has_parent);
            assert_string_equal(st.u.commitment.parent.origin, "giamsat/province/ha-noi");
            assert_int_equal(st.u.commitment.parent.index, 42);
            filled(st.u.commitment.parent.leaf_hash.b, 32, 3);
            break;
        case GS_BODY_PROGRESS:
            assert_string_equal(st.u.progress.commitment_id, "road-2026.1_a");
            assert_int_equal(st.u.progress.value, -3000000);
            assert_string_equal(st.u.progress.note, "half\ndone");
            assert_true(st.u.progress.has_evidence);
            filled(st.u.progress.evidence_hash.b, 32, 4);
            break;
        case GS_BODY_OUTCOME:
            assert_int_equal(st.u.outcome.value, 13000000);
            assert_true(st.u.outcome.has_evidence);
            break;
        case GS_BODY_FINDING:
            assert_int_equal(st.u.finding.severity, GS_SEVERITY_HIGH);
            assert_string_equal(st.u.finding.text, "funds moved");
            assert_int_equal(st.u.finding.about.index, 42);
            assert_int_equal(st.u.finding.verdict, GS_VERDICT_NONE);
            break;
        case GS_BODY_FEEDBACK:
            assert_true(st.u.feedback.has_about);
            assert_string_equal(st.u.feedback.text, "the road is still mud");
            assert_int_equal(st.u.feedback.rating, 0);
            break;
        case GS_BODY_RESPONSE:
            assert_string_equal(st.u.response.to.origin, "giamsat/province/ha-noi");
            assert_string_equal(st.u.response.text, "paving resumes Monday");
            break;
        case GS_BODY_OBSERVATION:
            assert_string_equal(st.u.observation.origin, ORIGIN);
            assert_int_equal(st.u.observation.size, 1000);
            filled(st.u.observation.root.b, 32, 3);
            assert_int_equal(st.u.observation.time, 1700000100);
            break;
        case GS_BODY_EVIDENCE:
            assert_int_equal(st.u.evidence.kind, GS_EVIDENCE_SPLIT_VIEW);
            assert_string_equal(st.u.evidence.checkpoint_b, "b\n2\ny\n");
            assert_int_equal(st.u.evidence.n_consistency_proof, 2);
            assert_int_equal(st.u.evidence.n_entries, 3);
            assert_int_equal(st.u.evidence.entries[2].n, 10);
            filled(st.u.evidence.entries[2].p, 10, 8);
            assert_int_equal(st.u.evidence.n_inclusion_proof, 1);
            assert_int_equal(st.u.evidence.n_frontier, 1);
            assert_int_equal(st.u.evidence.first_index, 5);
            assert_int_equal(st.u.evidence.detected_at, 1700000200);
            break;
        }
        /* Encoding the struct gives back the independently written bytes. */
        assert_int_equal(gs_wire_encode_statement(&st, &again, &err), 0);
        assert_int_equal(again.n, in.n);
        assert_memory_equal(again.p, in.p, in.n);
        gs_buf_free(&again);
        gs_statement_clear(&st);
        assert_true(all_zero(&st, sizeof st));
        gs_statement_clear(&st); /* safe on a zeroed struct */
        pb_free(&in);
    }
}

/* Issue 10's fields, each set on its own: they decode to what was written
 * and encode back to the same bytes. */
static void test_issue10_fields(void **state)
{
    (void)state;
    static const struct {
        int kind;
        override ov;
    } cases[] = {
        {GS_BODY_CHARTER, {"charter.time_zone", OV_STR, "Asia/Ho_Chi_Minh", 0, 0}},
        {GS_BODY_CHARTER, {"charter.parameters.partial_percent", OV_INT, NULL, 0, 80}},
        {GS_BODY_PARAMETER_CHANGE,
         {"parameter_change.parameters.partial_percent", OV_INT, NULL, 0, 60}},
        {GS_BODY_FINDING, {"finding.verdict", OV_INT, NULL, 0, GS_VERDICT_CONFIRMS}},
        {GS_BODY_FINDING, {"finding.verdict", OV_INT, NULL, 0, GS_VERDICT_CONTESTS}},
        {GS_BODY_FEEDBACK, {"feedback.rating", OV_INT, NULL, 0, 5}},
        /* out of range for the rule book (rule 15), not for the wire */
        {GS_BODY_FEEDBACK, {"feedback.rating", OV_INT, NULL, 0, 9}},
        {GS_BODY_REVISION, {"revision.deadline", OV_INT, NULL, 0, 0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pb in = {0};
        gs_statement st;
        gs_buf again = {0};
        gs_error err = {0};
        const override *o = &cases[i].ov;
        statement_bytes(&in, cases[i].kind, o);
        if (gs_wire_decode_statement(gs_bytes_of(in.p, in.n), &st, &err) != 0)
            fail_msg("%s: %s", o->key, err.msg);
        switch (i) {
        case 0: assert_string_equal(st.u.charter.time_zone, "Asia/Ho_Chi_Minh"); break;
        case 1: assert_int_equal(st.u.charter.parameters.partial_percent, 80); break;
        case 2:
            assert_int_equal(st.u.parameter_change.parameters.partial_percent, 60);
            assert_int_equal(st.u.parameter_change.parameters.feedback_per_day, 5);
            break;
        case 3: assert_int_equal(st.u.finding.verdict, GS_VERDICT_CONFIRMS); break;
        case 4: assert_int_equal(st.u.finding.verdict, GS_VERDICT_CONTESTS); break;
        case 5: assert_int_equal(st.u.feedback.rating, 5); break;
        case 6: assert_int_equal(st.u.feedback.rating, 9); break;
        case 7:
            assert_int_equal(st.u.revision.deadline, 0);
            assert_true(st.u.revision.has_target);
            break;
        }
        assert_int_equal(gs_wire_encode_statement(&st, &again, &err), 0);
        assert_int_equal(again.n, in.n);
        assert_memory_equal(again.p, in.p, in.n);
        gs_buf_free(&again);
        gs_statement_clear(&st);
        pb_free(&in);
    }

    /* A revision of the deadline only: no target on the wire, and the
     * encoder writes none even when the struct holds a stale one. */
    gs_statement st;
    memset(&st, 0, sizeof st);
    memset(st.signer.b, 0x41, sizeof st.signer.b);
    st.seq = 7;
    st.issued_at = 1700000000;
    st.origin = ORIGIN;
    st.kind = GS_BODY_REVISION;
    st.u.revision.commitment_id = "road-2026.1_a";
    st.u.revision.has_target = false;
    st.u.revision.target = 123;
    st.u.revision.deadline = DEADLINE;
    st.u.revision.reason = "rain";
    gs_buf out = {0};
    gs_error err = {0};
    gs_statement back;
    assert_int_equal(gs_wire_encode_statement(&st, &out, &err), 0);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(out.p, out.n), &back, &err), 0);
    assert_int_equal(back.kind, GS_BODY_REVISION);
    assert_false(back.u.revision.has_target);
    assert_int_equal(back.u.revision.target, 0);
    assert_int_equal(back.u.revision.deadline, DEADLINE);
    assert_string_equal(back.u.revision.reason, "rain");
    gs_statement_clear(&back);
    gs_buf_free(&out);
}

/* Optional parts left out decode as absent and encode back the same. */
static void test_statement_optional_absent(void **state)
{
    (void)state;
    static const override ovs[] = {
        {"commitment.parent", OV_OMIT, NULL, 0, 0},     {"feedback.about", OV_OMIT, NULL, 0, 0},
        {"progress.evidence_hash", OV_LEN, NULL, 0, 0}, {"charter.parent_origin", OV_STR, "", 0, 0},
        {"resignation.reason", OV_STR, "", 0, 0},
    };
    static const int kinds[] = {GS_BODY_COMMITMENT, GS_BODY_FEEDBACK, GS_BODY_PROGRESS,
                                GS_BODY_CHARTER, GS_BODY_RESIGNATION};
    for (size_t i = 0; i < sizeof ovs / sizeof ovs[0]; i++) {
        pb in = {0};
        gs_statement st;
        gs_buf again = {0};
        gs_error err = {0};
        override o = ovs[i];
        if (kinds[i] == GS_BODY_CHARTER) {
            /* no parent origin means no parent key either: build by hand */
            pb bd = {0};
            w_bytes(&in, 1, "signer", 32);
            w_uint(&in, 2, "seq", 7);
            w_str(&in, 4, "origin", "giamsat/central/vn");
            w_str(&bd, 1, "x", "vn");
            w_uint(&bd, 2, "x", 3);
            w_str(&bd, 3, "x", "Trung ương");
            pb_msg(&in, 10, &bd);
        } else {
            statement_bytes(&in, kinds[i], &o);
        }
        if (gs_wire_decode_statement(gs_bytes_of(in.p, in.n), &st, &err) != 0)
            fail_msg("%s: %s", ovs[i].key, err.msg);
        switch (kinds[i]) {
        case GS_BODY_COMMITMENT: assert_false(st.u.commitment.has_parent); break;
        case GS_BODY_FEEDBACK: assert_false(st.u.feedback.has_about); break;
        case GS_BODY_PROGRESS: assert_false(st.u.progress.has_evidence); break;
        case GS_BODY_CHARTER:
            assert_null(st.u.charter.parent_origin);
            assert_false(st.u.charter.has_parent_key);
            /* no parameters: the rule book's defaults */
            assert_false(gs_rule_parameters_set(&st.u.charter.parameters));
            break;
        case GS_BODY_RESIGNATION: assert_string_equal(st.u.resignation.reason, ""); break;
        }
        assert_int_equal(gs_wire_encode_statement(&st, &again, &err), 0);
        assert_int_equal(again.n, in.n);
        assert_memory_equal(again.p, in.p, in.n);
        gs_buf_free(&again);
        gs_statement_clear(&st);
        pb_free(&in);
    }
}

/* ---------------------------------------------------- statement refusals */

static char long_str[GS_MAX_TEXT + 2];

static const struct {
    const char *name;
    int kind;
    override ov;
    int want;
    const char *msg;
} refusals[] = {
    {"signer short",
     GS_BODY_RESIGNATION,
     {"signer", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "statement.signer: 31 bytes, expected 32"},
    {"signer missing",
     GS_BODY_RESIGNATION,
     {"signer", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "statement.signer: missing"},
    {"origin unknown tier",
     GS_BODY_RESIGNATION,
     {"origin", OV_STR, "giamsat/town/x", 0, 0},
     GS_EINVAL,
     "statement.origin: origin \"giamsat/town/x\""},
    {"origin upper case",
     GS_BODY_RESIGNATION,
     {"origin", OV_STR, "giamsat/commune/Ha", 0, 0},
     GS_EINVAL,
     "statement.origin"},
    {"origin unit too long",
     GS_BODY_RESIGNATION,
     {"origin", OV_STR,
      "giamsat/hub/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0},
     GS_EINVAL,
     "statement.origin"},
    {"origin missing",
     GS_BODY_RESIGNATION,
     {"origin", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.origin: origin is empty"},
    {"no body", GS_BODY_NONE, {"x", 0, 0, 0, 0}, GS_EINVAL, "statement: has no body"},
    {"charter unit",
     GS_BODY_CHARTER,
     {"charter.unit", OV_STR, "Ha Noi", 0, 0},
     GS_EINVAL,
     "statement.charter.unit"},
    {"charter tier missing",
     GS_BODY_CHARTER,
     {"charter.tier", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.charter.tier: missing"},
    {"charter tier unknown",
     GS_BODY_CHARTER,
     {"charter.tier", OV_INT, 0, 0, 5},
     GS_EINVAL,
     "statement.charter.tier: unknown value 5"},
    {"charter parent origin",
     GS_BODY_CHARTER,
     {"charter.parent_origin", OV_STR, "giamsat/province/", 0, 0},
     GS_EINVAL,
     "statement.charter.parent_origin"},
    {"charter parent key short",
     GS_BODY_CHARTER,
     {"charter.parent_log_key", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "statement.charter.parent_log_key: 31 bytes"},
    {"charter parent key missing",
     GS_BODY_CHARTER,
     {"charter.parent_log_key", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "statement.charter.parent_log_key: missing"},
    {"charter display name newline",
     GS_BODY_CHARTER,
     {"charter.display_name", OV_STR, "a\nb", 0, 0},
     GS_EINVAL,
     "statement.charter.display_name: contains the control character U+000A"},
    {"appointment person long",
     GS_BODY_APPOINTMENT,
     {"appointment.person", OV_LEN, 0, 0, 33},
     GS_EINVAL,
     "statement.appointment.person: 33 bytes"},
    {"appointment role missing",
     GS_BODY_APPOINTMENT,
     {"appointment.role", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.appointment.role: missing"},
    {"appointment role unknown",
     GS_BODY_APPOINTMENT,
     {"appointment.role", OV_INT, 0, 0, 5},
     GS_EINVAL,
     "statement.appointment.role: unknown value 5"},
    {"appointment name missing",
     GS_BODY_APPOINTMENT,
     {"appointment.name", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.appointment.name: missing"},
    {"appointment name too long",
     GS_BODY_APPOINTMENT,
     {"appointment.name", OV_STR, long_str, GS_MAX_NAME + 1, 0},
     GS_EINVAL,
     "statement.appointment.name: longer than 256 bytes"},
    {"appointment title tab",
     GS_BODY_APPOINTMENT,
     {"appointment.title", OV_STR, "a\tb", 0, 0},
     GS_EINVAL,
     "statement.appointment.title: contains the control character U+0009"},
    {"dismissal reason missing",
     GS_BODY_DISMISSAL,
     {"dismissal.reason", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.dismissal.reason: missing"},
    {"key rotation new key missing",
     GS_BODY_KEY_ROTATION,
     {"key_rotation.new_key", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "statement.key_rotation.new_key: missing"},
    {"commitment id space",
     GS_BODY_COMMITMENT,
     {"commitment.id", OV_STR, "a b", 0, 0},
     GS_EINVAL,
     "statement.commitment.id: byte 1 is not one of [A-Za-z0-9._-]"},
    {"commitment id slash",
     GS_BODY_COMMITMENT,
     {"commitment.id", OV_STR, "a/b", 0, 0},
     GS_EINVAL,
     "statement.commitment.id"},
    {"commitment id too long",
     GS_BODY_COMMITMENT,
     {"commitment.id", OV_STR, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      0, 0},
     GS_EINVAL,
     "statement.commitment.id: longer than 64 bytes"},
    {"commitment id missing",
     GS_BODY_COMMITMENT,
     {"commitment.id", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.commitment.id: missing"},
    {"commitment title missing",
     GS_BODY_COMMITMENT,
     {"commitment.title", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.commitment.title: missing"},
    {"commitment direction missing",
     GS_BODY_COMMITMENT,
     {"commitment.direction", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.commitment.direction: missing"},
    {"commitment direction unknown",
     GS_BODY_COMMITMENT,
     {"commitment.direction", OV_INT, 0, 0, 3},
     GS_EINVAL,
     "statement.commitment.direction: unknown value 3"},
    {"commitment deadline missing",
     GS_BODY_COMMITMENT,
     {"commitment.deadline", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.commitment.deadline: missing"},
    {"commitment deadline negative",
     GS_BODY_COMMITMENT,
     {"commitment.deadline", OV_INT, 0, 0, -5},
     GS_EINVAL,
     "statement.commitment.deadline"},
    {"commitment parent origin",
     GS_BODY_COMMITMENT,
     {"commitment.parent.origin", OV_STR, "nope", 0, 0},
     GS_EINVAL,
     "statement.commitment.parent.origin"},
    {"commitment parent leaf hash",
     GS_BODY_COMMITMENT,
     {"commitment.parent.leaf_hash", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "statement.commitment.parent.leaf_hash: 31 bytes, expected 32"},
    {"progress commitment id",
     GS_BODY_PROGRESS,
     {"progress.commitment_id", OV_STR, "x y", 0, 0},
     GS_EINVAL,
     "statement.progress.commitment_id"},
    {"progress evidence hash",
     GS_BODY_PROGRESS,
     {"progress.evidence_hash", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "statement.progress.evidence_hash: 31 bytes, expected 32"},
    {"progress note bad utf-8",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "ok\xc3\x28", 0, 0},
     GS_EINVAL,
     "statement.progress.note: not valid UTF-8"},
    {"progress note overlong utf-8",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "\xc0\xaf", 0, 0},
     GS_EINVAL,
     "statement.progress.note: not valid UTF-8"},
    {"progress note surrogate",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "\xed\xa0\x80", 0, 0},
     GS_EINVAL,
     "statement.progress.note: not valid UTF-8"},
    {"progress note truncated utf-8",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "\xe1\xba", 0, 0},
     GS_EINVAL,
     "statement.progress.note: not valid UTF-8"},
    {"progress note control",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "a\x01", 0, 0},
     GS_EINVAL,
     "statement.progress.note: contains the control character U+0001"},
    {"progress note C1 control",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "a\xc2\x85", 0, 0},
     GS_EINVAL,
     "statement.progress.note: contains the control character U+0085"},
    {"progress note NUL",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, "a\0b", 3, 0},
     GS_EINVAL,
     "statement.progress.note: contains a NUL byte"},
    {"progress note too long",
     GS_BODY_PROGRESS,
     {"progress.note", OV_STR, long_str, GS_MAX_TEXT + 1, 0},
     GS_EINVAL,
     "statement.progress.note: longer than 8192 bytes"},
    {"outcome evidence hash",
     GS_BODY_OUTCOME,
     {"outcome.evidence_hash", OV_LEN, 0, 0, 16},
     GS_EINVAL,
     "statement.outcome.evidence_hash: 16 bytes"},
    {"outcome commitment id missing",
     GS_BODY_OUTCOME,
     {"outcome.commitment_id", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.outcome.commitment_id: missing"},
    {"finding about missing",
     GS_BODY_FINDING,
     {"finding.about", OV_OMIT, 0, 0, 0},
     GS_EINVAL,
     "statement.finding.about: missing"},
    {"finding severity missing",
     GS_BODY_FINDING,
     {"finding.severity", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.finding.severity: missing"},
    {"finding severity unknown",
     GS_BODY_FINDING,
     {"finding.severity", OV_INT, 0, 0, 4},
     GS_EINVAL,
     "statement.finding.severity: unknown value 4"},
    {"finding text missing",
     GS_BODY_FINDING,
     {"finding.text", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.finding.text: missing"},
    {"feedback text missing",
     GS_BODY_FEEDBACK,
     {"feedback.text", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.feedback.text: missing"},
    {"feedback about leaf hash",
     GS_BODY_FEEDBACK,
     {"feedback.about.leaf_hash", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "statement.feedback.about.leaf_hash: missing"},
    {"response to missing",
     GS_BODY_RESPONSE,
     {"response.to", OV_OMIT, 0, 0, 0},
     GS_EINVAL,
     "statement.response.to: missing"},
    {"observation origin",
     GS_BODY_OBSERVATION,
     {"observation.origin", OV_STR, "x", 0, 0},
     GS_EINVAL,
     "statement.observation.origin"},
    {"observation root",
     GS_BODY_OBSERVATION,
     {"observation.root_hash", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "statement.observation.root_hash: 31 bytes"},
    {"evidence kind missing",
     GS_BODY_EVIDENCE,
     {"evidence.kind", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.evidence.kind: missing"},
    {"evidence kind unknown",
     GS_BODY_EVIDENCE,
     {"evidence.kind", OV_INT, 0, 0, 5},
     GS_EINVAL,
     "statement.evidence.kind: unknown value 5"},
    {"evidence proof too long",
     GS_BODY_EVIDENCE,
     {"evidence.consistency_proof", OV_COUNT, 0, 0, GS_MAX_PROOF + 1},
     GS_EINVAL,
     "statement.evidence.consistency_proof: 129 hashes, at most 128"},
    {"evidence entries too many",
     GS_BODY_EVIDENCE,
     {"evidence.entries", OV_COUNT, 0, 0, GS_MAX_EVIDENCE_ENTRIES + 1},
     GS_EINVAL,
     "statement.evidence.entries: 1001 items, at most 1000"},
    {"evidence log key missing",
     GS_BODY_EVIDENCE,
     {"evidence.log_key", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.evidence.log_key: missing"},
    /* An empty RuleParameters would be a second encoding of "no parameters". */
    {"charter parameters naming nothing",
     GS_BODY_CHARTER,
     {"charter.parameters.feedback_per_day", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.charter.parameters: names no parameter"},
    {"parameter change naming nothing",
     GS_BODY_PARAMETER_CHANGE,
     {"parameter_change.parameters.feedback_per_day", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.parameter_change.parameters: names no parameter"},
    {"parameter change without parameters",
     GS_BODY_PARAMETER_CHANGE,
     {"parameter_change.parameters", OV_OMIT, 0, 0, 0},
     GS_EINVAL,
     "statement.parameter_change.parameters: missing"},
    /* Issue 10. */
    {"revision target without has_target",
     GS_BODY_REVISION,
     {"revision.has_target", OV_INT, 0, 0, 0},
     GS_EINVAL,
     "statement.revision.target: set without has_target"},
    {"revision without a reason",
     GS_BODY_REVISION,
     {"revision.reason", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.revision.reason"},
    {"revision without a commitment id",
     GS_BODY_REVISION,
     {"revision.commitment_id", OV_STR, "", 0, 0},
     GS_EINVAL,
     "statement.revision.commitment_id"},
    {"finding with an unknown verdict",
     GS_BODY_FINDING,
     {"finding.verdict", OV_INT, 0, 0, 3},
     GS_EINVAL,
     "statement.finding.verdict: unknown value 3"},
    {"charter time zone too long",
     GS_BODY_CHARTER,
     {"charter.time_zone", OV_STR, long_str, GS_MAX_TIME_ZONE + 1, 0},
     GS_EINVAL,
     "statement.charter.time_zone"},
};

static void test_statement_refusals(void **state)
{
    (void)state;
    memset(long_str, 'a', sizeof long_str - 1);
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        pb in = {0};
        gs_statement st;
        gs_error err = {0};
        statement_bytes(&in, refusals[i].kind, &refusals[i].ov);
        int rc = gs_wire_decode_statement(gs_bytes_of(in.p, in.n), &st, &err);
        if (rc != refusals[i].want || strstr(err.msg, refusals[i].msg) == NULL)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", refusals[i].name, rc, err.msg,
                     refusals[i].want, refusals[i].msg);
        assert_true(all_zero(&st, sizeof st));
        pb_free(&in);
    }
}

/* The wire carries any value a RuleParameters names: the range is the rule
 * book's (rules 2 and 18), so every verifier refuses it with the same
 * reason rather than some with a decode error. */
static void test_parameters_range_is_the_rule_books(void **state)
{
    (void)state;
    static const override big = {"parameter_change.parameters.feedback_per_day", OV_INT, 0, 0,
                                 1000};
    pb in = {0};
    gs_statement st;
    gs_buf again = {0};
    gs_error err = {0};
    statement_bytes(&in, GS_BODY_PARAMETER_CHANGE, &big);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(in.p, in.n), &st, &err), 0);
    assert_int_equal(st.u.parameter_change.parameters.feedback_per_day, 1000);
    assert_int_equal(gs_wire_encode_statement(&st, &again, &err), 0);
    assert_memory_equal(again.p, in.p, in.n);
    gs_buf_free(&again);
    /* The encoder refuses what the decoder would: a change naming nothing. */
    st.u.parameter_change.parameters.feedback_per_day = 0;
    assert_int_equal(gs_wire_encode_statement(&st, &again, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "names no parameter"));
    assert_null(again.p);
    gs_statement_clear(&st);
    pb_free(&in);
}

/* Bytes that are valid protobuf but not what a statement may be. */
static void test_statement_not_canonical(void **state)
{
    (void)state;
    gs_statement st;
    gs_error err = {0};
    pb good = {0}, b = {0};
    statement_bytes(&good, GS_BODY_RESIGNATION, NULL);

    /* a field written twice: last one wins in protobuf, refused here */
    pb_raw(&b, good.p, good.n);
    pb_uint(&b, 2, 8);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "statement: not in canonical protobuf encoding"));
    pb_free(&b);

    /* fields out of order: seq after origin */
    w_bytes(&b, 1, "signer", 32);
    w_uint(&b, 3, "issued_at", 1700000000);
    w_str(&b, 4, "origin", ORIGIN);
    w_uint(&b, 2, "seq", 7);
    pb_len(&b, 12, "", 0);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "canonical"));
    pb_free(&b);

    /* a zero value written out */
    pb_tag(&b, 2, 0);
    pb_varint(&b, 0);
    pb_raw(&b, good.p, good.n);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "canonical"));
    pb_free(&b);

    /* an unknown field */
    pb_raw(&b, good.p, good.n);
    pb_uint(&b, 99, 1);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "statement: unknown field number 99"));
    pb_free(&b);

    /* an unknown field inside a body names the body */
    {
        pb bd = {0};
        w_bytes(&b, 1, "signer", 32);
        w_str(&b, 4, "origin", ORIGIN);
        pb_uint(&bd, 7, 1);
        pb_msg(&b, 12, &bd);
        assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
        assert_non_null(strstr(err.msg, "statement.resignation: unknown field number 7"));
        pb_free(&b);
    }

    /* two bodies */
    pb_raw(&b, good.p, good.n);
    pb_len(&b, 13, "", 0);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    pb_free(&b);

    /* wrong wire type for signer */
    pb_uint(&b, 1, 5);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(b.p, b.n), &st, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "not a valid"));
    assert_true(all_zero(&st, sizeof st));
    pb_free(&b);
    pb_free(&good);
}

static void test_truncated_random_oversize(void **state)
{
    (void)state;
    gs_statement st;
    gs_error err = {0};
    pb good = {0};
    statement_bytes(&good, GS_BODY_COMMITMENT, NULL);
    for (size_t n = 0; n < good.n; n++) {
        assert_true(gs_wire_decode_statement(gs_bytes_of(good.p, n), &st, &err) < 0);
        assert_true(all_zero(&st, sizeof st));
    }
    /* random bytes: a fixed xorshift stream so failures reproduce */
    uint64_t x = 0x9e3779b97f4a7c15u;
    uint8_t buf[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(x % sizeof buf);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        gs_request rq;
        gs_response rs;
        gs_bundle bd;
        assert_true(gs_wire_decode_statement(gs_bytes_of(buf, n), &st, &err) < 0);
        assert_true(all_zero(&st, sizeof st));
        assert_true(gs_wire_open_entry(gs_bytes_of(buf, n), &st, &err) < 0);
        assert_true(gs_wire_decode_request(gs_bytes_of(buf, n), GS_MAX_MESSAGE, &rq, &err) < 0);
        assert_true(all_zero(&rq, sizeof rq));
        if (gs_wire_decode_response(gs_bytes_of(buf, n), GS_MAX_MESSAGE, &rs, &err) == 0)
            gs_response_clear(&rs); /* an empty response-ish blob can be valid */
        assert_true(gs_wire_decode_bundle(gs_bytes_of(buf, n), &bd, &err) < 0);
    }
    /* oversize: refused before unpacking, whatever the bytes are */
    uint8_t *big = calloc(1, GS_MAX_ENTRY + 1);
    assert_non_null(big);
    assert_int_equal(gs_wire_decode_statement(gs_bytes_of(big, GS_MAX_ENTRY + 1), &st, &err),
                     GS_ETOOBIG);
    assert_non_null(strstr(err.msg, "statement: 65537 bytes, above the limit of 65536 bytes"));
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(big, GS_MAX_ENTRY + 1), &st, &err), GS_ETOOBIG);
    gs_request rq;
    assert_int_equal(gs_wire_decode_request(gs_bytes_of(big, 1001), 1000, &rq, &err), GS_ETOOBIG);
    assert_non_null(strstr(err.msg, "request: 1001 bytes, above the limit of 1000 bytes"));
    gs_response rs;
    assert_int_equal(gs_wire_decode_response(gs_bytes_of(big, 1001), 1000, &rs, &err), GS_ETOOBIG);
    free(big);
    pb_free(&good);
}

/* A valid protobuf of another message type is refused. */
static void test_wrong_message_type(void **state)
{
    (void)state;
    gs_error err = {0};
    gs_request rq = {0};
    gs_buf rb = {0}, sb = {0};
    gs_statement st;
    rq.version = 1;
    rq.id = 77;
    rq.op = GS_OP_GET_CHECKPOINT;
    rq.origin = ORIGIN;
    assert_int_equal(gs_wire_encode_request(&rq, &rb, &err), 0);
    assert_true(gs_wire_decode_statement(gs_bytes_of(rb.p, rb.n), &st, &err) < 0);
    assert_true(all_zero(&st, sizeof st));
    assert_true(gs_wire_open_entry(gs_bytes_of(rb.p, rb.n), &st, &err) < 0);
    gs_bundle bd;
    assert_true(gs_wire_decode_bundle(gs_bytes_of(rb.p, rb.n), &bd, &err) < 0);

    pb in = {0};
    statement_bytes(&in, GS_BODY_COMMITMENT, NULL);
    gs_request back;
    assert_true(gs_wire_decode_request(gs_bytes_of(in.p, in.n), GS_MAX_MESSAGE, &back, &err) < 0);
    assert_true(all_zero(&back, sizeof back));
    gs_response rs;
    assert_true(gs_wire_decode_response(gs_bytes_of(in.p, in.n), GS_MAX_MESSAGE, &rs, &err) < 0);
    gs_buf_free(&rb);
    gs_buf_free(&sb);
    pb_free(&in);
}

/* ------------------------------------------------- signatures, receipts */

static void keypair(gs_keypair *kp, uint8_t seed_byte)
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    gs_keypair_from_seed(kp, seed);
}

static void make_progress(gs_statement *st, const gs_keypair *kp)
{
    memset(st, 0, sizeof *st);
    st->signer = kp->pub;
    st->seq = 3;
    st->issued_at = 1700000000;
    st->origin = ORIGIN;
    st->kind = GS_BODY_PROGRESS;
    st->u.progress.commitment_id = "road-1";
    st->u.progress.value = 2500000;
    st->u.progress.note = "";
}

static void test_open_entry(void **state)
{
    (void)state;
    gs_keypair kp, other;
    gs_statement st, out;
    gs_buf entry = {0};
    gs_error err = {0};
    keypair(&kp, 1);
    keypair(&other, 2);
    make_progress(&st, &kp);

    assert_int_equal(gs_wire_sign_statement(&st, &kp, &entry, &err), 0);
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(entry.p, entry.n), &out, &err), 0);
    assert_memory_equal(out.signer.b, kp.pub.b, 32);
    assert_string_equal(out.u.progress.commitment_id, "road-1");
    assert_int_equal(out.u.progress.value, 2500000);
    gs_statement_clear(&out);

    /* the signed bytes are borrowed from the entry and verify on their own */
    gs_signed_statement ss;
    assert_int_equal(gs_wire_decode_signed_statement(gs_bytes_of(entry.p, entry.n), &ss, &err), 0);
    assert_true(ss.statement.p > entry.p && ss.statement.p + ss.statement.n <= entry.p + entry.n);
    assert_int_equal(gs_verify(&kp.pub, GS_DOMAIN_STATEMENT, ss.statement, &ss.signature), 0);
    /* re-wrapping gives back the entry */
    gs_buf again = {0};
    assert_int_equal(gs_wire_encode_signed_statement(ss.statement, &ss.signature, &again, &err), 0);
    assert_int_equal(again.n, entry.n);
    assert_memory_equal(again.p, entry.p, entry.n);
    gs_buf_free(&again);

    /* a flipped bit inside the statement's value field */
    size_t off = (size_t)(ss.statement.p - entry.p);
    uint8_t *bad = malloc(entry.n);
    assert_non_null(bad);
    memcpy(bad, entry.p, entry.n);
    uint8_t *id = memmem(bad + off, ss.statement.n, "road-1", 6);
    assert_non_null(id);
    id[5] ^= 0x02; /* "road-1" -> "road-3": still a valid statement */
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(bad, entry.n), &out, &err), GS_EVERIFY);
    assert_non_null(strstr(err.msg, "statement signature does not verify for signer"));
    char h[17];
    gs_hex(h, gs_bytes_of(kp.pub.b, 8));
    assert_non_null(strstr(err.msg, h));
    assert_true(all_zero(&out, sizeof out));

    /* a flipped bit in the signature */
    memcpy(bad, entry.p, entry.n);
    bad[entry.n - 1] ^= 0x01;
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(bad, entry.n), &out, &err), GS_EVERIFY);
    free(bad);

    /* signed by another key than the statement names */
    gs_buf body = {0}, forged = {0};
    gs_sig sig;
    assert_int_equal(gs_wire_encode_statement(&st, &body, &err), 0);
    gs_sign(&other, GS_DOMAIN_STATEMENT, gs_bytes_of(body.p, body.n), &sig);
    assert_int_equal(
        gs_wire_encode_signed_statement(gs_bytes_of(body.p, body.n), &sig, &forged, &err), 0);
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(forged.p, forged.n), &out, &err), GS_EVERIFY);
    /* signed under another domain */
    gs_buf_free(&forged);
    gs_sign(&kp, GS_DOMAIN_RECEIPT, gs_bytes_of(body.p, body.n), &sig);
    assert_int_equal(
        gs_wire_encode_signed_statement(gs_bytes_of(body.p, body.n), &sig, &forged, &err), 0);
    assert_int_equal(gs_wire_open_entry(gs_bytes_of(forged.p, forged.n), &out, &err), GS_EVERIFY);
    gs_buf_free(&forged);
    gs_buf_free(&body);

    gs_buf_free(&entry);

    /* signing with a key that is not the statement's signer is refused */
    assert_int_equal(gs_wire_sign_statement(&st, &other, &entry, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "statement.signer"));
    assert_null(entry.p);

    /* signing an invalid statement is refused before anything is signed */
    st.u.progress.commitment_id = "no spaces";
    assert_int_equal(gs_wire_sign_statement(&st, &kp, &entry, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "statement.progress.commitment_id"));

    /* a signed statement with a short signature */
    pb b = {0};
    pb_len(&b, 1, "x", 1);
    w_bytes(&b, 2, "sig", 63);
    assert_int_equal(gs_wire_decode_signed_statement(gs_bytes_of(b.p, b.n), &ss, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "signed_statement.signature: 63 bytes, expected 64"));
    pb_free(&b);
    w_bytes(&b, 2, "sig", 64);
    assert_int_equal(gs_wire_decode_signed_statement(gs_bytes_of(b.p, b.n), &ss, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "signed_statement.statement: missing"));
    pb_free(&b);
    gs_keypair_wipe(&kp);
    gs_keypair_wipe(&other);
}

static void test_receipt(void **state)
{
    (void)state;
    gs_keypair node, other;
    gs_receipt r = {0}, out;
    gs_buf b = {0};
    gs_error err = {0};
    keypair(&node, 3);
    keypair(&other, 4);
    r.origin = ORIGIN;
    r.index = 12;
    memset(r.leaf_hash.b, 0xab, 32);
    r.time = 1700000000;
    assert_int_equal(gs_wire_sign_receipt(&r, &node, &b, &err), 0);
    assert_int_equal(gs_wire_open_receipt(gs_bytes_of(b.p, b.n), &node.pub, &out, &err), 0);
    assert_string_equal(out.origin, ORIGIN);
    assert_int_equal(out.index, 12);
    assert_int_equal(out.time, 1700000000);
    assert_memory_equal(out.leaf_hash.b, r.leaf_hash.b, 32);
    gs_receipt_clear(&out);
    assert_true(all_zero(&out, sizeof out));

    assert_int_equal(gs_wire_open_receipt(gs_bytes_of(b.p, b.n), &other.pub, &out, &err),
                     GS_EVERIFY);
    assert_non_null(strstr(err.msg, "receipt signature does not verify for node key"));
    assert_true(all_zero(&out, sizeof out));
    b.p[b.n - 1] ^= 1;
    assert_int_equal(gs_wire_open_receipt(gs_bytes_of(b.p, b.n), &node.pub, &out, &err),
                     GS_EVERIFY);
    gs_buf_free(&b);

    r.origin = "giamsat/nowhere/x";
    assert_int_equal(gs_wire_sign_receipt(&r, &node, &b, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "receipt.origin"));
    assert_null(b.p);
    gs_keypair_wipe(&node);
    gs_keypair_wipe(&other);
}

/* Batch receipts (docs/formats.md "Receipts"). The fields of a
 * SignedReceipt as read back by hand, to rebuild it with one of them
 * changed. */
typedef struct {
    const uint8_t *receipt;
    size_t receipt_n;
    uint8_t sig[64];
    uint64_t size, index;
    uint8_t path[64][32];
    size_t n_path;
} raw_receipt;

static uint64_t rd_varint(const uint8_t *p, size_t n, size_t *i)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *i < n; shift += 7) {
        uint8_t c = p[(*i)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0)
            break;
    }
    return v;
}

static void raw_receipt_read(const gs_buf *b, raw_receipt *r)
{
    memset(r, 0, sizeof *r);
    size_t i = 0;
    while (i < b->n) {
        uint64_t key = rd_varint(b->p, b->n, &i);
        if ((key & 7) == 0) {
            uint64_t v = rd_varint(b->p, b->n, &i);
            if (key >> 3 == 3)
                r->size = v;
            else if (key >> 3 == 4)
                r->index = v;
            else
                fail();
            continue;
        }
        assert_int_equal(key & 7, 2);
        uint64_t len = rd_varint(b->p, b->n, &i);
        assert_true(len <= b->n - i);
        if (key >> 3 == 1) {
            r->receipt = b->p + i;
            r->receipt_n = len;
        } else if (key >> 3 == 2) {
            assert_int_equal(len, 64);
            memcpy(r->sig, b->p + i, 64);
        } else {
            assert_int_equal(key >> 3, 5);
            assert_int_equal(len, 32);
            assert_true(r->n_path < 64);
            memcpy(r->path[r->n_path++], b->p + i, 32);
        }
        i += len;
    }
}

static void raw_receipt_write(const raw_receipt *r, pb *b)
{
    pb_len(b, 1, r->receipt, r->receipt_n);
    pb_len(b, 2, r->sig, 64);
    pb_uint(b, 3, r->size);
    pb_uint(b, 4, r->index);
    for (size_t k = 0; k < r->n_path; k++)
        pb_len(b, 5, r->path[k], 32);
}

/* RFC 6962 §2.1 MTH, the recursive definition, over the given leaf hashes:
 * written apart from the code under test on purpose. */
static void ref_mth(const gs_hash *leaves, size_t n, gs_hash *out)
{
    if (n == 1) {
        *out = leaves[0];
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    gs_hash l, r;
    ref_mth(leaves, k, &l);
    ref_mth(leaves + k, n - k, &r);
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l.b, 32);
    memcpy(buf + 33, r.b, 32);
    gs_sha256(gs_bytes_of(buf, sizeof buf), out);
}

static int open_raw(const raw_receipt *r, const gs_pubkey *key, gs_error *err)
{
    pb b = {0};
    gs_receipt out;
    raw_receipt_write(r, &b);
    int rc = gs_wire_open_receipt(gs_bytes_of(b.p, b.n), key, &out, err);
    gs_receipt_clear(&out);
    pb_free(&b);
    return rc;
}

static void test_receipt_batch(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 7, 64};
    gs_keypair node, other;
    gs_error err = {0};
    keypair(&node, 3);
    keypair(&other, 4);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        gs_receipt rs[64];
        gs_buf out[64], again[64];
        gs_hash leaves[64];
        for (size_t i = 0; i < n; i++) {
            rs[i] = (gs_receipt){.origin = ORIGIN, .index = 1000 + i, .time = 1700000000};
            memset(rs[i].leaf_hash.b, (int)(0x10 + i), 32);
        }
        assert_int_equal(gs_wire_sign_receipt_batch(rs, n, &node, out, &err), 0);
        /* A second batch of the same size (other times): another root. */
        for (size_t i = 0; i < n; i++)
            rs[i].time = 1700000001;
        assert_int_equal(gs_wire_sign_receipt_batch(rs, n, &node, again, &err), 0);
        raw_receipt r0;
        raw_receipt_read(&out[0], &r0);
        for (size_t i = 0; i < n; i++) {
            gs_receipt got;
            assert_int_equal(
                gs_wire_open_receipt(gs_bytes_of(out[i].p, out[i].n), &node.pub, &got, &err), 0);
            assert_string_equal(got.origin, ORIGIN);
            assert_int_equal(got.index, 1000 + i);
            assert_int_equal(got.time, 1700000000);
            assert_int_equal(got.batch_size, n);
            assert_int_equal(got.batch_index, i);
            uint8_t want[32];
            memset(want, (int)(0x10 + i), 32);
            assert_memory_equal(got.leaf_hash.b, want, 32);
            gs_receipt_clear(&got);
            assert_int_equal(
                gs_wire_open_receipt(gs_bytes_of(out[i].p, out[i].n), &other.pub, &got, &err),
                GS_EVERIFY);
            assert_non_null(strstr(err.msg, "batch receipt signature does not verify"));

            raw_receipt r;
            raw_receipt_read(&out[i], &r);
            assert_int_equal(r.size, n);
            assert_int_equal(r.index, i);
            /* One signature for the whole batch. */
            assert_memory_equal(r.sig, r0.sig, 64);
            gs_merkle_leaf_hash(gs_bytes_of(r.receipt, r.receipt_n), &leaves[i]);
            assert_int_equal(open_raw(&r, &node.pub, &err), 0);

            raw_receipt t = r; /* the signature */
            t.sig[7] ^= 1;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t = r; /* the size */
            t.size = n + 1;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t.size = n * 2;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t = r; /* the index: out of range, or another leaf's place */
            t.index = n;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EINVAL);
            assert_non_null(strstr(err.msg, "batch_index"));
            if (n > 1) {
                t.index = (i ^ 1) < n ? (i ^ 1) : i - 1;
                assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
                t = r; /* the path: a bit, a hash less, a hash more */
                t.path[r.n_path - 1][31] ^= 0x80;
                assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
                t = r;
                t.n_path--;
                assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            }
            t = r;
            memset(t.path[t.n_path++], 0x55, 32);
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t = r; /* the root: the same receipt under another batch's signature */
            raw_receipt o;
            raw_receipt_read(&again[i], &o);
            memcpy(t.sig, o.sig, 64);
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t = r; /* the receipt itself: another batch's receipt at the same place */
            t.receipt = o.receipt;
            t.receipt_n = o.receipt_n;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            t = r; /* a batch receipt read as a single one */
            t.size = 0;
            t.index = 0;
            t.n_path = 0;
            assert_int_equal(open_raw(&t, &node.pub, &err), GS_EVERIFY);
            assert_non_null(strstr(err.msg, "receipt signature does not verify"));
        }
        /* What is signed: the domain line, the size (big-endian), and the
         * RFC 6962 root of the receipts' leaf hashes. */
        gs_hash root;
        ref_mth(leaves, n, &root);
        uint8_t msg[40] = {0};
        for (int b = 0; b < 8; b++)
            msg[b] = (uint8_t)((uint64_t)n >> (56 - 8 * b));
        memcpy(msg + 8, root.b, 32);
        gs_sig sig;
        memcpy(sig.b, r0.sig, 64);
        assert_int_equal(
            gs_verify(&node.pub, GS_DOMAIN_RECEIPT_BATCH, gs_bytes_of(msg, sizeof msg), &sig), 0);
        for (size_t i = 0; i < n; i++) {
            gs_buf_free(&out[i]);
            gs_buf_free(&again[i]);
        }
    }

    /* Batch fields without a size; a path hash of the wrong length. */
    gs_receipt one = {.origin = ORIGIN, .index = 5, .time = 1700000000};
    gs_buf b1[2];
    gs_receipt two[2] = {one, one};
    assert_int_equal(gs_wire_sign_receipt_batch(two, 2, &node, b1, &err), 0);
    raw_receipt r;
    raw_receipt_read(&b1[0], &r);
    r.size = 0;
    r.index = 1;
    r.n_path = 0;
    assert_int_equal(open_raw(&r, &node.pub, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "without batch_size"));
    raw_receipt_read(&b1[0], &r);
    pb b = {0};
    pb_len(&b, 1, r.receipt, r.receipt_n);
    pb_len(&b, 2, r.sig, 64);
    pb_uint(&b, 3, 2);
    pb_len(&b, 5, r.path[0], 31);
    gs_receipt got;
    assert_int_equal(gs_wire_open_receipt(gs_bytes_of(b.p, b.n), &node.pub, &got, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "batch_path"));
    pb_free(&b);
    gs_buf_free(&b1[0]);
    gs_buf_free(&b1[1]);
    /* Nothing to sign, or a receipt that cannot be signed. */
    assert_int_equal(gs_wire_sign_receipt_batch(two, 0, &node, b1, &err), GS_EINVAL);
    two[1].origin = "giamsat/nowhere/x";
    assert_int_equal(gs_wire_sign_receipt_batch(two, 2, &node, b1, &err), GS_EINVAL);
    assert_non_null(strstr(err.msg, "receipt.origin"));
    assert_null(b1[0].p);
    assert_null(b1[1].p);
    gs_keypair_wipe(&node);
    gs_keypair_wipe(&other);
}

/* The worked example of docs/formats.md "Receipts", byte for byte. */
static void test_receipt_batch_example(void **state)
{
    (void)state;
    static const char want_hex[] =
        "0a430a176769616d7361742f636f6d6d756e652f78612d646f6e67102b1a20333333333333333333333333"
        "33333333333333333333333333333333333333332080f2d6ca061240f322aa419082a42942a4be420feca2"
        "39445e22098c7eaf67a0cedb225d6b407789ae4cccf8ff8a5878dea9ef66ceb5d685e6fcecf3646df078ff"
        "97b352f6ae07180320022a20cb6b4a22431e6bd006b7ef0742229c68d0a0b627f619cc412dad6601df2ed8"
        "fc";
    uint8_t want[sizeof want_hex / 2];
    for (size_t i = 0; i < sizeof want; i++) {
        unsigned v;
        assert_int_equal(sscanf(want_hex + 2 * i, "%2x", &v), 1);
        want[i] = (uint8_t)v;
    }
    gs_keypair node;
    keypair(&node, 3);
    gs_receipt rs[3];
    gs_buf out[3];
    gs_error err = {0};
    for (int i = 0; i < 3; i++) {
        rs[i] = (gs_receipt){
            .origin = "giamsat/commune/xa-dong", .index = 41 + (uint64_t)i, .time = 1767225600};
        memset(rs[i].leaf_hash.b, 0x11 * (i + 1), 32);
    }
    assert_int_equal(gs_wire_sign_receipt_batch(rs, 3, &node, out, &err), 0);
    assert_int_equal(out[2].n, sizeof want);
    assert_memory_equal(out[2].p, want, sizeof want);
    gs_receipt got;
    assert_int_equal(gs_wire_open_receipt(gs_bytes_of(want, sizeof want), &node.pub, &got, &err),
                     0);
    assert_int_equal(got.index, 43);
    assert_int_equal(got.batch_size, 3);
    assert_int_equal(got.batch_index, 2);
    gs_receipt_clear(&got);
    for (int i = 0; i < 3; i++)
        gs_buf_free(&out[i]);
    gs_keypair_wipe(&node);
}

/* ----------------------------------------------------- requests */

static gs_hash hashes[3];

static void test_request_round_trip(void **state)
{
    (void)state;
    uint8_t entry[5] = {1, 2, 3, 4, 5};
    memset(hashes, 0x77, sizeof hashes);
    for (int op = GS_OP_SUBMIT; op <= GS_OP_GET_SIGNER_STATE; op++) {
        gs_request rq = {0}, back;
        gs_buf b = {0};
        gs_error err = {0};
        rq.version = 1;
        rq.id = 1000 + (uint64_t)op;
        rq.op = (gs_op)op;
        rq.origin = ORIGIN;
        switch (op) {
        case GS_OP_SUBMIT:
            rq.u.submit.entry.p = entry;
            rq.u.submit.entry.n = sizeof entry;
            break;
        case GS_OP_GET_ENTRIES:
            rq.u.get_entries.start = 5;
            rq.u.get_entries.count = 1000;
            break;
        case GS_OP_GET_INCLUSION_PROOF:
            rq.u.get_inclusion_proof.index = 9;
            rq.u.get_inclusion_proof.size = 10;
            break;
        case GS_OP_GET_CONSISTENCY_PROOF:
            rq.u.get_consistency_proof.old_size = 3;
            rq.u.get_consistency_proof.new_size = 8;
            break;
        case GS_OP_ADD_CHECKPOINT:
            rq.u.add_checkpoint.old_size = 4;
            rq.u.add_checkpoint.proof = hashes;
            rq.u.add_checkpoint.n_proof = 3;
            rq.u.add_checkpoint.checkpoint = "origin\n8\nroot\n\n— sig\n";
            break;
        case GS_OP_GET_SIGNER_STATE: memset(rq.u.get_signer_state.signer.b, 9, 32); break;
        }
        if (gs_wire_encode_request(&rq, &b, &err) != 0)
            fail_msg("op %d: %s", op, err.msg);
        assert_int_equal(gs_wire_decode_request(gs_bytes_of(b.p, b.n), GS_MAX_MESSAGE, &back, &err),
                         0);
        assert_int_equal(back.version, 1);
        assert_int_equal(back.id, rq.id);
        assert_int_equal(back.op, op);
        bool has_origin = op != GS_OP_SUBMIT && op != GS_OP_ADD_CHECKPOINT;
        assert_string_equal(back.origin, has_origin ? ORIGIN : "");
        switch (op) {
        case GS_OP_SUBMIT:
            assert_int_equal(back.u.submit.entry.n, sizeof entry);
            assert_memory_equal(back.u.submit.entry.p, entry, sizeof entry);
            break;
        case GS_OP_GET_ENTRIES:
            assert_int_equal(back.u.get_entries.start, 5);
            assert_int_equal(back.u.get_entries.count, 1000);
            break;
        case GS_OP_GET_INCLUSION_PROOF:
            assert_int_equal(back.u.get_inclusion_proof.index, 9);
            assert_int_equal(back.u.get_inclusion_proof.size, 10);
            break;
        case GS_OP_GET_CONSISTENCY_PROOF:
            assert_int_equal(back.u.get_consistency_proof.old_size, 3);
            assert_int_equal(back.u.get_consistency_proof.new_size, 8);
            break;
        case GS_OP_ADD_CHECKPOINT:
            assert_int_equal(back.u.add_checkpoint.old_size, 4);
            assert_int_equal(back.u.add_checkpoint.n_proof, 3);
            assert_memory_equal(back.u.add_checkpoint.proof, hashes, sizeof hashes);
            assert_string_equal(back.u.add_checkpoint.checkpoint, rq.u.add_checkpoint.checkpoint);
            break;
        case GS_OP_GET_SIGNER_STATE:
            assert_memory_equal(back.u.get_signer_state.signer.b, rq.u.get_signer_state.signer.b,
                                32);
            break;
        }
        gs_request_clear(&back);
        assert_true(all_zero(&back, sizeof back));
        gs_buf_free(&b);
    }
}

/* Request bytes by hand: version, id, then one op message. */
static void request_bytes(pb *out, int op_field, const override *ov)
{
    pb o = {0};
    cur = ov;
    w_uint(out, 1, "version", 1);
    w_uint(out, 2, "id", 5);
    switch (op_field) {
    case 10: w_bytes(&o, 1, "submit.signed_statement", 100); break;
    case 12:
        w_str(&o, 1, "origin", ORIGIN);
        w_uint(&o, 2, "get_entries.start", 0);
        w_uint(&o, 3, "get_entries.count", 10);
        break;
    case 15:
        w_uint(&o, 1, "add_checkpoint.old_size", 1);
        w_list(&o, 2, "add_checkpoint.consistency_proof", 2, 32);
        w_str(&o, 3, "add_checkpoint.checkpoint", "o\n2\nr\n\n— k x\n");
        break;
    case 17:
        w_str(&o, 1, "origin", ORIGIN);
        w_bytes(&o, 2, "get_signer_state.signer", 32);
        break;
    }
    if (op_field)
        pb_msg(out, op_field, &o);
    cur = NULL;
}

static const struct {
    const char *name;
    int op;
    override ov;
    int want;
    const char *msg;
} request_refusals[] = {
    {"version 0", 12, {"version", OV_INT, 0, 0, 0}, GS_EINVAL, "request.version: 0"},
    {"version 2", 12, {"version", OV_INT, 0, 0, 2}, GS_EINVAL, "request.version: 2"},
    {"no op", 0, {"x", 0, 0, 0, 0}, GS_EINVAL, "request: has no operation"},
    {"origin", 12, {"origin", OV_STR, "giamsat/commune/", 0, 0}, GS_EINVAL, "request.origin"},
    {"count",
     12,
     {"get_entries.count", OV_INT, 0, 0, GS_MAX_ENTRIES + 1},
     GS_EINVAL,
     "request.get_entries.count: 1001, at most 1000"},
    {"submit missing",
     10,
     {"submit.signed_statement", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "request.submit.signed_statement: missing"},
    {"submit too big",
     10,
     {"submit.signed_statement", OV_LEN, 0, 0, GS_MAX_ENTRY + 1},
     GS_ETOOBIG,
     "request.submit.signed_statement: 65537 bytes"},
    {"proof too long",
     15,
     {"add_checkpoint.consistency_proof", OV_COUNT, 0, 0, GS_MAX_PROOF + 1},
     GS_EINVAL,
     "request.add_checkpoint.consistency_proof: 129 hashes"},
    {"proof hash short",
     15,
     {"add_checkpoint.consistency_proof", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "request.add_checkpoint.consistency_proof[0]: 31 bytes, expected 32"},
    {"checkpoint missing",
     15,
     {"add_checkpoint.checkpoint", OV_STR, "", 0, 0},
     GS_EINVAL,
     "request.add_checkpoint.checkpoint: missing"},
    {"checkpoint too long",
     15,
     {"add_checkpoint.checkpoint", OV_STR, long_str, GS_MAX_NOTE + 1, 0},
     GS_EINVAL,
     "request.add_checkpoint.checkpoint: longer than 24576 bytes"},
    {"checkpoint control",
     15,
     {"add_checkpoint.checkpoint", OV_STR, "a\rb", 0, 0},
     GS_EINVAL,
     "request.add_checkpoint.checkpoint: contains the control character U+000D"},
    {"signer short",
     17,
     {"get_signer_state.signer", OV_LEN, 0, 0, 31},
     GS_EINVAL,
     "request.get_signer_state.signer: 31 bytes"},
};

static char note_str[GS_MAX_NOTE + 2];

static void test_request_refusals(void **state)
{
    (void)state;
    memset(long_str, 'a', sizeof long_str - 1);
    memset(note_str, 'a', sizeof note_str - 1);
    for (size_t i = 0; i < sizeof request_refusals / sizeof request_refusals[0]; i++) {
        pb in = {0};
        gs_request rq;
        gs_error err = {0};
        override ov = request_refusals[i].ov;
        if (ov.s == long_str && ov.slen > GS_MAX_TEXT)
            ov.s = note_str;
        request_bytes(&in, request_refusals[i].op, &ov);
        int rc = gs_wire_decode_request(gs_bytes_of(in.p, in.n), GS_MAX_MESSAGE, &rq, &err);
        if (rc != request_refusals[i].want || strstr(err.msg, request_refusals[i].msg) == NULL)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", request_refusals[i].name, rc, err.msg,
                     request_refusals[i].want, request_refusals[i].msg);
        assert_true(all_zero(&rq, sizeof rq));
        pb_free(&in);
    }
    /* the hand-written valid forms decode */
    static const int ops[] = {10, 12, 15, 17};
    for (size_t i = 0; i < 4; i++) {
        pb in = {0};
        gs_request rq;
        gs_error err = {0};
        request_bytes(&in, ops[i], NULL);
        if (gs_wire_decode_request(gs_bytes_of(in.p, in.n), GS_MAX_MESSAGE, &rq, &err) != 0)
            fail_msg("op field %d: %s", ops[i], err.msg);
        gs_request_clear(&rq);
        pb_free(&in);
    }
}

/* ----------------------------------------------------- responses */

static void test_response_round_trip(void **state)
{
    (void)state;
    gs_keypair node;
    gs_receipt rc = {0};
    gs_buf receipt = {0};
    gs_error err = {0};
    uint8_t e1[3] = {1, 2, 3}, e2[1] = {9};
    gs_buf entries[2] = {{e1, 3}, {e2, 1}};
    keypair(&node, 5);
    rc.origin = ORIGIN;
    rc.index = 1;
    assert_int_equal(gs_wire_sign_receipt(&rc, &node, &receipt, &err), 0);
    memset(hashes, 0x55, sizeof hashes);

    for (int kind = GS_RESULT_NONE; kind <= GS_RESULT_SIGNER_STATE; kind++) {
        gs_response rs = {0}, back;
        gs_buf b = {0};
        rs.id = 99;
        rs.code = kind == GS_RESULT_NONE ? GS_STATUS_NOT_FOUND : GS_STATUS_OK;
        rs.message = kind == GS_RESULT_NONE ? "no log giamsat/commune/x here" : "";
        rs.result = (gs_result_kind)kind;
        switch (kind) {
        case GS_RESULT_RECEIPT: rs.u.receipt = receipt; break;
        case GS_RESULT_CHECKPOINT: rs.u.checkpoint = "o\n1\nr\n\n— o sig\n"; break;
        case GS_RESULT_ENTRIES:
            rs.u.entries.start = 10;
            rs.u.entries.entries = entries;
            rs.u.entries.n = 2;
            break;
        case GS_RESULT_PROOF:
            rs.u.proof.index = 2;
            rs.u.proof.size = 7;
            rs.u.proof.hashes = hashes;
            rs.u.proof.n = 3;
            break;
        case GS_RESULT_COSIGNATURE: rs.u.cosignature = "— w sig\n"; break;
        case GS_RESULT_CONFLICT: rs.u.conflict_size = 17; break;
        case GS_RESULT_EVIDENCE:
            rs.u.evidence.items = entries;
            rs.u.evidence.n = 2;
            break;
        case GS_RESULT_SIGNER_STATE:
            rs.u.signer_state.next_seq = 8;
            rs.u.signer_state.active = true;
            break;
        }
        if (gs_wire_encode_response(&rs, &b, &err) != 0)
            fail_msg("result %d: %s", kind, err.msg);
        assert_int_equal(
            gs_wire_decode_response(gs_bytes_of(b.p, b.n), GS_MAX_MESSAGE, &back, &err), 0);
        assert_int_equal(back.id, 99);
        assert_int_equal(back.code, rs.code);
        assert_string_equal(back.message, rs.message);
        assert_int_equal(back.result, kind);
        switch (kind) {
        case GS_RESULT_RECEIPT: {
            gs_receipt opened;
            assert_int_equal(back.u.receipt.n, receipt.n);
            assert_memory_equal(back.u.receipt.p, receipt.p, receipt.n);
            assert_int_equal(gs_wire_open_receipt(gs_bytes_of(back.u.receipt.p, back.u.receipt.n),
                                                  &node.pub, &opened, &err),
                             0);
            gs_receipt_clear(&opened);
            break;
        }
        case GS_RESULT_CHECKPOINT: assert_string_equal(back.u.checkpoint, rs.u.checkpoint); break;
        case GS_RESULT_ENTRIES:
        case GS_RESULT_EVIDENCE: {
            gs_buf *items =
                kind == GS_RESULT_ENTRIES ? back.u.entries.entries : back.u.evidence.items;
            size_t n = kind == GS_RESULT_ENTRIES ? back.u.entries.n : back.u.evidence.n;
            assert_int_equal(n, 2);
            assert_int_equal(items[0].n, 3);
            assert_memory_equal(items[0].p, e1, 3);
            assert_int_equal(items[1].n, 1);
            assert_memory_equal(items[1].p, e2, 1);
            if (kind == GS_RESULT_ENTRIES)
                assert_int_equal(back.u.entries.start, 10);
            break;
        }
        case GS_RESULT_PROOF:
            assert_int_equal(back.u.proof.index, 2);
            assert_int_equal(back.u.proof.size, 7);
            assert_int_equal(back.u.proof.n, 3);
            assert_memory_equal(back.u.proof.hashes, hashes, sizeof hashes);
            break;
        case GS_RESULT_COSIGNATURE: assert_string_equal(back.u.cosignature, "— w sig\n"); break;
        case GS_RESULT_CONFLICT: assert_int_equal(back.u.conflict_size, 17); break;
        case GS_RESULT_SIGNER_STATE:
            assert_int_equal(back.u.signer_state.next_seq, 8);
            assert_true(back.u.signer_state.active);
            break;
        }
        gs_response_clear(&back);
        assert_true(all_zero(&back, sizeof back));
        gs_buf_free(&b);
    }
    gs_buf_free(&receipt);
    gs_keypair_wipe(&node);
}

static void response_bytes(pb *out, int result_field, const override *ov)
{
    pb s = {0}, r = {0};
    cur = ov;
    w_uint(out, 1, "id", 5);
    if (!is("status")) {
        w_uint(&s, 1, "status.code", 0);
        w_str(&s, 2, "status.message", "");
        pb_msg(out, 2, &s);
    }
    switch (result_field) {
    case 10:
        w_bytes(&r, 1, "receipt.receipt", 40);
        w_bytes(&r, 2, "receipt.signature", 64);
        break;
    case 12:
        w_uint(&r, 1, "entries.start", 3);
        w_list(&r, 2, "entries.entries", 2, 50);
        break;
    case 13: w_list(&r, 3, "proof.hashes", 2, 32); break;
    }
    if (result_field)
        pb_msg(out, result_field, &r);
    cur = NULL;
}

static const struct {
    const char *name;
    int result;
    override ov;
    int want;
    const char *msg;
} response_refusals[] = {
    {"status missing", 0, {"status", OV_OMIT, 0, 0, 0}, GS_EINVAL, "response.status: missing"},
    {"status code unknown",
     0,
     {"status.code", OV_INT, 0, 0, 9},
     GS_EINVAL,
     "response.status.code: unknown value 9"},
    {"status message utf-8",
     0,
     {"status.message", OV_STR, "\xff", 0, 0},
     GS_EINVAL,
     "response.status.message: not valid UTF-8"},
    {"status message NUL",
     0,
     {"status.message", OV_STR, "a\0", 2, 0},
     GS_EINVAL,
     "response.status.message: contains a NUL byte"},
    {"receipt signature",
     10,
     {"receipt.signature", OV_LEN, 0, 0, 63},
     GS_EINVAL,
     "response.receipt.signature: 63 bytes"},
    {"entries too many",
     12,
     {"entries.entries", OV_COUNT, 0, 0, GS_MAX_ENTRIES + 1},
     GS_EINVAL,
     "response.entries.entries: 1001 items, at most 1000"},
    {"entry too big",
     12,
     {"entries.entries", OV_LEN, 0, 0, GS_MAX_ENTRY + 1},
     GS_EINVAL,
     "response.entries.entries[0]: 65537 bytes"},
    {"entry empty",
     12,
     {"entries.entries", OV_LEN, 0, 0, 0},
     GS_EINVAL,
     "response.entries.entries[0]: empty"},
    {"proof too long",
     13,
     {"proof.hashes", OV_COUNT, 0, 0, GS_MAX_PROOF + 1},
     GS_EINVAL,
     "response.proof.hashes: 129 hashes"},
    {"proof hash",
     13,
     {"proof.hashes", OV_LEN, 0, 0, 33},
     GS_EINVAL,
     "response.proof.hashes[0]: 33 bytes, expected 32"},
};

static void test_response_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof response_refusals / sizeof response_refusals[0]; i++) {
        pb in = {0};
        gs_response rs;
        gs_error err = {0};
        response_bytes(&in, response_refusals[i].result, &response_refusals[i].ov);
        int rc = gs_wire_decode_response(gs_bytes_of(in.p, in.n), GS_MAX_MESSAGE * 2, &rs, &err);
        if (rc != response_refusals[i].want || strstr(err.msg, response_refusals[i].msg) == NULL)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", response_refusals[i].name, rc, err.msg,
                     response_refusals[i].want, response_refusals[i].msg);
        assert_true(all_zero(&rs, sizeof rs));
        pb_free(&in);
    }
}

/* ------------------------------------------------------- bundles */

static void test_bundle(void **state)
{
    (void)state;
    gs_bundle b = {0}, back;
    gs_buf enc = {0};
    gs_error err = {0};
    uint8_t entry[4] = {1, 2, 3, 4}, signer[2] = {7, 8};
    memset(hashes, 0x33, sizeof hashes);
    b.origin = ORIGIN;
    b.index = 6;
    b.entry.p = entry;
    b.entry.n = 4;
    b.inclusion_proof = hashes;
    b.n_inclusion_proof = 3;
    b.checkpoint = "o\n7\nr\n\n— o s\n";
    b.signer_index = 1;
    b.signer_entry.p = signer;
    b.signer_entry.n = 2;
    b.signer_inclusion_proof = hashes;
    b.n_signer_inclusion_proof = 2;
    assert_int_equal(gs_wire_encode_bundle(&b, &enc, &err), 0);

    /* the same bundle, written independently */
    pb w = {0};
    pb_len(&w, 1, ORIGIN, strlen(ORIGIN));
    pb_uint(&w, 2, 6);
    pb_len(&w, 3, entry, 4);
    for (int i = 0; i < 3; i++)
        pb_len(&w, 4, hashes[i].b, 32);
    pb_len(&w, 5, b.checkpoint, strlen(b.checkpoint));
    pb_uint(&w, 6, 1);
    pb_len(&w, 7, signer, 2);
    for (int i = 0; i < 2; i++)
        pb_len(&w, 8, hashes[i].b, 32);
    assert_int_equal(enc.n, w.n);
    assert_memory_equal(enc.p, w.p, w.n);
    pb_free(&w);

    assert_int_equal(gs_wire_decode_bundle(gs_bytes_of(enc.p, enc.n), &back, &err), 0);
    assert_string_equal(back.origin, ORIGIN);
    assert_int_equal(back.index, 6);
    assert_memory_equal(back.entry.p, entry, 4);
    assert_int_equal(back.n_inclusion_proof, 3);
    assert_string_equal(back.checkpoint, b.checkpoint);
    assert_int_equal(back.signer_index, 1);
    assert_int_equal(back.signer_entry.n, 2);
    assert_int_equal(back.n_signer_inclusion_proof, 2);
    gs_bundle_clear(&back);
    assert_true(all_zero(&back, sizeof back));
    gs_buf_free(&enc);

    /* refusals, each naming its field */
    static const struct {
        const char *field;
        const char *msg;
    } cases[] = {
        {"origin", "bundle.origin"},
        {"entry", "bundle.entry: missing"},
        {"proof", "bundle.inclusion_proof[1]: 31 bytes, expected 32"},
        {"checkpoint", "bundle.checkpoint: missing"},
    };
    for (size_t i = 0; i < 4; i++) {
        pb_len(&w, 1, strcmp(cases[i].field, "origin") == 0 ? "giamsat/x" : ORIGIN,
               strcmp(cases[i].field, "origin") == 0 ? 9 : strlen(ORIGIN));
        if (strcmp(cases[i].field, "entry") != 0)
            pb_len(&w, 3, entry, 4);
        pb_len(&w, 4, hashes[0].b, 32);
        pb_len(&w, 4, hashes[1].b, strcmp(cases[i].field, "proof") == 0 ? 31 : 32);
        if (strcmp(cases[i].field, "checkpoint") != 0)
            pb_len(&w, 5, "c\n", 2);
        assert_int_equal(gs_wire_decode_bundle(gs_bytes_of(w.p, w.n), &back, &err), GS_EINVAL);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("%s: \"%s\"", cases[i].field, err.msg);
        assert_true(all_zero(&back, sizeof back));
        pb_free(&w);
    }
}

/* ---------------------------------------------------- key chains */

/* A KeyChainLink written independently: index, entry, proof. */
static void link_bytes(pb *out, uint64_t index, const void *entry, size_t n, const gs_hash *proof,
                       size_t n_proof, size_t bad_len)
{
    pb_uint(out, 1, index);
    pb_len(out, 2, entry, n);
    for (size_t i = 0; i < n_proof; i++)
        pb_len(out, 3, proof[i].b, i == 0 && bad_len ? bad_len : 32);
}

/* GetKeyChain, KeyChainResult and Bundle.log_key_chain: encoded as written
 * by hand (docs/formats.md "Key chains"), decoded back, refusals named. */
static void test_key_chain_messages(void **state)
{
    (void)state;
    gs_error err = {0};
    uint8_t e1[3] = {1, 2, 3}, e2[2] = {4, 5};
    memset(hashes, 0x44, sizeof hashes);
    gs_key_link links[2] = {{.index = 3, .entry = {e1, 3}, .proof = hashes, .n_proof = 2},
                            {.index = 9, .entry = {e2, 2}, .proof = hashes, .n_proof = 3}};

    /* the request */
    gs_request rq = {.version = 1, .id = 7, .op = GS_OP_GET_KEY_CHAIN, .origin = ORIGIN}, rback;
    rq.u.get_key_chain.size = 12;
    gs_buf b = {0};
    assert_int_equal(gs_wire_encode_request(&rq, &b, &err), 0);
    pb w = {0}, sub = {0};
    pb_uint(&w, 1, 1);
    pb_uint(&w, 2, 7);
    pb_len(&sub, 1, ORIGIN, strlen(ORIGIN));
    pb_uint(&sub, 2, 12);
    pb_msg(&w, 18, &sub);
    assert_int_equal(b.n, w.n);
    assert_memory_equal(b.p, w.p, w.n);
    pb_free(&w);
    assert_int_equal(gs_wire_decode_request(gs_bytes_of(b.p, b.n), GS_MAX_MESSAGE, &rback, &err),
                     0);
    assert_int_equal(rback.op, GS_OP_GET_KEY_CHAIN);
    assert_string_equal(rback.origin, ORIGIN);
    assert_int_equal(rback.u.get_key_chain.size, 12);
    gs_request_clear(&rback);
    gs_buf_free(&b);

    /* the response */
    gs_response rs = {.id = 8, .code = GS_STATUS_OK, .message = "", .result = GS_RESULT_KEY_CHAIN},
                back;
    rs.u.key_chain.size = 12;
    rs.u.key_chain.links = links;
    rs.u.key_chain.n = 2;
    assert_int_equal(gs_wire_encode_response(&rs, &b, &err), 0);
    pb st = {0}, l = {0};
    pb_uint(&w, 1, 8);
    pb_msg(&w, 2, &st); /* status OK, no message: an empty message */
    pb_uint(&sub, 1, 12);
    link_bytes(&l, 3, e1, 3, hashes, 2, 0);
    pb_msg(&sub, 2, &l);
    link_bytes(&l, 9, e2, 2, hashes, 3, 0);
    pb_msg(&sub, 2, &l);
    pb_msg(&w, 18, &sub);
    assert_int_equal(b.n, w.n);
    assert_memory_equal(b.p, w.p, w.n);
    pb_free(&w);
    assert_int_equal(gs_wire_decode_response(gs_bytes_of(b.p, b.n), GS_MAX_MESSAGE, &back, &err),
                     0);
    assert_int_equal(back.result, GS_RESULT_KEY_CHAIN);
    assert_int_equal(back.u.key_chain.size, 12);
    assert_int_equal(back.u.key_chain.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(back.u.key_chain.links[i].index, links[i].index);
        assert_int_equal(back.u.key_chain.links[i].entry.n, links[i].entry.n);
        assert_memory_equal(back.u.key_chain.links[i].entry.p, links[i].entry.p, links[i].entry.n);
        assert_int_equal(back.u.key_chain.links[i].n_proof, links[i].n_proof);
        assert_memory_equal(back.u.key_chain.links[i].proof, hashes,
                            links[i].n_proof * sizeof(gs_hash));
    }
    gs_response_clear(&back);
    assert_true(all_zero(&back, sizeof back));
    gs_buf_free(&b);

    /* a bundle carrying the chain (field 9) */
    uint8_t entry[4] = {1, 2, 3, 4};
    gs_bundle bd = {.origin = ORIGIN, .index = 10, .entry = {entry, 4}, .checkpoint = "c\n"}, bback;
    bd.log_key_chain = links;
    bd.n_log_key_chain = 2;
    assert_int_equal(gs_wire_encode_bundle(&bd, &b, &err), 0);
    pb_len(&w, 1, ORIGIN, strlen(ORIGIN));
    pb_uint(&w, 2, 10);
    pb_len(&w, 3, entry, 4);
    pb_len(&w, 5, "c\n", 2);
    link_bytes(&l, 3, e1, 3, hashes, 2, 0);
    pb_msg(&w, 9, &l);
    link_bytes(&l, 9, e2, 2, hashes, 3, 0);
    pb_msg(&w, 9, &l);
    assert_int_equal(b.n, w.n);
    assert_memory_equal(b.p, w.p, w.n);
    pb_free(&w);
    assert_int_equal(gs_wire_decode_bundle(gs_bytes_of(b.p, b.n), &bback, &err), 0);
    assert_int_equal(bback.n_log_key_chain, 2);
    assert_int_equal(bback.log_key_chain[1].index, 9);
    assert_memory_equal(bback.log_key_chain[1].entry.p, e2, 2);
    gs_bundle_clear(&bback);
    assert_true(all_zero(&bback, sizeof bback));
    gs_buf_free(&b);

    /* refusals: a link without its entry, a proof hash of the wrong length,
     * too many links; nothing is left to free */
    static const struct {
        int what;
        const char *msg;
    } cases[] = {
        {0, "bundle.log_key_chain[1].entry: missing"},
        {1, "bundle.log_key_chain[1].inclusion_proof[0]: 31 bytes, expected 32"},
        {2, "bundle.log_key_chain: 1025 links, at most 1024 allowed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pb_len(&w, 1, ORIGIN, strlen(ORIGIN));
        pb_len(&w, 3, entry, 4);
        pb_len(&w, 5, "c\n", 2);
        size_t n = cases[i].what == 2 ? GS_MAX_KEY_LINKS + 1 : 2;
        for (size_t k = 0; k < n; k++) {
            if (k == 1 && cases[i].what == 0)
                pb_uint(&l, 1, 4);
            else
                link_bytes(&l, k + 1, e1, 3, hashes, 1, k == 1 && cases[i].what == 1 ? 31 : 0);
            pb_msg(&w, 9, &l);
        }
        assert_int_equal(gs_wire_decode_bundle(gs_bytes_of(w.p, w.n), &bback, &err), GS_EINVAL);
        if (strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %d: \"%s\"", cases[i].what, err.msg);
        assert_true(all_zero(&bback, sizeof bback));
        pb_free(&w);
    }
    /* the same refusal in a response */
    pb_uint(&w, 1, 8);
    pb_msg(&w, 2, &st);
    pb_uint(&l, 1, 4);
    pb_msg(&sub, 2, &l);
    pb_msg(&w, 18, &sub);
    assert_int_equal(gs_wire_decode_response(gs_bytes_of(w.p, w.n), GS_MAX_MESSAGE, &back, &err),
                     GS_EINVAL);
    assert_non_null(strstr(err.msg, "response.key_chain.links[0].entry: missing"));
    assert_true(all_zero(&back, sizeof back));
    pb_free(&w);
}

/* ------------------------------------------------------- helpers */

static void test_fixed(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t v;
    } good[] = {
        {"12.5", 12500000},
        {"-3", -3000000},
        {"0.000001", 1},
        {"-0.000001", -1},
        {"0", 0},
        {"-0", 0},
        {"100.250000", 100250000},
        {"9223372036854.775807", INT64_MAX},
        {"-9223372036854.775808", INT64_MIN},
    };
    static const char *const bad[] = {
        "1.",
        ".5",
        "1e3",
        "+1",
        "",
        "-",
        "1.2345678",
        " 1",
        "1 ",
        "0x10",
        "1,5",
        "--1",
        "9223372036854.775808",
        "-9223372036854.775809",
        "99999999999999999999999",
    };
    gs_error err = {0};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t v = 42;
        if (gs_fixed_parse(good[i].s, &v, &err) != 0)
            fail_msg("\"%s\": %s", good[i].s, err.msg);
        assert_int_equal(v, good[i].v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        if (gs_fixed_parse(bad[i], &v, &err) != GS_EINVAL)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_non_null(strstr(err.msg, "number"));
        assert_int_equal(v, 42);
    }
    static const struct {
        int64_t v;
        const char *s;
    } fmt[] = {
        {12500000, "12.5"},
        {3000000, "3"},
        {-1, "-0.000001"},
        {0, "0"},
        {-3000000, "-3"},
        {100250000, "100.25"},
        {1, "0.000001"},
        {INT64_MAX, "9223372036854.775807"},
        {INT64_MIN, "-9223372036854.775808"},
    };
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        char out[32];
        int64_t back;
        gs_fixed_format(fmt[i].v, out, sizeof out);
        assert_string_equal(out, fmt[i].s);
        assert_int_equal(gs_fixed_parse(out, &back, &err), 0);
        assert_int_equal(back, fmt[i].v);
    }
}

static void test_names_and_origins(void **state)
{
    (void)state;
    assert_string_equal(gs_tier_name(GS_TIER_PROVINCE), "province");
    assert_int_equal(gs_tier_parse("hub"), GS_TIER_HUB);
    assert_int_equal(gs_tier_parse("town"), 0);
    assert_string_equal(gs_role_name(GS_ROLE_INSPECTOR), "inspector");
    assert_int_equal(gs_role_parse("deputy"), GS_ROLE_DEPUTY);
    assert_int_equal(gs_role_parse("Head"), 0);
    assert_string_equal(gs_direction_name(GS_DIRECTION_AT_MOST), "at-most");
    assert_int_equal(gs_direction_parse("at-least"), GS_DIRECTION_AT_LEAST);
    assert_string_equal(gs_severity_name(GS_SEVERITY_HIGH), "high");
    assert_int_equal(gs_severity_parse("medium"), GS_SEVERITY_MEDIUM);
    assert_int_equal(gs_severity_parse(NULL), 0);
    assert_string_equal(gs_body_name(GS_BODY_KEY_ROTATION), "key-rotation");
    assert_string_equal(gs_body_name(GS_BODY_COMMITMENT), "commitment");
    assert_string_equal(gs_tier_name((gs_tier)9), "unknown");

    assert_string_equal(gs_status_name(GS_STATUS_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    assert_string_equal(gs_status_name(GS_STATUS_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
    static const struct {
        int code;
        gs_status_code want;
    } map[] = {
        {GS_OK, GS_STATUS_OK},
        {GS_EINVAL, GS_STATUS_INVALID_ARGUMENT},
        {GS_EVERIFY, GS_STATUS_UNAUTHENTICATED},
        {GS_EPERM, GS_STATUS_PERMISSION_DENIED},
        {GS_ENOTFOUND, GS_STATUS_NOT_FOUND},
        {GS_ECONFLICT, GS_STATUS_CONFLICT},
        {GS_ETOOBIG, GS_STATUS_RESOURCE_EXHAUSTED},
        {GS_EUNAVAIL, GS_STATUS_UNAVAILABLE},
        {GS_EIO, GS_STATUS_INTERNAL},
        {GS_ECORRUPT, GS_STATUS_INTERNAL},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        assert_int_equal(gs_status_from_error(map[i].code), map[i].want);

    static const char *const ok[] = {
        "giamsat/commune/phuong-1",
        "giamsat/province/ha-noi",
        "giamsat/central/vn",
        "giamsat/hub/central-1",
        "giamsat/hub/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    static const char *const no[] = {
        "",
        "giamsat/commune/",
        "giamsat/commune",
        "giamsat/town/x",
        "giamsat/commune/Phuong",
        "giamsat/commune/a/b",
        "giamsat/commune/a_b",
        "Giamsat/commune/a",
        "giamsat//a",
        "giamsat/hub/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "giamsat/commune/a\n",
    };
    gs_error err = {0};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (gs_origin_valid(ok[i], &err) != 0)
            fail_msg("\"%s\": %s", ok[i], err.msg);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        if (gs_origin_valid(no[i], &err) != GS_EINVAL)
            fail_msg("\"%s\" accepted", no[i]);
        assert_non_null(strstr(err.msg, "origin"));
    }
    assert_int_equal(gs_origin_valid(NULL, &err), GS_EINVAL);
    assert_int_equal(gs_unit_valid("abc-9"), 0);
    assert_int_equal(gs_unit_valid(""), GS_EINVAL);
    assert_int_equal(gs_unit_valid("a.b"), GS_EINVAL);
}

/* The entry limit a signer meets is 65535 bytes (a tlog-tiles entry bundle
 * prefixes entries with 16 bits), while an entry of 65536 bytes already in
 * a log still decodes: an honest log holding one is not refused. */
static void test_new_entry_limit(void **state)
{
    (void)state;
    gs_error err = {0};
    gs_sig sig;
    memset(&sig, 7, sizeof sig);
    /* A SignedStatement is 1 + 3 (length) + n + 66 (the signature) bytes
     * once n >= 16384. */
    size_t n = GS_MAX_NEW_ENTRY - 70;
    uint8_t *st = calloc(1, n + 1);
    assert_non_null(st);
    gs_buf out = {0};
    assert_int_equal(gs_wire_encode_signed_statement(gs_bytes_of(st, n), &sig, &out, &err), 0);
    assert_int_equal(out.n, GS_MAX_NEW_ENTRY);
    gs_buf_free(&out);
    assert_int_equal(gs_wire_encode_signed_statement(gs_bytes_of(st, n + 1), &sig, &out, &err),
                     GS_ETOOBIG);
    assert_non_null(strstr(err.msg, "65536 bytes, above the entry limit of 65535 bytes"));

    /* The same 65536 bytes, made by hand, still decode. */
    uint8_t *big = malloc(GS_MAX_ENTRY);
    assert_non_null(big);
    size_t k = 0;
    big[k++] = 0x0a; /* field 1, length-delimited */
    size_t len = n + 1;
    big[k++] = (uint8_t)(0x80 | (len & 0x7f));
    big[k++] = (uint8_t)(0x80 | ((len >> 7) & 0x7f));
    big[k++] = (uint8_t)(len >> 14);
    memset(big + k, 0, len);
    k += len;
    big[k++] = 0x12; /* field 2, the signature */
    big[k++] = 64;
    memset(big + k, 7, 64);
    k += 64;
    assert_int_equal(k, GS_MAX_ENTRY);
    gs_signed_statement ss;
    assert_int_equal(gs_wire_decode_signed_statement(gs_bytes_of(big, k), &ss, &err), 0);
    assert_int_equal(ss.statement.n, n + 1);
    free(big);
    free(st);
}

int main(void)
{
    gs_error err;
    if (gs_crypto_init(&err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_round_trip),
        cmocka_unit_test(test_new_entry_limit),
        cmocka_unit_test(test_statement_optional_absent),
        cmocka_unit_test(test_issue10_fields),
        cmocka_unit_test(test_statement_refusals),
        cmocka_unit_test(test_statement_not_canonical),
        cmocka_unit_test(test_parameters_range_is_the_rule_books),
        cmocka_unit_test(test_truncated_random_oversize),
        cmocka_unit_test(test_wrong_message_type),
        cmocka_unit_test(test_open_entry),
        cmocka_unit_test(test_receipt),
        cmocka_unit_test(test_receipt_batch),
        cmocka_unit_test(test_receipt_batch_example),
        cmocka_unit_test(test_request_round_trip),
        cmocka_unit_test(test_request_refusals),
        cmocka_unit_test(test_response_round_trip),
        cmocka_unit_test(test_response_refusals),
        cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_key_chain_messages),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_names_and_origins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
