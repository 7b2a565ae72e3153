/* it_util.h — what the integration tests and the node benchmark share:
 * a temporary folder, real processes started and killed, a node made with
 * the real `giamsat node init`, and a client that signs and submits
 * statements over real ZeroMQ sockets.
 *
 * Every process started here is remembered and killed by it_cleanup (also
 * registered with atexit), so a failing test never leaves a daemon behind. */
#ifndef GS_IT_UTIL_H
#define GS_IT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto.h"
#include "net.h"
#include "wire.h"

/* How long a wait on a condition may take before the test fails: long,
 * because a loaded machine is slow, never wrong. Every wait below polls a
 * condition against this deadline (monotonic clock); none sleeps a fixed
 * time to let something happen. */
#define IT_WAIT_MS 120000

/* Milliseconds on the monotonic clock, for deadlines. */
int64_t it_now_ms(void);
/* Sleeps between two polls of a condition. */
void it_sleep_ms(long ms);

/* Stops the program with a message: integration steps that cannot go on. */
void it_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A fresh folder under $TMPDIR; removed by it_cleanup unless GS_IT_KEEP is
 * set in the environment. */
const char *it_tmpdir(void);
void it_cleanup(void);

/* A const string as an argv element: exec takes char *const argv[] for
 * history's sake and does not modify the strings (POSIX); a union passes
 * them without a cast that drops const. */
char *it_arg(const char *s);
/* Runs argv to completion; returns its exit status (or 128+signal). Its
 * stdout is written to out (NUL-terminated, may be NULL) up to cap. */
int it_run(char *const argv[], char *out, size_t cap);
/* Starts argv in the background with stderr appended to log_path. */
pid_t it_spawn(char *const argv[], const char *log_path);
/* Sends sig and reaps; returns the exit status as it_run does. */
int it_kill(pid_t pid, int sig);
/* Waits for a child started by it_spawn to exit; returns its status. */
int it_wait(pid_t pid);
/* Waits up to timeout_ms for a child started by it_spawn to exit: its
 * status, or -1 when it is still running (it is then still killed by
 * it_cleanup). */
int it_wait_for(pid_t pid, int timeout_ms);
/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);

/* A node made by `giamsat node init` in dir with the given listen
 * endpoints, started as a real giamsat-node. */
typedef struct {
    char dir[512];
    char conf[600];
    char log[600];
    char ipc[600]; /* ipc:// endpoint */
    char tcp[128]; /* tcp:// endpoint, "" when not listening on tcp */
    char origin[GS_MAX_ORIGIN + 1];
    gs_keypair key; /* the node key, read from dir/node.key */
    pid_t pid;
} it_node;

/* bin_dir is the build folder (cli/giamsat and node/giamsat-node inside).
 * extra_conf lines are appended to node.conf (may be NULL). */
void it_node_init(it_node *n, const char *bin_dir, const char *unit, bool tcp,
                  const char *extra_conf);
void it_node_start(it_node *n, const char *bin_dir);
/* Waits until the node answers GetCheckpoint on its ipc endpoint. */
void it_node_wait_ready(it_node *n, void *zctx);
void it_node_stop(it_node *n, int sig);

/* Builds, signs and returns an entry for the statement; st->signer, seq,
 * origin and issued_at are filled from the arguments. */
gs_buf it_sign(gs_statement *st, const gs_keypair *kp, const char *origin, uint64_t seq);

/* GetSignerState: the seq the key's next statement must carry. */
uint64_t it_next_seq(gs_net_client *c, const gs_pubkey *key);

/* Submits entry; returns the status code; on OK fills *receipt (verified
 * against node_key when not NULL). message (may be NULL) gets the status
 * message. GS_EUNAVAIL (negative) when the node did not answer. */
int it_submit(gs_net_client *c, gs_bytes entry, const gs_pubkey *node_key, gs_receipt *receipt,
              char *message, size_t cap);

/* ------------------------------------------------------------------ hubs
 * Building blocks for hub tests: a hub made by `giamsat hub init`, logs it
 * follows added with `giamsat hub follow`, started as a real giamsat-hub. */

typedef struct {
    char dir[512];
    char conf[600];
    char log[600];
    char ipc[600]; /* ipc:// request endpoint */
    char pub[600]; /* ipc:// PUB endpoint */
    char tcp[128]; /* tcp:// request endpoint, "" when not listening on tcp */
    char origin[GS_MAX_ORIGIN + 1];
    char log_key[GS_VKEY_STR_MAX];      /* alg 0x01, name = origin */
    char cosigner_key[GS_VKEY_STR_MAX]; /* alg 0x04, name = origin */
    gs_keypair key;
    pid_t pid;
} it_hub;

/* `giamsat hub init` in <tmpdir>/<name>; extra_conf (may be NULL) is
 * appended to hub.conf and should start with a section header, e.g.
 * "[hub]\npoll_interval_ms = 200\n". */
void it_hub_init(it_hub *h, const char *bin_dir, const char *name, bool tcp,
                 const char *extra_conf);
/* `giamsat hub follow` of origin (log key string) from the sources
 * ("EP" or "EP,VKEY"). */
void it_hub_follow(it_hub *h, const char *bin_dir, const char *origin, const char *log_key,
                   const char *const *sources, size_t n_sources);
void it_hub_start(it_hub *h, const char *bin_dir);
/* Waits until the hub answers GetCheckpoint for its own log. */
void it_hub_wait_ready(it_hub *h, void *zctx);
void it_hub_stop(it_hub *h, int sig);

/* A verifier key string for name/alg/key into out (GS_VKEY_STR_MAX). */
void it_vkey(char *out, const char *name, uint8_t alg, const gs_pubkey *key);

/* The checkpoint note endpoint serves for origin ("" for its own log);
 * NULL when it answers anything but OK. *code (may be NULL) gets the status
 * (negative when there was no answer). The note is malloc'd. */
char *it_get_checkpoint(void *zctx, const char *endpoint, const char *origin, int *code);
/* The size of a checkpoint note (0 when it cannot be parsed). */
uint64_t it_checkpoint_size(const char *note);
/* Waits (up to timeout_ms) until the hub at endpoint serves a cosigned
 * checkpoint of origin of at least size; returns the note (malloc'd), or
 * dies naming log_path. */
char *it_hub_wait_cosigned(void *zctx, const char *endpoint, const char *origin, uint64_t size,
                           int timeout_ms, const char *log_path);
/* Waits until the node serves a checkpoint of exactly size. */
void it_node_wait_checkpoint(it_node *n, void *zctx, uint64_t size);
/* GetEvidence(origin) from a hub: *items (n of them) are evidence entries
 * (serialized SignedStatements), malloc'd; free each with gs_buf_free and
 * then the array. Returns the status code. */
int it_get_evidence(void *zctx, const char *endpoint, const char *origin, gs_buf **items,
                    size_t *n);

/* A SUB socket connected to a hub's PUB endpoint, subscribed to topics
 * starting with prefix ("" for everything). server_key for tcp://. */
void *it_sub_open(void *zctx, const char *endpoint, const gs_pubkey *server_key,
                  const char *prefix);
/* Receives one event: 1 with topic and *payload (malloc'd) filled, both
 * NUL-terminated; 0 after timeout_ms without one. */
int it_sub_recv(void *sub, char *topic, size_t cap, gs_buf *payload, int timeout_ms);
/* Receives events until one whose topic is exactly topic (others are
 * dropped); 1 when found within timeout_ms, 0 otherwise. */
int it_sub_wait(void *sub, const char *topic, gs_buf *payload, int timeout_ms);
/* Receives events until a checkpoint event on topic for exactly size;
 * events of other topics and checkpoints of other sizes (published before
 * the step that led to size) are dropped. 1 when found within timeout_ms. */
int it_sub_wait_checkpoint(void *sub, const char *topic, uint64_t size, gs_buf *payload,
                           int timeout_ms);

/* ------------------------------------------------------------------ floods
 * Hostile clients for the tests and benchmarks of issue 9 part 5: each peer
 * is a thread with its own DEALER socket that sends as fast as the socket
 * takes it and never reads an answer. */

typedef enum {
    IT_FLOOD_READS,     /* GetEntries(0, 1000) and GetCheckpoint, alternately */
    IT_FLOOD_LARGE,     /* frames of about 1 MiB that decode to nothing */
    IT_FLOOD_MULTIPART, /* one multipart message of 64 KiB frames, never finished */
} it_flood_kind;

typedef struct it_flood it_flood;

/* Starts n_peers hostile peers against endpoint (server_key for tcp://: an
 * ephemeral CURVE key is used, so the daemon must allow public reads). */
it_flood *it_flood_start(const char *endpoint, const gs_pubkey *server_key, it_flood_kind kind,
                         int n_peers);
/* Stops and frees the peers; returns how many frames they sent. */
uint64_t it_flood_stop(it_flood **fp);

/* A process's resident set (VmRSS) or its peak (VmHWM), in MiB; -1 when it
 * cannot be read. */
double it_rss_mib(pid_t pid, bool peak);

#endif
