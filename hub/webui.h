/* webui.h — the hub's web view: the static files of web/ (index.html,
 * app.js, verify.js, style.css), compiled into giamsat-hub at build time by
 * hub/embed_web.cmake, served over the hub's HTTP face (docs/http.md "Web
 * view"):
 *   /            302 to /web/
 *   /web         302 to /web/
 *   /web/        index.html
 *   /web/<file>  the file, with its content type and Cache-Control: no-cache
 *                (a browser asks again each time, so the files of a new hub
 *                binary are never served stale; they are small)
 *   anything else under /web/: 404.
 * The pages fetch only this hub's own /data/… and tiles. */
#ifndef HUB_WEBUI_H
#define HUB_WEBUI_H

#include <stddef.h>

#include "error.h"
#include "http.h"

typedef struct {
    const char *name;         /* "app.js": web/ is one flat folder */
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const unsigned char *bytes;
    size_t len;
} hub_web_file;

/* The generated table (webui_files.c), sorted by name. */
extern const hub_web_file hub_web_files[];
extern const size_t hub_web_n_files;

/* The file named name, or NULL. */
const hub_web_file *hub_web_file_find(const char *name);

/* Registers the routes above on http. */
int hub_webui_routes(gs_http *http, gs_error *err) GS_MUST_USE;

#endif
