/* cmd_backup.c — `giamsat node backup` and `giamsat hub backup`: a
 * consistent copy of a daemon's database while it runs (gs_store_backup:
 * the SQLite online backup API), for the operator's backups.
 *
 * A daemon keeps one SQLite file (DESIGN §6); its path is the `database`
 * setting of DIR/node.conf or DIR/hub.conf. The signed-checkpoint marker
 * next to it (common/refill.h) is deliberately NOT copied: after a restore it
 * is what tells the daemon that the copy is older than what it signed, so it
 * refills instead of going back (docs/operations.md, "Restore"). */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "store.h"

/* cli_cmd_backup: see main.c. */
int cli_cmd_backup(const char *daemon, int argc, char **argv);

static const char help_node[] =
    "usage: giamsat node backup --data DIR --out FILE\n"
    "\n"
    "Writes a consistent copy of a node's database to FILE while giamsat-node runs\n"
    "(SQLite online backup: one snapshot; the node keeps accepting statements).\n"
    "FILE must not exist; it is written under a temporary name, checked, synced and\n"
    "put in place only when whole. To restore: stop the node, copy FILE over the\n"
    "database (and delete its -wal and -shm files), keep DIR/node.signed-checkpoint,\n"
    "start the node: it refills what the copy lacks from its witnesses before it\n"
    "accepts anything (docs/operations.md).\n"
    "\n"
    "  --data DIR    the node's folder (holding node.conf)\n"
    "  --out FILE    the backup file to create\n"
    "\n"
    "Example:\n"
    "  giamsat node backup --data /srv/giamsat/xa-an-binh \\\n"
    "      --out /backup/xa-an-binh-$(date +%F).db\n";

static const char help_hub[] =
    "usage: giamsat hub backup --data DIR --out FILE\n"
    "\n"
    "Writes a consistent copy of a hub's database (its own log and every replica)\n"
    "to FILE while giamsat-hub runs (SQLite online backup: one snapshot). FILE must\n"
    "not exist; it is written under a temporary name, checked, synced and put in\n"
    "place only when whole. To restore: stop the hub, copy FILE over the database\n"
    "(and delete its -wal and -shm files), keep DIR/hub.signed-checkpoint, start\n"
    "the hub (docs/operations.md).\n"
    "\n"
    "  --data DIR    the hub's folder (holding hub.conf)\n"
    "  --out FILE    the backup file to create\n"
    "\n"
    "Example:\n"
    "  giamsat hub backup --data /srv/giamsat/hub-binh-duong \\\n"
    "      --out /backup/hub-binh-duong-$(date +%F).db\n";

typedef struct {
    const char *section; /* "node" or "hub" */
    char dir[PATH_MAX];
    char *database;
} conf_reader;

static int on_setting(void *user, const char *section, const char *name, const char *value)
{
    conf_reader *c = user;
    if (strcmp(section, c->section) == 0 && strcmp(name, "database") == 0) {
        free(c->database);
        c->database = gs_store_is_pg(value) ? strdup(value) : gs_daemon_resolve(c->dir, value);
    }
    return 1; /* every other setting is the daemon's business */
}

enum { OPT_DATA = CLI_OPT_FIRST_OWN, OPT_OUT };

int cli_cmd_backup(const char *daemon, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"out", required_argument, NULL, OPT_OUT},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    bool hub = strcmp(daemon, "hub") == 0;
    const char *cmd = hub ? "hub backup" : "node backup";
    const char *help = hub ? help_hub : help_node;
    const char *data = NULL, *out = NULL;
    conf_reader cr = {.section = daemon};
    char conf[PATH_MAX];
    gs_error err = {0};
    int c, failed = 0;

    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DATA: data = optarg; break;
        case OPT_OUT: out = optarg; break;
        case CLI_OPT_HELP: fputs(help, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (data == NULL || out == NULL)
        return cli_usage_error(cmd, "%s is required", data == NULL ? "--data DIR" : "--out FILE");
    if (snprintf(conf, sizeof conf, "%s/%s.conf", data, daemon) >= (int)sizeof conf)
        return cli_usage_error(cmd, "--data: path too long");
    int rc = gs_daemon_config_dir(conf, cr.dir, sizeof cr.dir, &err);
    if (rc == 0)
        rc = gs_daemon_config_parse(conf, on_setting, &cr, &failed, &err);
    if (rc == 0 && cr.database == NULL)
        rc = gs_error_set(&err, GS_EINVAL, "config %s: [%s] database is missing", conf, daemon);
    if (rc == 0)
        rc = gs_store_backup(cr.database, out, &err);
    if (rc == 0)
        fprintf(stderr, "giamsat: backup of %s written to %s\n", cr.database, out);
    free(cr.database);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}
