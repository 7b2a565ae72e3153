/* fuzz_policy.c — libFuzzer target for the trust-file parser
 * (common/policy.c, C2SP tlog-policy): whatever the input, a policy or an
 * error sentence; no crash, no leak, no out-of-bounds read. What parses is
 * also walked through its accessors. */
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    gs_error err;
    if (!ready) {
        if (gs_crypto_init(&err) != 0)
            abort();
        ready = 1;
    }
    gs_policy *p = NULL;
    if (gs_policy_parse((const char *)data, size, "fuzz", &p, &err) != 0) {
        if (err.msg[0] == '\0')
            __builtin_trap(); /* every refusal says why */
        return 0;
    }
    for (size_t i = 0; i < gs_policy_log_count(p); i++)
        (void)gs_policy_log_at(p, i, NULL);
    for (size_t i = 0; i < gs_policy_witness_count(p); i++)
        (void)gs_policy_witness_at(p, i, NULL, NULL);
    gs_policy_free(&p);
    return 0;
}
