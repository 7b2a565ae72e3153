/* confedit.h — changing a daemon's INI configuration by command (`giamsat
 * node witness`, `giamsat hub follow --update`, `giamsat hub unfollow`) and
 * telling the running daemon to read it again (--reload).
 *
 * The file is edited as lines, so the operator's comments, order and
 * spacing stay as they were; only the lines a command is about change. A
 * new version is written next to the file, read back with the daemon's own
 * loader (node/config.c, hub/config.c) and only then renamed over it, with
 * the file's mode: a command never leaves a configuration its daemon would
 * refuse, nor half a file after a crash.
 */
#ifndef GS_CLI_CONFEDIT_H
#define GS_CLI_CONFEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct {
    const char *path;
    char **lines; /* without their '\n' */
    size_t n;
    int lock_fd; /* the folder, locked from read to free; -1: none */
} cli_conf;

/* Reads path (at most 4 MiB). Two commands editing the same file run one
 * after the other: the file's folder is locked (flock, exclusive, waited
 * for) from here until cli_conf_free, so no edit is lost to another made
 * between this read and its write. */
int cli_conf_read(const char *path, cli_conf *c, gs_error *err);
void cli_conf_free(cli_conf *c);

/* The line of the header "[section]" (spaces inside the brackets trimmed,
 * as inih does) from line `from` on; -1 when there is none. */
long cli_conf_section(const cli_conf *c, const char *section, size_t from);
/* The line after the last of the section whose header is at line s: the
 * next header, or the end. */
size_t cli_conf_section_end(const cli_conf *c, size_t s);
/* For a "name = value" line: true with name (at most cap bytes) and
 * *value (in the line, trailing spaces kept out of its length *vlen); false
 * for a comment, a blank line or a header. */
bool cli_conf_setting(const char *line, char *name, size_t cap, const char **value, size_t *vlen);

int cli_conf_insert(cli_conf *c, size_t at, const char *line, gs_error *err);
void cli_conf_delete(cli_conf *c, size_t at, size_t count);

/* Checks a written configuration: 0 when its daemon would load it. */
typedef int (*cli_conf_check)(const char *path, gs_error *err);

/* Writes c to "<path>.new", checks it with check, and renames it over
 * path (the original mode kept, fsynced). On failure path is unchanged. */
int cli_conf_write(const cli_conf *c, cli_conf_check check, gs_error *err);

/* The loaders of the two daemons, as checks. */
int cli_conf_check_node(const char *path, gs_error *err);
int cli_conf_check_hub(const char *path, gs_error *err);

/* --reload: sends SIGHUP to the daemon that runs on conf (found by the lock
 * it holds on its database, common/daemon.h gs_daemon_lock_holder), and
 * says so on stdout; when none runs, says the change is read at its next
 * start. program is "giamsat-node" or "giamsat-hub". */
int cli_conf_reload(const char *conf, const char *program, gs_error *err);

#endif
