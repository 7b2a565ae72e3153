/* it_fanin.c — a hub driven by its sources' announcements, not by polling
 * (issue 13 item 1).
 *
 * Node A publishes its checkpoints on a PUB socket over tcp:// with CURVE
 * (`giamsat node init --publish`); a hub follows it with `hub follow
 * --subscribe`, and both of the hub's poll intervals are an hour, so only
 * the first poll at start and an announcement can make it sync. Checked:
 *   1. a new statement in A is cosigned by the hub (the announcement drove
 *      the sync: no poll was due);
 *   2. after a hub restart, what A took meanwhile and a new statement are
 *      cosigned (the poll at start, then announcements again);
 *   3. after a node restart (the hub's SUB reconnects), a new statement is
 *      cosigned;
 *   4. log B (no publisher of its own) is subscribed at a PUB socket the
 *      test holds: messages of one frame, of three, of an unknown or longer
 *      topic, garbage, a forged note of the cosigned size with another root
 *      and one of a huge size change nothing: no evidence, no crash; a
 *      forged note of B's real next size (its signature garbage) makes the
 *      hub poll B, which cosigns what B serves: a hint, never trusted;
 *   5. `giamsat hub follow --update` without --subscribe keeps the line,
 *      with it replaces it, and `node init --json` says "publish".
 *
 * usage: it_fanin BUILD_DIR */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "it_util.h"
#include "note.h"

static const char *bin;
static void *zctx;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            it_die(__VA_ARGS__);                                                                   \
    } while (0)

typedef struct {
    it_node n;
    char log_key[GS_VKEY_STR_MAX];
    char publish[128];
    gs_keypair officer;
    uint64_t node_seq, officer_seq;
    uint64_t size; /* entries the node holds, Charter included */
} unit;

static void submit(unit *u, gs_statement *st, const gs_keypair *kp, uint64_t *seq)
{
    gs_net_client *c = NULL;
    gs_error err;
    if (gs_net_client_open(&c, zctx, u->n.ipc, NULL, NULL, 10000, GS_MAX_MESSAGE, &err) != 0)
        it_die("%s", err.msg);
    gs_buf e = it_sign(st, kp, u->n.origin, (*seq)++);
    char msg[600];
    gs_receipt r = {0};
    int code = it_submit(c, gs_bytes_of(e.p, e.n), &u->n.key.pub, &r, msg, sizeof msg);
    gs_receipt_clear(&r);
    gs_buf_free(&e);
    gs_net_client_close(&c);
    CHECK(code == GS_STATUS_OK, "statement refused by %s: %s", u->n.origin, msg);
    u->size++;
}

/* One more statement in u: an officer and a commitment first, then
 * Progress statements. */
static void one_more(unit *u)
{
    if (u->size == 1) {
        gs_keypair_generate(&u->officer);
        gs_statement st = {.kind = GS_BODY_APPOINTMENT};
        st.u.appointment.person = u->officer.pub;
        st.u.appointment.name = "Nguyen Van A";
        st.u.appointment.role = GS_ROLE_OFFICER;
        st.u.appointment.title = "";
        st.u.appointment.decision = "";
        submit(u, &st, &u->n.key, &u->node_seq);
    } else if (u->size == 2) {
        gs_statement st = {.kind = GS_BODY_COMMITMENT};
        st.u.commitment.id = "roads";
        st.u.commitment.title = "Pave the commune roads";
        st.u.commitment.indicator = "km paved";
        st.u.commitment.unit_of_measure = "km";
        st.u.commitment.target = 12 * GS_FIXED_SCALE;
        st.u.commitment.direction = GS_DIRECTION_AT_LEAST;
        st.u.commitment.deadline = (int64_t)time(NULL) + 86400 * 365;
        submit(u, &st, &u->officer, &u->officer_seq);
    } else {
        gs_statement st = {.kind = GS_BODY_PROGRESS};
        st.u.progress.commitment_id = "roads";
        st.u.progress.value = (int64_t)(u->size * GS_FIXED_SCALE);
        st.u.progress.note = "monthly count";
        submit(u, &st, &u->officer, &u->officer_seq);
    }
}

/* The size of u's log the hub serves cosigned now (0: none). */
static uint64_t cosigned_now(const it_hub *h, const unit *u)
{
    char *note = it_get_checkpoint(zctx, h->ipc, u->n.origin, NULL);
    uint64_t size = note != NULL ? it_checkpoint_size(note) : 0;
    free(note);
    return size;
}

static void hub_alive(const it_hub *h)
{
    int st;
    CHECK(waitpid(h->pid, &st, WNOHANG) == 0, "giamsat-hub exited; see %s", h->log);
}

/* Waits until the hub cosigned u at u->size. Nothing is due to be polled
 * (an hour apart), so only an announcement brings it; one sent before the
 * hub's SUB had connected is lost (PUB/SUB), so while waiting the node is
 * given one more statement every few seconds, each announced again. That
 * pause is a polling interval, not what the check waits for. */
static void wait_announced(const it_hub *h, unit *u)
{
    int64_t end = it_now_ms() + IT_WAIT_MS, next = it_now_ms() + 5000;
    while (cosigned_now(h, u) < u->size) {
        hub_alive(h);
        CHECK(it_now_ms() < end, "the hub did not cosign %s at %llu; see %s", u->n.origin,
              (unsigned long long)u->size, h->log);
        if (it_now_ms() >= next) {
            one_more(u);
            next = it_now_ms() + 5000;
        }
        it_sleep_ms(50);
    }
}

static void make_unit(unit *u, const char *name, bool publish)
{
    memset(u, 0, sizeof *u);
    char extra[256] = "";
    if (publish) {
        snprintf(u->publish, sizeof u->publish, "tcp://127.0.0.1:%d", it_free_port());
        snprintf(extra, sizeof extra, "[node]\npublish = %s\n", u->publish);
    }
    it_node_init(&u->n, bin, name, true, extra);
    it_vkey(u->log_key, u->n.origin, GS_VKEY_ALG_ED25519, &u->n.key.pub);
    it_node_start(&u->n, bin);
    it_node_wait_ready(&u->n, zctx);
    u->size = 1;
    u->node_seq = 2;
    u->officer_seq = 1;
}

static void follow(const it_hub *h, const unit *u, const char *subscribe, bool update)
{
    char cli[600];
    snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
    char *argv[16];
    int k = 0;
    argv[k++] = cli;
    argv[k++] = "hub";
    argv[k++] = "follow";
    if (update)
        argv[k++] = "--update";
    argv[k++] = "--config";
    argv[k++] = it_arg(h->conf);
    argv[k++] = "--origin";
    argv[k++] = it_arg(u->n.origin);
    if (!update) {
        argv[k++] = "--log-key";
        argv[k++] = it_arg(u->log_key);
    }
    argv[k++] = "--source";
    argv[k++] = it_arg(u->n.tcp);
    if (subscribe != NULL) {
        argv[k++] = "--subscribe";
        argv[k++] = it_arg(subscribe);
    }
    argv[k] = NULL;
    char out[4096];
    int st = it_run(argv, out, sizeof out);
    CHECK(st == 0, "giamsat hub follow exited %d: %s", st, out);
}

static size_t evidence_count(const it_hub *h, const char *origin)
{
    gs_buf *items = NULL;
    size_t n = 0;
    int code = it_get_evidence(zctx, h->ipc, origin, &items, &n);
    CHECK(code == GS_STATUS_OK || code == GS_STATUS_NOT_FOUND, "GetEvidence %s: code %d", origin,
          code);
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&items[i]);
    free(items);
    return n;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "cannot read %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void send_frames(void *pub, const char *const *frames, const size_t *lens, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(zmq_send(pub, frames[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) >= 0, "send: %s",
              zmq_strerror(errno));
}

/* 4: everything a hostile publisher can send for B, then a forged note of
 * B's next size. */
static void hostile_round(void *pub, const unit *b, uint64_t cosigned)
{
    char topic[GS_MAX_ORIGIN + 32], longer[GS_MAX_ORIGIN + 32], other[64];
    snprintf(topic, sizeof topic, "checkpoint/%s", b->n.origin);
    snprintf(longer, sizeof longer, "checkpoint/%sx", b->n.origin);
    snprintf(other, sizeof other, "checkpoint/giamsat/commune/nobody");
    char same[512], huge[512], next[512];
    static const char sig[] =
        "\n\xe2\x80\x94 forged AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    snprintf(same, sizeof same, "%s\n%llu\n%s\n%s", b->n.origin, (unsigned long long)cosigned,
             "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", sig);
    snprintf(huge, sizeof huge, "%s\n%s\n%s\n%s", b->n.origin, "9999999999",
             "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", sig);
    snprintf(next, sizeof next, "%s\n%llu\n%s\n%s", b->n.origin, (unsigned long long)b->size,
             "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", sig);
    const char *one[] = {topic};
    size_t one_l[] = {strlen(topic)};
    send_frames(pub, one, one_l, 1);
    const char *three[] = {topic, same, same};
    size_t three_l[] = {strlen(topic), strlen(same), strlen(same)};
    send_frames(pub, three, three_l, 3);
    const char *garbage[] = {topic, "\x01\x02garbage\n\n\n"};
    size_t garbage_l[] = {strlen(topic), 11};
    send_frames(pub, garbage, garbage_l, 2);
    const char *empty[] = {topic, ""};
    size_t empty_l[] = {strlen(topic), 0};
    send_frames(pub, empty, empty_l, 2);
    const char *lng[] = {longer, next};
    size_t lng_l[] = {strlen(longer), strlen(next)};
    send_frames(pub, lng, lng_l, 2);
    const char *oth[] = {other, next};
    size_t oth_l[] = {strlen(other), strlen(next)};
    send_frames(pub, oth, oth_l, 2);
    const char *split[] = {topic, same};
    size_t split_l[] = {strlen(topic), strlen(same)};
    send_frames(pub, split, split_l, 2);
    const char *big[] = {topic, huge};
    size_t big_l[] = {strlen(topic), strlen(huge)};
    send_frames(pub, big, big_l, 2);
    const char *nx[] = {topic, next};
    size_t nx_l[] = {strlen(topic), strlen(next)};
    send_frames(pub, nx, nx_l, 2);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        it_die("usage: it_fanin BUILD_DIR");
    bin = argv[1];
    gs_error err;
    CHECK(gs_crypto_init(&err) == 0, "%s", err.msg);
    zctx = zmq_ctx_new();

    /* 5 (first part): node init --publish --json. */
    {
        char cli[600], dir[600], out[4096];
        snprintf(cli, sizeof cli, "%s/cli/giamsat", bin);
        snprintf(dir, sizeof dir, "%s/jsonnode", it_tmpdir());
        char *av[] = {cli,
                      "node",
                      "init",
                      "--dir",
                      dir,
                      "--tier",
                      "commune",
                      "--unit",
                      "json",
                      "--name",
                      "Json",
                      "--publish",
                      "tcp://127.0.0.1:7999",
                      "--json",
                      NULL};
        int st = it_run(av, out, sizeof out);
        CHECK(st == 0, "node init --publish exited %d: %s", st, out);
        CHECK(strstr(out, "\"publish\": [") != NULL &&
                  strstr(out, "\"tcp://127.0.0.1:7999\"") != NULL,
              "node init --json does not say publish: %s", out);
        char conf[700];
        snprintf(conf, sizeof conf, "%s/node.conf", dir);
        CHECK(strstr(read_file(conf), "\npublish = tcp://127.0.0.1:7999\n") != NULL,
              "node.conf has no publish line");
    }

    unit a, b;
    make_unit(&a, "fan-a", true);
    make_unit(&b, "fan-b", false);
    it_hub hub;
    it_hub_init(&hub, bin, "fanin", false,
                "[hub]\npoll_interval_ms = 3600000\nsilent_poll_interval_ms = 3600000\n");
    follow(&hub, &a, a.publish, false);
    char fake_pub[700];
    snprintf(fake_pub, sizeof fake_pub, "ipc://%s/fake-pub.sock", it_tmpdir());
    follow(&hub, &b, fake_pub, false);
    CHECK(strstr(read_file(hub.conf), "subscribe = ") != NULL, "hub.conf has no subscribe line");
    it_hub_start(&hub, bin);
    it_hub_wait_ready(&hub, zctx);
    /* The poll at start cosigns both at their Charter. */
    free(it_hub_wait_cosigned(zctx, hub.ipc, a.n.origin, 1, IT_WAIT_MS, hub.log));
    free(it_hub_wait_cosigned(zctx, hub.ipc, b.n.origin, 1, IT_WAIT_MS, hub.log));

    /* 1. */
    one_more(&a);
    wait_announced(&hub, &a);
    printf("ok 1 - a statement announced is cosigned with no poll due (size %llu)\n",
           (unsigned long long)a.size);

    /* 2. */
    it_hub_stop(&hub, SIGTERM);
    one_more(&a);
    it_hub_start(&hub, bin);
    it_hub_wait_ready(&hub, zctx);
    free(it_hub_wait_cosigned(zctx, hub.ipc, a.n.origin, a.size, IT_WAIT_MS, hub.log));
    one_more(&a);
    wait_announced(&hub, &a);
    printf("ok 2 - after a hub restart: caught up at start, then announcements again (size "
           "%llu)\n",
           (unsigned long long)a.size);

    /* 3. */
    it_node_stop(&a.n, SIGTERM);
    it_node_start(&a.n, bin);
    it_node_wait_ready(&a.n, zctx);
    one_more(&a);
    wait_announced(&hub, &a);
    printf("ok 3 - after a node restart the subscription carries on (size %llu)\n",
           (unsigned long long)a.size);

    /* 4. */
    void *pub = zmq_socket(zctx, ZMQ_PUB);
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    CHECK(zmq_bind(pub, fake_pub) == 0, "bind %s: %s", fake_pub, zmq_strerror(errno));
    uint64_t b_cosigned = b.size;
    one_more(&b); /* B serves size 2; no poll is due for an hour */
    int64_t end = it_now_ms() + IT_WAIT_MS;
    while (cosigned_now(&hub, &b) < b.size) {
        hub_alive(&hub);
        CHECK(it_now_ms() < end, "forged hints of B's real size did not make the hub poll B");
        hostile_round(pub, &b, b_cosigned);
        it_sleep_ms(200);
    }
    /* The messages sent before the last hint reached the hub before it. */
    hub_alive(&hub);
    CHECK(evidence_count(&hub, b.n.origin) == 0, "evidence against B from forged hints");
    CHECK(evidence_count(&hub, a.n.origin) == 0, "evidence against A");
    char *note = it_hub_wait_cosigned(zctx, hub.ipc, b.n.origin, b.size, IT_WAIT_MS, hub.log);
    gs_note *n = NULL;
    gs_vkey vk;
    CHECK(gs_vkey_parse(b.log_key, &vk, &err) == 0, "%s", err.msg);
    CHECK(gs_note_parse(note, strlen(note), &n, &err) == 0, "%s", err.msg);
    CHECK(gs_note_verify(n, &vk, 1, NULL, NULL, &err) == 0, "B's cosigned note: %s", err.msg);
    gs_note_free(&n);
    free(note);
    printf("ok 4 - hostile announcements change nothing; hints made the hub poll B and "
           "cosign what B signed\n");
    zmq_close(pub);

    /* 5. */
    follow(&hub, &a, NULL, true);
    CHECK(strstr(read_file(hub.conf), a.publish) != NULL,
          "hub follow --update without --subscribe dropped the subscribe line");
    char other[64];
    snprintf(other, sizeof other, "tcp://127.0.0.1:%d", it_free_port());
    follow(&hub, &a, other, true);
    const char *conf = read_file(hub.conf);
    CHECK(strstr(conf, other) != NULL && strstr(conf, a.publish) == NULL,
          "hub follow --update --subscribe did not replace the line");
    printf("ok 5 - hub follow --update keeps or replaces subscribe\n");

    it_hub_stop(&hub, SIGTERM);
    it_node_stop(&a.n, SIGTERM);
    it_node_stop(&b.n, SIGTERM);
    zmq_ctx_term(zctx);
    it_cleanup();
    return 0;
}
