/* recover.c — giamsat-hub knows what it cosigned, even after its database
 * went back in time (DESIGN principle 9: never go back).
 *
 * A witness makes one promise: it never cosigns two roots for one size, nor
 * a tree that does not hold one it cosigned. A hub restored from a backup,
 * or whose SQLite -wal file was lost, holds a replica cosigned up to some
 * size B while it may have cosigned up to S > B before; shown a fork of the
 * log at a size in (B, S], it would sign it. So the hub learns what it
 * cosigned from four places, the largest above the replica being the floor
 * (followed.floor_*):
 *   1. its database: the replica's cosigned note (always the case when
 *      nothing was lost; the floor is then empty);
 *   2. the marker: one small file per followed log in <database>.cosigned/,
 *      holding the largest (size, root) cosigned, written and fsynced BEFORE
 *      the cosignature is released (sync.c, cosign). It lives outside
 *      SQLite, so a lost -wal or a database restored with `giamsat hub
 *      backup`'s copy leaves it as it was; a restore of the whole folder
 *      takes it back in time with the rest, so it is not the only source;
 *   3. the Observations of the hub's own log, read after start-up (the own
 *      log is refilled from the hub's witnesses after a restore);
 *   4. its own cosignature line on a note a source serves or an
 *      AddCheckpoint carries: a line that verifies with the hub's own key is
 *      proof the hub signed that checkpoint, whoever shows it. This is also
 *      what restores a floor after a whole-folder restore: the log's node and
 *      other replicas keep the notes the hub cosigned.
 * At start every followed log with sources is RECOVERING: nothing is
 * cosigned for it, and AddCheckpoint answers UNAVAILABLE (retry), until each
 * source answered its first poll, or for at most a request's timeout (22 s)
 * when some source is silent. Then the largest
 * checkpoint seen starts a sync as usual.
 *
 * With a floor (size F, root R) above the replica, the hub (sync.c,
 * serve.c):
 *   - ignores log-signed checkpoints smaller than F (it cosigned more);
 *   - refuses one of size F with another root: evidence (a) when it holds
 *     the log-signed note of (F, R) (two notes signed by the log prove a
 *     split view), otherwise no evidence, since a marker is not the log's
 *     signature and the hub never accuses on its own word;
 *   - syncs toward a larger one from the replica's cosigned size as usual
 *     and, before it cosigns, checks that the tree it verified has root R at
 *     size F (hub_floor_allows); otherwise it refuses, with evidence (a)
 *     only when it holds the note of (F, R);
 *   - answers AddCheckpoint as a witness at size F (CONFLICT tells a client
 *     that size).
 * Once the hub cosigns a size >= F the floor is absorbed.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "hub.h"
#include "merkle.h"

#define MARKER_MAGIC "giamsat hub cosigned v1"
#define MARKER_MAX 1024

int hub_recover_init(hub *h, gs_error *err)
{
    int rc =
        gs_vkey_make(&h->cosigner, h->cfg.origin, GS_VKEY_ALG_COSIGNATURE_V1, &h->key.pub, err);
    if (rc != 0)
        return rc;
    size_t n = strlen(h->cfg.files) + sizeof ".cosigned";
    if ((h->marker_dir = malloc(n)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    snprintf(h->marker_dir, n, "%s.cosigned", h->cfg.files);
    if (mkdir(h->marker_dir, 0700) != 0 && errno != EEXIST)
        return gs_error_set(err, GS_EIO, "cannot create %s: %s", h->marker_dir, strerror(errno));
    return 0;
}

/* <marker_dir>/<32 hex of SHA-256(origin)>: origins may hold '/'. */
static void marker_path(const hub *h, const char *origin, char *out, size_t cap, bool tmp)
{
    gs_hash d;
    gs_sha256(gs_bytes_of(origin, strlen(origin)), &d);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", d.b[i]);
    snprintf(out, cap, "%s/%s%s", h->marker_dir, hex, tmp ? ".tmp" : "");
}

int hub_marker_write(hub *h, followed *f, uint64_t size, const gs_hash *root, gs_error *err)
{
    char path[4096], tmp[4096], b64[64], text[MARKER_MAX];
    marker_path(h, f->cfg->origin, path, sizeof path, false);
    marker_path(h, f->cfg->origin, tmp, sizeof tmp, true);
    gs_base64_encode(b64, sizeof b64, gs_bytes_of(root->b, sizeof root->b));
    int n = snprintf(text, sizeof text, "%s\n%s\n%llu\n%s\n", MARKER_MAGIC, f->cfg->origin,
                     (unsigned long long)size, b64);
    if (n < 0 || (size_t)n >= sizeof text)
        return gs_error_set(err, GS_EINVAL, "marker of %s too long", f->cfg->origin);
    int rc = GS_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
        gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    /* The rename and the folder entry durable too: a crash leaves the old
     * marker or the new one, never none. */
    if (rename(tmp, path) != 0) {
        gs_error_set(err, GS_EIO, "cannot rename %s: %s", tmp, strerror(errno));
        goto out;
    }
    if ((fd = open(h->marker_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(fd) != 0) {
        gs_error_set(err, GS_EIO, "cannot sync %s: %s", h->marker_dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The floor rises to (size, root); note (may be NULL) is log-signed. */
static void floor_raise(hub *h, followed *f, uint64_t size, const gs_hash *root, const char *note,
                        const char *from)
{
    gs_error err;
    if (size <= f->cosigned_size) {
        gs_hash at;
        if (size > 0 && gs_log_root_at(f->replica, size, &at, &err) == 0 &&
            memcmp(at.b, root->b, 32) != 0)
            hub_log(h, GS_HUB_LOG_ERROR,
                    "%s: %s says this hub cosigned size %llu with a root its replica does not "
                    "have: the hub's own records disagree",
                    f->cfg->origin, from, (unsigned long long)size);
        return;
    }
    if (size < f->floor_size)
        return;
    if (size == f->floor_size) {
        if (memcmp(root->b, f->floor_root.b, 32) != 0)
            hub_log(h, GS_HUB_LOG_ERROR,
                    "%s: %s says this hub cosigned size %llu with another root than %s says",
                    f->cfg->origin, from, (unsigned long long)size, f->floor_from);
        else if (note != NULL && f->floor_note == NULL)
            f->floor_note = strdup(note);
        return;
    }
    free(f->floor_note);
    f->floor_note = note != NULL ? strdup(note) : NULL;
    f->floor_size = size;
    f->floor_root = *root;
    snprintf(f->floor_from, sizeof f->floor_from, "%s", from);
    hub_log(h, GS_HUB_LOG_WARN,
            "%s: this hub cosigned size %llu (%s) but its replica holds only %llu (a restored "
            "database or a lost -wal file): it cosigns nothing smaller and nothing that does "
            "not hold that tree",
            f->cfg->origin, (unsigned long long)size, from, (unsigned long long)f->cosigned_size);
}

/* Reads the marker; a missing one is no marker (a hub from before it). */
static int marker_read(hub *h, followed *f, gs_error *err)
{
    char path[4096], text[MARKER_MAX + 1];
    marker_path(h, f->cfg->origin, path, sizeof path, false);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return gs_error_set(err, GS_EIO, "cannot read %s: %s", path, strerror(errno));
    }
    ssize_t n = read(fd, text, MARKER_MAX);
    close(fd);
    if (n < 0)
        return gs_error_set(err, GS_EIO, "cannot read %s: %s", path, strerror(errno));
    text[n] = '\0';
    /* Four lines: the magic, the origin, the size, the base64 root. */
    char *line[4] = {text, NULL, NULL, NULL};
    for (int i = 1; i < 4 && line[i - 1] != NULL; i++) {
        char *nl = strchr(line[i - 1], '\n');
        if (nl != NULL) {
            *nl = '\0';
            line[i] = nl + 1;
        }
    }
    gs_hash root;
    size_t rlen = 0;
    char *end = NULL;
    unsigned long long size = 0;
    if (line[3] != NULL) {
        char *nl = strchr(line[3], '\n');
        if (nl != NULL)
            *nl = '\0';
        errno = 0;
        size = strtoull(line[2], &end, 10);
    }
    if (line[3] == NULL || strcmp(line[0], MARKER_MAGIC) != 0 ||
        strcmp(line[1], f->cfg->origin) != 0 || errno != 0 || end == line[2] || *end != '\0' ||
        gs_base64_decode(root.b, sizeof root.b, &rlen, line[3], strlen(line[3]), NULL) != 0 ||
        rlen != sizeof root.b)
        return gs_error_set(err, GS_ECORRUPT,
                            "%s is not the cosigned marker of %s; if it was damaged, remove it "
                            "only once the hub's database is known to be complete",
                            path, f->cfg->origin);
    floor_raise(h, f, size, &root, NULL, "its marker file");
    return 0;
}

int hub_observed_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hub_observed *)a)->origin,
                  ((const struct hub_observed *)b)->origin);
}

struct hub_observed *hub_observed_find(hub *h, const char *origin)
{
    struct hub_observed key = {.origin = origin};
    if (h->observed == NULL || origin == NULL)
        return NULL;
    return bsearch(&key, h->observed, h->cfg.n_logs, sizeof *h->observed, hub_observed_cmp);
}

int hub_recover_open(hub *h, followed *f, gs_error *err)
{
    int rc = marker_read(h, f, err);
    if (rc != 0)
        return rc;
    struct hub_observed *o = hub_observed_find(h, f->cfg->origin);
    if (o != NULL && o->size > 0)
        floor_raise(h, f, o->size, &o->root, NULL, "an Observation in its own log");
    /* A frozen log is never polled nor cosigned: nothing to wait for. */
    if (f->n_sources > 0 && !f->frozen) {
        f->recovering = true;
        f->recover_wait = f->n_sources >= 32 ? UINT32_MAX : (1u << f->n_sources) - 1;
        /* A source that never answers holds it back no longer than a
         * request may take (HUB_RECOVER_WAIT_MS from the first poll, set by
         * hub.c when it is sent: at thousands of logs a log may wait its
         * turn to be polled); what it says later still counts (its note is
         * looked at whenever it shows one, and every cosignature is checked
         * against the floor). */
        f->recover_until_ms = INT64_MAX;
    }
    return 0;
}

void hub_recover_observed(hub *h, const char *origin, uint64_t size, const gs_hash *root)
{
    for (size_t i = 0; i < h->n_logs; i++)
        if (strcmp(h->logs[i].cfg->origin, origin) == 0)
            floor_raise(h, &h->logs[i], size, root, NULL, "an Observation in its own log");
}

void hub_recover_note(hub *h, followed *f, const char *text, size_t len, const gs_checkpoint *cp,
                      const char *from)
{
    if (cp->size <= f->cosigned_size || (cp->size < f->floor_size))
        return;
    if (cp->size == f->floor_size && f->floor_note != NULL)
        return;
    gs_note *n = NULL;
    gs_error err;
    int64_t ts;
    if (gs_note_parse(text, len, &n, &err) == 0 &&
        gs_cosignature_verify(n, &h->cosigner, &ts, &err) == 0) {
        char *copy = strndup(text, len);
        char why[HUB_MSG_MAX];
        snprintf(why, sizeof why, "its own cosignature on a note from %.300s", from);
        if (copy != NULL)
            floor_raise(h, f, cp->size, &cp->root, copy, why);
        free(copy);
    }
    gs_note_free(&n);
}

void hub_recover_answered(hub *h, followed *f, int s)
{
    (void)h;
    if (s >= 0 && s < 32)
        f->recover_wait &= ~(1u << s);
}

void hub_recover_step(hub *h, followed *f, int64_t now)
{
    if (!f->recovering || (f->recover_wait != 0 && now < f->recover_until_ms))
        return;
    f->recovering = false;
    if (f->floor_size > f->cosigned_size)
        hub_log(h, GS_HUB_LOG_INFO,
                "%s: cosigned state recovered: replica cosigned at %llu, cosigned before up to "
                "%llu (%s)%s",
                f->cfg->origin, (unsigned long long)f->cosigned_size,
                (unsigned long long)f->floor_size, f->floor_from,
                f->recover_wait != 0 ? "; some sources did not answer" : "");
    else
        hub_log(h, GS_HUB_LOG_INFO, "%s: cosigned state recovered: cosigned at %llu%s",
                f->cfg->origin, (unsigned long long)f->cosigned_size,
                f->recover_wait != 0 ? "; some sources did not answer" : "");
    hub_sync_after_recovery(h, f);
}

uint64_t hub_known_size(const followed *f, gs_hash *root)
{
    if (f->floor_size > f->cosigned_size) {
        *root = f->floor_root;
        return f->floor_size;
    }
    *root = f->cosigned_root;
    return f->cosigned_size;
}

const char *hub_known_note(const followed *f, uint64_t size)
{
    if (f->floor_size > f->cosigned_size && size == f->floor_size)
        return f->floor_note;
    if (size == f->cosigned_size)
        return f->cosigned_note;
    return NULL;
}

bool hub_floor_allows(hub *h, followed *f, const hub_target *t, char *why, size_t cap)
{
    (void)h;
    if (f->floor_size <= f->cosigned_size)
        return true;
    if (t->cp.size < f->floor_size) {
        snprintf(why, cap,
                 "this hub cosigned %s at size %llu before (%s) and never cosigns a smaller "
                 "size",
                 f->cfg->origin, (unsigned long long)f->floor_size, f->floor_from);
        return false;
    }
    gs_hash at;
    gs_error err;
    if (gs_log_root_at(f->replica, f->floor_size, &at, &err) != 0) {
        snprintf(why, cap, "%s", err.msg);
        return false;
    }
    if (memcmp(at.b, f->floor_root.b, 32) != 0) {
        snprintf(why, cap,
                 "the log's checkpoint of size %llu does not hold the tree of size %llu this hub "
                 "cosigned before (%s): a fork of what it cosigned",
                 (unsigned long long)t->cp.size, (unsigned long long)f->floor_size, f->floor_from);
        return false;
    }
    return true;
}

void hub_floor_settle(followed *f)
{
    if (f->floor_size > f->cosigned_size)
        return;
    free(f->floor_note);
    f->floor_note = NULL;
    f->floor_size = 0;
    f->floor_from[0] = '\0';
}
