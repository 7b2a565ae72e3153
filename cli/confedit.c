/* confedit.c — see confedit.h. */
#define _XOPEN_SOURCE 700

#include "confedit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../hub/config.h"
#include "../node/config.h"
#include "cli.h"
#include "daemon.h"

int cli_conf_read(const char *path, cli_conf *c, gs_error *err)
{
    char *text = NULL;
    size_t len = 0;
    memset(c, 0, sizeof *c);
    c->path = path;
    c->lock_fd = -1;
    /* The folder, not the file: the write renames a new file over it, and a
     * lock on the old one would not keep the next command out. */
    char dir[4096];
    int rc = gs_daemon_config_dir(path, dir, sizeof dir, err);
    if (rc != 0)
        return rc;
    if ((c->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return gs_error_set(err, GS_EIO, "cannot open the folder %s: %s", dir, strerror(errno));
    while (flock(c->lock_fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            rc = gs_error_set(err, GS_EIO, "cannot lock the folder %s: %s", dir, strerror(errno));
            cli_conf_free(c);
            return rc;
        }
    }
    if ((rc = cli_read_file(path, 4u << 20, &text, &len, err)) != 0) {
        cli_conf_free(c);
        return rc;
    }
    for (size_t i = 0; i < len && rc == 0;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char *line = strndup(text + i, j - i);
        char **lines = line == NULL ? NULL : realloc(c->lines, (c->n + 1) * sizeof *lines);
        if (lines == NULL) {
            free(line);
            rc = gs_error_set(err, GS_ENOMEM, "out of memory");
            break;
        }
        c->lines = lines;
        c->lines[c->n++] = line;
        i = j + 1;
    }
    free(text);
    if (rc != 0)
        cli_conf_free(c);
    return rc;
}

void cli_conf_free(cli_conf *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    free(c->lines);
    c->lines = NULL;
    c->n = 0;
    if (c->lock_fd >= 0)
        close(c->lock_fd); /* and with it the lock */
    c->lock_fd = -1;
}

/* The section a header line names, trimmed, into out; false when the line
 * is not a header. */
static bool header(const char *line, char *out, size_t cap)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line != '[')
        return false;
    const char *end = strchr(line, ']');
    if (end == NULL)
        return false;
    const char *s = line + 1;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *e = end;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    snprintf(out, cap, "%.*s", (int)(e - s), s);
    return true;
}

long cli_conf_section(const cli_conf *c, const char *section, size_t from)
{
    char name[512];
    for (size_t i = from; i < c->n; i++)
        if (header(c->lines[i], name, sizeof name) && strcmp(name, section) == 0)
            return (long)i;
    return -1;
}

size_t cli_conf_section_end(const cli_conf *c, size_t s)
{
    char name[512];
    for (size_t i = s + 1; i < c->n; i++)
        if (header(c->lines[i], name, sizeof name))
            return i;
    return c->n;
}

bool cli_conf_setting(const char *line, char *name, size_t cap, const char **value, size_t *vlen)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == ';' || *line == '#' || *line == '[')
        return false;
    const char *eq = strchr(line, '=');
    if (eq == NULL)
        return false;
    const char *e = eq;
    while (e > line && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    snprintf(name, cap, "%.*s", (int)(e - line), line);
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
        n--;
    *value = v;
    *vlen = n;
    return true;
}

int cli_conf_insert(cli_conf *c, size_t at, const char *line, gs_error *err)
{
    char *copy = strdup(line);
    char **lines = copy == NULL ? NULL : realloc(c->lines, (c->n + 1) * sizeof *lines);
    if (lines == NULL) {
        free(copy);
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    }
    c->lines = lines;
    memmove(&c->lines[at + 1], &c->lines[at], (c->n - at) * sizeof *c->lines);
    c->lines[at] = copy;
    c->n++;
    return 0;
}

void cli_conf_delete(cli_conf *c, size_t at, size_t count)
{
    for (size_t i = at; i < at + count; i++)
        free(c->lines[i]);
    memmove(&c->lines[at], &c->lines[at + count], (c->n - at - count) * sizeof *c->lines);
    c->n -= count;
}

int cli_conf_write(const cli_conf *c, cli_conf_check check, gs_error *err)
{
    char tmp[4096];
    struct stat st;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.new", c->path) >= sizeof tmp)
        return gs_error_set(err, GS_EINVAL, "path %s is too long", c->path);
    if (stat(c->path, &st) != 0)
        return gs_error_set(err, GS_EIO, "cannot read %s: %s", c->path, strerror(errno));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
    if (fd < 0)
        return gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        close(fd);
        unlink(tmp);
        return gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    int rc = 0;
    for (size_t i = 0; i < c->n; i++)
        fprintf(out, "%s\n", c->lines[i]);
    /* The mode asked for at open went through the umask: the original's. */
    if (fchmod(fd, st.st_mode & 07777) != 0 || fflush(out) != 0 || fsync(fd) != 0)
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (fclose(out) != 0 && rc == 0)
        rc = gs_error_set(err, GS_EIO, "cannot write %s: %s", tmp, strerror(errno));
    if (rc == 0 && check != NULL && (rc = check(tmp, err)) != 0)
        gs_error_wrap(err, "the change is not made (the daemon would refuse the result)");
    if (rc == 0 && rename(tmp, c->path) != 0)
        rc = gs_error_set(err, GS_EIO, "cannot replace %s: %s", c->path, strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    /* The rename itself is durable once the folder is. */
    char dir[4096];
    if (gs_daemon_config_dir(c->path, dir, sizeof dir, err) == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}

int cli_conf_check_node(const char *path, gs_error *err)
{
    gs_node_config cfg;
    int rc = gs_node_config_load(path, &cfg, err);
    if (rc == 0)
        gs_node_config_clear(&cfg);
    return rc;
}

int cli_conf_check_hub(const char *path, gs_error *err)
{
    gs_hub_config cfg;
    int rc = gs_hub_config_load(path, &cfg, err);
    if (rc == 0)
        gs_hub_config_clear(&cfg);
    return rc;
}

int cli_conf_reload(const char *conf, const char *program, gs_error *err)
{
    char database[4096];
    bool hub = strcmp(program, "giamsat-hub") == 0;
    int rc;
    if (hub) {
        gs_hub_config cfg;
        if ((rc = gs_hub_config_load(conf, &cfg, err)) != 0)
            return rc;
        snprintf(database, sizeof database, "%s", cfg.database);
        gs_hub_config_clear(&cfg);
    } else {
        gs_node_config cfg;
        if ((rc = gs_node_config_load(conf, &cfg, err)) != 0)
            return rc;
        snprintf(database, sizeof database, "%s", cfg.database);
        gs_node_config_clear(&cfg);
    }
    long pid = 0;
    if ((rc = gs_daemon_lock_holder(database, &pid, err)) != 0)
        return gs_error_wrap(err,
                             "cannot tell whether %s runs (run this as the daemon's user, "
                             "or `systemctl reload` its service)",
                             program);
    if (pid == 0) {
        printf("no %s runs on %s: it reads the change when it starts\n", program, database);
        return 0;
    }
    if (kill((pid_t)pid, SIGHUP) != 0)
        return gs_error_set(err, errno == EPERM ? GS_EPERM : GS_EIO,
                            "cannot signal %s (pid %ld, holding %s.lock): %s; run this as the "
                            "daemon's user, or `systemctl reload` its service",
                            program, pid, database, strerror(errno));
    printf("asked %s (pid %ld) to read %s again; its log says what changed\n", program, pid, conf);
    return 0;
}
