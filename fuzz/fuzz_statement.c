/* fuzz_statement.c — gs_wire_decode_statement, gs_wire_decode_signed_statement
 * and gs_wire_open_entry on arbitrary bytes (fuzz.h says what is checked). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gs_bytes in = gs_bytes_of(data, size);
    gs_statement st;
    gs_signed_statement ss;
    gs_buf out;
    gs_error err;
    int rc;

    fuzz_init();
    rc = gs_wire_decode_statement(in, &st, &err);
    if (rc == 0) {
        fuzz_same(gs_wire_encode_statement(&st, &out, &err), &out, data, size);
        fuzz_assert(gs_body_name(st.kind) != NULL);
        gs_statement_clear(&st);
        fuzz_assert(fuzz_zero(&st, sizeof st));
    } else {
        fuzz_refused(rc, &err, &st, sizeof st);
    }

    rc = gs_wire_decode_signed_statement(in, &ss, &err);
    if (rc == 0) {
        /* the statement is borrowed from the input */
        fuzz_assert(ss.statement.p >= data && ss.statement.n <= size &&
                    ss.statement.p + ss.statement.n <= data + size);
        fuzz_same(gs_wire_encode_signed_statement(ss.statement, &ss.signature, &out, &err), &out,
                  data, size);
    }

    rc = gs_wire_open_entry(in, &st, &err);
    if (rc == 0) {
        fuzz_assert(gs_wire_decode_signed_statement(in, &ss, &err) == 0);
        fuzz_assert(gs_verify(&st.signer, GS_DOMAIN_STATEMENT, ss.statement, &ss.signature) == 0);
        fuzz_same(gs_wire_encode_statement(&st, &out, &err), &out, ss.statement.p, ss.statement.n);
        gs_statement_clear(&st);
    } else {
        fuzz_refused(rc, &err, &st, sizeof st);
    }
    return 0;
}
