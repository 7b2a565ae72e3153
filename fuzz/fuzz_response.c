/* fuzz_response.c — gs_wire_decode_response on arbitrary bytes; a receipt
 * inside is opened too. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gs_response rs;
    gs_buf out;
    gs_error err;

    fuzz_init();
    int rc = gs_wire_decode_response(gs_bytes_of(data, size), GS_MAX_MESSAGE, &rs, &err);
    if (rc != 0) {
        fuzz_refused(rc, &err, &rs, sizeof rs);
        return 0;
    }
    fuzz_assert(rs.message != NULL);
    if (rs.result == GS_RESULT_RECEIPT) {
        gs_receipt r;
        gs_pubkey any = {{0}};
        rc = gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n), &any, &r, &err);
        if (rc == 0)
            gs_receipt_clear(&r);
        else
            fuzz_refused(rc, &err, &r, sizeof r);
    }
    fuzz_same(gs_wire_encode_response(&rs, &out, &err), &out, data, size);
    gs_response_clear(&rs);
    fuzz_assert(fuzz_zero(&rs, sizeof rs));
    return 0;
}
