/* fuzz_bundle.c — gs_wire_decode_bundle on arbitrary bytes; the entries a
 * decoded bundle carries are opened too, as `giamsat verify` does. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gs_bundle b;
    gs_statement st;
    gs_buf out;
    gs_error err;

    fuzz_init();
    int rc = gs_wire_decode_bundle(gs_bytes_of(data, size), &b, &err);
    if (rc != 0) {
        fuzz_refused(rc, &err, &b, sizeof b);
        return 0;
    }
    if (gs_wire_open_entry(gs_bytes_of(b.entry.p, b.entry.n), &st, &err) == 0)
        gs_statement_clear(&st);
    if (gs_wire_open_entry(gs_bytes_of(b.signer_entry.p, b.signer_entry.n), &st, &err) == 0)
        gs_statement_clear(&st);
    fuzz_same(gs_wire_encode_bundle(&b, &out, &err), &out, data, size);
    gs_bundle_clear(&b);
    fuzz_assert(fuzz_zero(&b, sizeof b));
    return 0;
}
