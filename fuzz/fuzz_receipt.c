/* fuzz_receipt.c — gs_wire_open_receipt on arbitrary bytes against the node
 * key seeds.c signs with. Ed25519 signatures are deterministic (RFC 8032
 * §5.1.6), so signing an opened receipt again must give back the input: a
 * single receipt alone, a batch receipt of a batch of one as that batch (a
 * larger batch needs its other receipts, which the input does not hold). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gs_keypair node;
    static bool have_key;
    gs_receipt r;
    gs_buf out;
    gs_error err;

    fuzz_init();
    if (!have_key) {
        uint8_t seed[32];
        memset(seed, FUZZ_NODE_SEED, sizeof seed);
        gs_keypair_from_seed(&node, seed);
        have_key = true;
    }
    int rc = gs_wire_open_receipt(gs_bytes_of(data, size), &node.pub, &r, &err);
    if (rc != 0) {
        fuzz_refused(rc, &err, &r, sizeof r);
        return 0;
    }
    if (r.batch_size == 0)
        fuzz_same(gs_wire_sign_receipt(&r, &node, &out, &err), &out, data, size);
    else if (r.batch_size == 1)
        fuzz_same(gs_wire_sign_receipt_batch(&r, 1, &node, &out, &err), &out, data, size);
    else
        fuzz_assert(r.batch_index < r.batch_size);
    gs_receipt_clear(&r);
    fuzz_assert(fuzz_zero(&r, sizeof r));
    return 0;
}
