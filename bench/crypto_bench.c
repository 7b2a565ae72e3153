/* crypto_bench.c — Ed25519 signing and verification rate, one thread, over
 * a 256-byte message framed with the statement domain (the size of a
 * typical SignedStatement). Prints sign_per_s and verify_per_s; --quick
 * runs about 1 s each, otherwise about 5 s each. */
#include "bench_util.h"
#include "crypto.h"

#include <stdio.h>
#include <string.h>

#define MSG_BYTES 256
#define BATCH 64 /* operations between clock reads */

int main(int argc, char **argv)
{
    gs_error err;
    if (gs_crypto_init(&err) != 0) {
        fprintf(stderr, "crypto_bench: %s\n", err.msg);
        return 2;
    }
    double seconds = gs_bench_quick(argc, argv) ? 1.0 : 5.0;

    gs_keypair kp;
    gs_keypair_generate(&kp);
    uint8_t msg[MSG_BYTES];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)(i * 31 + 7);
    gs_bytes m = gs_bytes_of(msg, sizeof msg);
    gs_sig sig;

    /* Signing: vary one byte so no two messages are the same. */
    unsigned long ops = 0;
    double start = gs_bench_now(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < BATCH; i++) {
            msg[0] = (uint8_t)ops++;
            gs_sign(&kp, GS_DOMAIN_STATEMENT, m, &sig);
        }
        elapsed = gs_bench_now() - start;
    }
    gs_bench_figure("sign_per_s", (double)ops / elapsed, "ops/s");

    /* Verifying the last signature, which must hold every time. */
    unsigned long failures = 0;
    ops = 0;
    start = gs_bench_now();
    elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < BATCH; i++) {
            failures += gs_verify(&kp.pub, GS_DOMAIN_STATEMENT, m, &sig) != 0;
            ops++;
        }
        elapsed = gs_bench_now() - start;
    }
    gs_bench_figure("verify_per_s", (double)ops / elapsed, "ops/s");
    gs_keypair_wipe(&kp);
    if (failures != 0) {
        fprintf(stderr, "crypto_bench: %lu verifications failed\n", failures);
        return 1;
    }
    return 0;
}
