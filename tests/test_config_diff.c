/* test_config_diff.c — what a reload sees between the running configuration
 * and the one read again (node/config.h and hub/config.h "reload"): the
 * sentences it logs, the bits that say what to apply, and what the settings
 * read at start only keep. Real files, read with the daemons' loaders. (The
 * daemons applying them: tests/it_reload.sh.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../hub/config.h"
#include "../node/config.h"

static char tmpdir[256];
static char said[8192];

static void say(void *ctx, const char *line)
{
    (void)ctx;
    strncat(said, line, sizeof said - strlen(said) - 2);
    strcat(said, "\n");
}

/* A verifier key named name (alg 0x01, or 0x04 for a cosigner). */
static void vkey(const char *name, uint8_t alg, char *out, size_t cap)
{
    gs_keypair kp;
    gs_vkey vk;
    gs_keypair_generate(&kp);
    assert_int_equal(gs_vkey_make(&vk, name, alg, &kp.pub, NULL), 0);
    assert_int_equal(gs_vkey_format(&vk, out, cap, NULL), 0);
}

static const char *write_conf(const char *name, const char *text)
{
    static char path[2][320];
    static int k;
    char *p = path[k++ % 2];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gs_test_config_diff_XXXXXX");
    return gs_crypto_init(NULL) != 0 || mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char node_base[] = "[node]\n"
                                "origin = giamsat/commune/xa-a\n"
                                "key = node.key\n"
                                "database = node.db\n"
                                "listen = ipc:///tmp/a.sock\n";

static void load_node(const char *name, const char *extra, gs_node_config *out)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", node_base, extra);
    gs_error err = {0};
    int rc = gs_node_config_load(write_conf(name, text), out, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
}

static void test_node_same(void **state)
{
    (void)state;
    gs_node_config a, b;
    load_node("a.conf", "", &a);
    load_node("b.conf", "", &b);
    said[0] = '\0';
    assert_int_equal(gs_node_config_diff(&a, &b, say, NULL), 0);
    assert_string_equal(said, "");
    gs_node_config_clear(&a);
    gs_node_config_clear(&b);
}

static void test_node_changes(void **state)
{
    (void)state;
    char w1[GS_VKEY_STR_MAX], w2[GS_VKEY_STR_MAX], writer[GS_VKEY_STR_MAX];
    vkey("giamsat/hub/one", GS_VKEY_ALG_COSIGNATURE_V1, w1, sizeof w1);
    vkey("giamsat/hub/two", GS_VKEY_ALG_COSIGNATURE_V1, w2, sizeof w2);
    vkey("writer", GS_VKEY_ALG_ED25519, writer, sizeof writer);
    char ra[2048], rb[2048];
    snprintf(ra, sizeof ra, "[witness]\nwitness = ipc:///tmp/one.sock,%s\n", w1);
    snprintf(rb, sizeof rb,
             "log_level = debug\nlisten = ipc:///tmp/a2.sock\nmax_batch = 10\n"
             "[access]\npublic_read = false\nwriter = %s\n"
             "[witness]\nwitness = ipc:///tmp/two.sock,%s\n",
             writer, w2);
    gs_node_config a, b;
    load_node("a.conf", ra, &a);
    load_node("b.conf", rb, &b);
    said[0] = '\0';
    unsigned bits = gs_node_config_diff(&a, &b, say, NULL);
    assert_int_equal(bits, GS_NODE_CHANGED_WITNESSES | GS_NODE_CHANGED_ACCESS |
                               GS_NODE_CHANGED_LIVE | GS_NODE_CHANGED_RESTART);
    assert_non_null(strstr(said, "witness giamsat/hub/one at ipc:///tmp/one.sock removed\n"));
    assert_non_null(strstr(said, "witness giamsat/hub/two at ipc:///tmp/two.sock added\n"));
    assert_non_null(strstr(said, "[access] public_read true -> false"));
    assert_non_null(strstr(said, "[access] writers: 0 -> 1 keys"));
    assert_non_null(strstr(said, "[node] log_level info -> debug\n"));
    assert_non_null(strstr(said, "[node] listen changed; it takes effect at the next restart\n"));
    assert_non_null(
        strstr(said, "[node] max_batch changed; it takes effect at the next restart\n"));
    assert_null(strstr(said, "origin"));

    /* Adopted: next runs the old sockets and batch, the new witness. */
    gs_node_config_keep(&a, &b, false);
    assert_int_equal(b.n_listen, 1);
    assert_string_equal(b.listen[0], "ipc:///tmp/a.sock");
    assert_int_equal(b.max_batch, 4096);
    assert_int_equal(b.log_level, GS_NODE_LOG_DEBUG);
    assert_int_equal(b.n_witnesses, 1);
    assert_string_equal(b.witness_endpoints[0], "ipc:///tmp/two.sock");
    /* What was running now describes nothing that runs: it is cleared. */
    assert_int_equal(a.n_listen, 2);
    gs_node_config_clear(&a);

    /* A reload that cannot change the witnesses keeps the running ones. */
    gs_node_config c;
    load_node("c.conf", ra, &c);
    gs_node_config_keep(&b, &c, true);
    assert_int_equal(c.n_witnesses, 1);
    assert_string_equal(c.witness_endpoints[0], "ipc:///tmp/two.sock");
    assert_int_equal(b.n_witnesses, 1);
    assert_string_equal(b.witness_endpoints[0], "ipc:///tmp/one.sock");
    gs_node_config_clear(&b);
    gs_node_config_clear(&c);
}

/* Checkpoint scheduling (issue 13 item 2): adaptive by default with its
 * small spacing, so an old node.conf gets it; both keys change live; a bad
 * value is refused naming the setting. */
static void test_node_checkpoint_keys(void **state)
{
    (void)state;
    gs_node_config a, b;
    load_node("a.conf", "", &a);
    assert_int_equal(a.checkpoint_mode, GS_NODE_CHECKPOINT_ADAPTIVE);
    assert_int_equal(a.checkpoint_min_interval_ms, GS_NODE_CHECKPOINT_MIN_INTERVAL_MS);
    assert_int_equal(a.checkpoint_interval_ms, 1000);
    load_node("b.conf", "checkpoint_mode = fixed\ncheckpoint_min_interval_ms = 40\n", &b);
    assert_int_equal(b.checkpoint_mode, GS_NODE_CHECKPOINT_FIXED);
    assert_int_equal(b.checkpoint_min_interval_ms, 40);
    said[0] = '\0';
    assert_int_equal(gs_node_config_diff(&a, &b, say, NULL), GS_NODE_CHANGED_LIVE);
    assert_non_null(strstr(said, "[node] checkpoint_mode adaptive -> fixed\n"));
    assert_non_null(strstr(said, "[node] checkpoint_min_interval_ms 5 -> 40\n"));
    assert_null(strstr(said, "restart"));
    /* Adopted as they are: nothing of them is kept from the running one. */
    gs_node_config_keep(&a, &b, false);
    assert_int_equal(b.checkpoint_mode, GS_NODE_CHECKPOINT_FIXED);
    assert_int_equal(b.checkpoint_min_interval_ms, 40);
    gs_node_config_clear(&a);
    gs_node_config_clear(&b);

    static const char *const bad[][2] = {
        {"checkpoint_mode = sometimes\n", "checkpoint_mode"},
        {"checkpoint_mode = \n", "checkpoint_mode"},
        {"checkpoint_min_interval_ms = -1\n", "checkpoint_min_interval_ms"},
        {"checkpoint_min_interval_ms = soon\n", "checkpoint_min_interval_ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[4096];
        snprintf(text, sizeof text, "%s%s", node_base, bad[i][0]);
        gs_node_config c;
        gs_error err = {0};
        assert_int_not_equal(gs_node_config_load(write_conf("bad.conf", text), &c, &err), 0);
        if (strstr(err.msg, bad[i][1]) == NULL)
            fail_msg("%s: the error does not name the setting: %s", bad[i][0], err.msg);
    }
}

/* receipt_mode and group_commit_wait_us (issue 13): defaults, values,
 * refusals, and a reload applies them live. */
static void test_node_receipts(void **state)
{
    (void)state;
    gs_node_config a, b;
    load_node("a.conf", "", &a);
    assert_false(a.receipt_single);
    assert_int_equal(a.group_commit_wait_us, 5000);
    load_node("b.conf", "receipt_mode = single\ngroup_commit_wait_us = 0\n", &b);
    assert_true(b.receipt_single);
    assert_int_equal(b.group_commit_wait_us, 0);
    said[0] = '\0';
    assert_int_equal(gs_node_config_diff(&a, &b, say, NULL), GS_NODE_CHANGED_LIVE);
    assert_non_null(strstr(said, "[node] receipt_mode batch -> single\n"));
    assert_non_null(strstr(said, "[node] group_commit_wait_us 5000 -> 0\n"));
    gs_node_config_keep(&a, &b, false);
    assert_true(b.receipt_single); /* live: the new value stays */
    gs_node_config_clear(&a);
    gs_node_config_clear(&b);

    static const char *const bad[] = {"receipt_mode = both\n", "group_commit_wait_us = -1\n",
                                      "group_commit_wait_us = 1000001\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[4096];
        snprintf(text, sizeof text, "%s%s", node_base, bad[i]);
        gs_error err = {0};
        gs_node_config c;
        assert_int_not_equal(gs_node_config_load(write_conf("c.conf", text), &c, &err), 0);
        assert_non_null(strstr(err.msg, i == 0 ? "receipt_mode" : "group_commit_wait_us"));
    }
}

/* ------------------------------------------------------------ hub */

static const char hub_base[] = "[hub]\n"
                               "name = tinh\n"
                               "key = hub.key\n"
                               "database = hub.db\n"
                               "listen = ipc:///tmp/h.sock\n";

static void load_hub(const char *name, const char *extra, gs_hub_config *out)
{
    char text[8192];
    snprintf(text, sizeof text, "%s%s", hub_base, extra);
    gs_error err = {0};
    int rc = gs_hub_config_load(write_conf(name, text), out, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
}

static void test_hub_same(void **state)
{
    (void)state;
    char ka[GS_VKEY_STR_MAX], text[2048];
    vkey("giamsat/commune/a", GS_VKEY_ALG_ED25519, ka, sizeof ka);
    snprintf(text, sizeof text, "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n",
             ka);
    gs_hub_config a, b;
    load_hub("a.conf", text, &a);
    load_hub("b.conf", text, &b);
    said[0] = '\0';
    assert_int_equal(gs_hub_config_diff(&a, &b, say, NULL), 0);
    assert_string_equal(said, "");
    assert_true(gs_hub_followed_same(&a.logs[0], &b.logs[0]));
    assert_ptr_equal(gs_hub_config_log(&a, "giamsat/commune/a"), &a.logs[0]);
    assert_null(gs_hub_config_log(&a, "giamsat/commune/b"));
    gs_hub_config_clear(&a);
    gs_hub_config_clear(&b);
}

static void test_hub_logs(void **state)
{
    (void)state;
    char ka[GS_VKEY_STR_MAX], kb[GS_VKEY_STR_MAX], kc[GS_VKEY_STR_MAX], kc2[GS_VKEY_STR_MAX],
        kd[GS_VKEY_STR_MAX], wk[GS_VKEY_STR_MAX];
    vkey("giamsat/commune/a", GS_VKEY_ALG_ED25519, ka, sizeof ka);
    vkey("giamsat/commune/b", GS_VKEY_ALG_ED25519, kb, sizeof kb);
    vkey("giamsat/commune/c", GS_VKEY_ALG_ED25519, kc, sizeof kc);
    vkey("giamsat/commune/c", GS_VKEY_ALG_ED25519, kc2, sizeof kc2);
    vkey("giamsat/commune/d", GS_VKEY_ALG_ED25519, kd, sizeof kd);
    vkey("giamsat/hub/w", GS_VKEY_ALG_COSIGNATURE_V1, wk, sizeof wk);
    char ra[4096], rb[4096];
    /* a stays, b goes, c gets another key, d comes; a's sources change. */
    snprintf(ra, sizeof ra,
             "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n"
             "[log giamsat/commune/b]\nlog_key = %s\nsource = ipc:///tmp/b\n"
             "[log giamsat/commune/c]\nlog_key = %s\nsource = ipc:///tmp/c\n",
             ka, kb, kc);
    snprintf(rb, sizeof rb,
             "poll_interval_ms = 250\npublish = ipc:///tmp/h.pub\n"
             "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n"
             "source = ipc:///tmp/a2\n"
             "[log giamsat/commune/c]\nlog_key = %s\nsource = ipc:///tmp/c\n"
             "[log giamsat/commune/d]\nlog_key = %s\nsource = ipc:///tmp/d\n"
             "[witness]\nwitness = ipc:///tmp/w,%s\n",
             ka, kc2, kd, wk);
    gs_hub_config a, b;
    load_hub("a.conf", ra, &a);
    load_hub("b.conf", rb, &b);
    said[0] = '\0';
    unsigned bits = gs_hub_config_diff(&a, &b, say, NULL);
    assert_int_equal(bits, GS_HUB_CHANGED_LOGS | GS_HUB_CHANGED_LIVE | GS_HUB_CHANGED_RESTART |
                               GS_HUB_CHANGED_REFUSED | GS_HUB_CHANGED_WITNESSES);
    assert_non_null(strstr(said, "giamsat/commune/b no longer followed"));
    assert_non_null(strstr(said, "following giamsat/commune/d (1 source)\n"));
    assert_non_null(strstr(said, "giamsat/commune/a: sources changed (1 -> 2 sources)\n"));
    assert_non_null(strstr(said, "[log giamsat/commune/c] log_key changed: refused"));
    /* c's sources are the same once its key is kept. */
    assert_null(strstr(said, "giamsat/commune/c: sources changed"));
    assert_non_null(strstr(said, "[hub] poll_interval_ms 1000 -> 250\n"));
    assert_non_null(strstr(said, "[hub] publish changed; it takes effect at the next restart\n"));
    assert_non_null(strstr(said, "witness giamsat/hub/w at ipc:///tmp/w added\n"));
    assert_null(strstr(said, "[witness] changed"));

    gs_hub_config_keep(&a, &b, false);
    /* c keeps the key it was followed with, and its keyless source too. */
    const gs_hub_followed *c_new = gs_hub_config_log(&b, "giamsat/commune/c");
    const gs_hub_followed *c_old = gs_hub_config_log(&a, "giamsat/commune/c");
    assert_non_null(c_new);
    assert_true(gs_hub_followed_same(c_new, c_old));
    assert_int_equal(b.n_publish, 0);
    assert_int_equal(b.n_witnesses, 1); /* applied live */
    assert_int_equal(b.poll_interval_ms, 250);
    assert_string_equal(b.origin, "giamsat/hub/tinh");
    gs_hub_config_clear(&a);
    gs_hub_config_clear(&b);
}

static void test_hub_access(void **state)
{
    (void)state;
    char writer[GS_VKEY_STR_MAX], text[1024];
    vkey("writer", GS_VKEY_ALG_ED25519, writer, sizeof writer);
    snprintf(text, sizeof text, "[access]\npublic_read = false\nwriter = %s\n", writer);
    gs_hub_config a, b;
    load_hub("a.conf", "", &a);
    load_hub("b.conf", text, &b);
    said[0] = '\0';
    assert_int_equal(gs_hub_config_diff(&a, &b, say, NULL), GS_HUB_CHANGED_ACCESS);
    assert_non_null(strstr(said, "[access] public_read true -> false"));
    assert_non_null(strstr(said, "[access] writers: 0 -> 1 keys"));
    gs_hub_config_clear(&a);
    gs_hub_config_clear(&b);
}

/* Issue 13 item 1: [node] publish waits for a restart; [hub]
 * silent_poll_interval_ms applies live; a [log]'s subscribe (default key:
 * the log key) is part of how it is followed; bad values are refused. */
static void test_fanin(void **state)
{
    (void)state;
    gs_node_config na, nb;
    load_node("a.conf", "", &na);
    load_node("b.conf", "publish = ipc:///tmp/a.pub\npublish = tcp://127.0.0.1:7401\n", &nb);
    assert_int_equal(nb.n_publish, 2);
    assert_string_equal(nb.publish[1], "tcp://127.0.0.1:7401");
    said[0] = '\0';
    assert_int_equal(gs_node_config_diff(&na, &nb, say, NULL), GS_NODE_CHANGED_RESTART);
    assert_non_null(strstr(said, "[node] publish changed; it takes effect at the next restart\n"));
    gs_node_config_keep(&na, &nb, false);
    assert_int_equal(nb.n_publish, 0);
    gs_node_config_clear(&na);
    gs_node_config_clear(&nb);
    gs_error err = {0};
    char text[4096];
    snprintf(text, sizeof text, "%spublish = udp://x\n", node_base);
    assert_int_not_equal(gs_node_config_load(write_conf("c.conf", text), &na, &err), 0);
    assert_non_null(strstr(err.msg, "publish"));

    char ka[GS_VKEY_STR_MAX], kh[GS_VKEY_STR_MAX], ra[2048], rb[2048];
    vkey("giamsat/commune/a", GS_VKEY_ALG_ED25519, ka, sizeof ka);
    vkey("giamsat/hub/p", GS_VKEY_ALG_ED25519, kh, sizeof kh);
    snprintf(ra, sizeof ra, "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n", ka);
    snprintf(rb, sizeof rb,
             "silent_poll_interval_ms = 120000\n"
             "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n"
             "subscribe = tcp://10.0.0.1:7401\n",
             ka);
    gs_hub_config a, b;
    load_hub("a.conf", ra, &a);
    load_hub("b.conf", rb, &b);
    assert_int_equal(a.silent_poll_interval_ms, 60000);
    assert_null(a.logs[0].subscribe.endpoint);
    assert_string_equal(b.logs[0].subscribe.endpoint, "tcp://10.0.0.1:7401");
    assert_memory_equal(&b.logs[0].subscribe.key, &b.logs[0].log_key, sizeof(gs_vkey));
    assert_false(gs_hub_followed_same(&a.logs[0], &b.logs[0]));
    said[0] = '\0';
    assert_int_equal(gs_hub_config_diff(&a, &b, say, NULL),
                     GS_HUB_CHANGED_LOGS | GS_HUB_CHANGED_LIVE);
    assert_non_null(strstr(said, "[hub] silent_poll_interval_ms 60000 -> 120000\n"));
    assert_non_null(strstr(said, "giamsat/commune/a: sources changed"));
    gs_hub_config_clear(&a);
    gs_hub_config_clear(&b);
    /* A key after the comma, as for source; one subscribe per log. */
    snprintf(rb, sizeof rb,
             "[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n"
             "subscribe = tcp://10.0.0.2:7501,%s\n",
             ka, kh);
    load_hub("b.conf", rb, &b);
    assert_string_equal(b.logs[0].subscribe.key.name, "giamsat/hub/p");
    gs_hub_config_clear(&b);
    snprintf(rb, sizeof rb,
             "%s[log giamsat/commune/a]\nlog_key = %s\nsource = ipc:///tmp/a\n"
             "subscribe = ipc:///tmp/p1\nsubscribe = ipc:///tmp/p2\n",
             hub_base, ka);
    assert_int_not_equal(gs_hub_config_load(write_conf("d.conf", rb), &b, &err), 0);
    assert_non_null(strstr(err.msg, "at most one subscribe"));
    snprintf(rb, sizeof rb, "%ssilent_poll_interval_ms = 0\n", hub_base);
    assert_int_not_equal(gs_hub_config_load(write_conf("e.conf", rb), &b, &err), 0);
    assert_non_null(strstr(err.msg, "silent_poll_interval_ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_same),
        cmocka_unit_test(test_node_changes),
        cmocka_unit_test(test_hub_same),
        cmocka_unit_test(test_hub_logs),
        cmocka_unit_test(test_hub_access),
        cmocka_unit_test(test_fanin),
        cmocka_unit_test(test_node_checkpoint_keys),
        cmocka_unit_test(test_node_receipts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
