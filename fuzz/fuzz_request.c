/* fuzz_request.c — gs_wire_decode_request on arbitrary bytes. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gs_request rq;
    gs_buf out;
    gs_error err;

    fuzz_init();
    int rc = gs_wire_decode_request(gs_bytes_of(data, size), GS_MAX_MESSAGE, &rq, &err);
    if (rc != 0) {
        fuzz_refused(rc, &err, &rq, sizeof rq);
        return 0;
    }
    fuzz_assert(rq.version == 1 && rq.op != GS_OP_NONE && rq.origin != NULL);
    fuzz_same(gs_wire_encode_request(&rq, &out, &err), &out, data, size);
    gs_request_clear(&rq);
    fuzz_assert(fuzz_zero(&rq, sizeof rq));
    return 0;
}
