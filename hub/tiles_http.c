/* tiles_http.c — the hub's logs as C2SP tlog-tiles over HTTP (common/tiles.h,
 * docs/http.md "Tiles").
 *
 * What is served is what the ZeroMQ read path serves (serve.c serve_read),
 * with one difference that keeps every checkpoint and its tiles in step:
 *   - the hub's own log at the size of its latest checkpoint, with the
 *     store's note at that size (the one with the most cosignatures);
 *   - a replica at its cosigned size with the hub's cosigned note, never
 *     above: entries a running sync fetched beyond it are not reachable.
 *     A replica the hub has not cosigned yet is not served at all.
 * The lookup runs on the loop's thread, so it reads the hub's state as is.
 */
#include <stdlib.h>
#include <string.h>

#include "hub.h"
#include "tiles.h"

struct hub_tiles {
    gs_tiles *tiles;
    int64_t own_id;
    int64_t *ids; /* the store's id of each followed log's replica, as h->logs */
    char own_key[GS_VKEY_STR_MAX];
};

static bool lookup(void *ctx, const char *origin, gs_tiles_log *out)
{
    hub *h = ctx;
    hub_tiles *ht = h->tiles;
    if (strcmp(origin, h->cfg.origin) == 0) {
        *out = (gs_tiles_log){
            .log_id = ht->own_id, .size = h->own_checkpoint_size, .log_key = ht->own_key};
        return true;
    }
    for (size_t i = 0; i < h->n_logs; i++) {
        followed *f = &h->logs[i];
        if (strcmp(origin, f->cfg->origin) != 0)
            continue;
        if (f->cosigned_note == NULL || ht->ids == NULL || ht->ids[i] < 0)
            return false;
        *out = (gs_tiles_log){.log_id = ht->ids[i],
                              .size = f->cosigned_size,
                              .note = f->cosigned_note,
                              .log_key = f->log_key_str,
                              .current_log_key =
                                  f->current_key_str[0] != '\0' ? f->current_key_str : NULL};
        return true;
    }
    return false;
}

static const char *origin_at(void *ctx, size_t i)
{
    hub *h = ctx;
    if (i == 0)
        return h->cfg.origin;
    return i - 1 < h->n_logs ? h->logs[i - 1].cfg->origin : NULL;
}

int hub_tiles_start(hub *h, gs_error *err)
{
    gs_store_log_state st;
    gs_vkey vk;
    int rc;
    if (h->http == NULL)
        return 0;
    hub_tiles *ht = calloc(1, sizeof *ht);
    if (ht == NULL || (h->n_logs > 0 && (ht->ids = calloc(h->n_logs, sizeof *ht->ids)) == NULL)) {
        free(ht);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    h->tiles = ht;
    /* Every log was opened (created) at start: its id is stable from now. */
    if ((rc = gs_store_log_find(h->store, h->cfg.origin, false, &st, err)) != 0)
        return rc;
    ht->own_id = st.id;
    for (size_t i = 0; i < h->n_logs; i++) {
        if ((rc = gs_store_log_find(h->store, h->logs[i].cfg->origin, false, &st, err)) != 0)
            return rc;
        ht->ids[i] = st.id;
    }
    if ((rc = gs_vkey_make(&vk, h->cfg.origin, GS_VKEY_ALG_ED25519, &h->key.pub, err)) != 0 ||
        (rc = gs_vkey_format(&vk, ht->own_key, sizeof ht->own_key, err)) != 0)
        return rc;
    gs_tiles_config tc = {.store = h->store, .lookup = lookup, .origin_at = origin_at, .ctx = h};
    if ((rc = gs_tiles_new(&ht->tiles, &tc, err)) != 0)
        return rc;
    if ((rc = gs_http_route(h->http, "GET", GS_TILES_PREFIX, false, "tiles", gs_tiles_handle,
                            ht->tiles, err)) != 0 ||
        (rc = gs_http_route(h->http, "GET", GS_TILES_LOGS_PATH, true, "logs", gs_tiles_handle_logs,
                            ht->tiles, err)) != 0)
        return rc;
    return 0;
}

void hub_tiles_stop(hub *h)
{
    if (h->tiles == NULL)
        return;
    gs_tiles_free(&h->tiles->tiles);
    free(h->tiles->ids);
    free(h->tiles);
    h->tiles = NULL;
}

int hub_tiles_relist(hub *h, gs_error *err)
{
    hub_tiles *ht = h->tiles;
    if (ht == NULL)
        return 0;
    int64_t *ids = calloc(h->n_logs + 1, sizeof *ids);
    if (ids == NULL) {
        /* The old list no longer matches h->logs: nothing is served. */
        free(ht->ids);
        ht->ids = NULL;
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < h->n_logs; i++) {
        gs_store_log_state st;
        gs_error e;
        ids[i] = -1; /* not served when the store cannot say */
        if (gs_store_log_find(h->store, h->logs[i].cfg->origin, false, &st, &e) == 0)
            ids[i] = st.id;
        else if (rc == 0)
            rc = gs_error_set(err, e.code, "%s", e.msg);
    }
    free(ht->ids);
    ht->ids = ids;
    return rc;
}
