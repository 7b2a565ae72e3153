/* webui.c — serves the web view compiled into the hub (webui.h). */
#include "webui.h"

#include <string.h>

/* The Cache-Control of every file: revalidate each time (webui.h). */
#define WEB_CACHE "no-cache"

const hub_web_file *hub_web_file_find(const char *name)
{
    /* The table is sorted by name (embed_web.cmake), but it holds a handful
     * of files: a scan reads plainly. */
    for (size_t i = 0; i < hub_web_n_files; i++)
        if (strcmp(hub_web_files[i].name, name) == 0)
            return &hub_web_files[i];
    return NULL;
}

static int redirect(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)ctx;
    (void)rq;
    int r = gs_http_text(rs, 302, "see /web/\n");
    rs->location = "/web/";
    return r;
}

static int serve(void *ctx, const gs_http_request *rq, gs_http_response *rs)
{
    (void)ctx;
    const char *name = rq->path + strlen("/web/");
    if (*name == '\0')
        name = "index.html";
    /* Only the flat names of the table match, so no path (no '/', no
     * "..", no percent-encoding) ever reaches a file by accident. */
    const hub_web_file *f = hub_web_file_find(name);
    if (f == NULL)
        return gs_http_text(rs, 404, "no such file in the web view\n");
    return gs_http_static(rs, 200, f->content_type, WEB_CACHE, f->bytes, f->len);
}

int hub_webui_routes(gs_http *http, gs_error *err)
{
    /* One name per route: each is its own series in /metrics. */
    int rc = gs_http_route(http, "GET", "/", true, "root", redirect, NULL, err);
    if (rc == 0)
        rc = gs_http_route(http, "GET", "/web", true, "web_redirect", redirect, NULL, err);
    if (rc == 0)
        rc = gs_http_route(http, "GET", "/web/", false, "web", serve, NULL, err);
    return rc;
}
