/* cmd_node_conf.c — `giamsat node witness add|remove|list`: the hubs a
 * node sends its checkpoints to, changed by command instead of by editing
 * node.conf ([witness] witness = EP,VKEY; docs/formats.md), and with
 * --reload applied to the running node at once (SIGHUP: the node keeps its
 * log, its connections and the witnesses that stay; docs/operations.md
 * "Changing the configuration"). The file is edited line by line and
 * checked with the node's own loader before it replaces the old one
 * (confedit.h). */
#define _XOPEN_SOURCE 700

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "confedit.h"

int cli_cmd_node_witness(int argc, char **argv);

static const char help_witness[] =
    "usage: giamsat node witness add --config DIR/node.conf ENDPOINT,VKEY [--reload]\n"
    "       giamsat node witness remove --config DIR/node.conf (ENDPOINT | --name NAME)\n"
    "                                   [--reload]\n"
    "       giamsat node witness list --config DIR/node.conf [--json]\n"
    "\n"
    "The witnesses of a node: hubs that get each of its checkpoints, cosign it once\n"
    "they hold and verified the log up to it, and give back what they hold when the\n"
    "node lost entries. `add` writes a `witness = ENDPOINT,VKEY` line in the [witness]\n"
    "section of node.conf, `remove` deletes the witness at ENDPOINT (or every witness\n"
    "whose key is named NAME), `list` prints them. The new node.conf is checked as\n"
    "giamsat-node reads it before it replaces the old one.\n"
    "\n"
    "  --config FILE   the node's configuration (written by `giamsat node init`)\n"
    "  ENDPOINT,VKEY   the hub's endpoint (tcp:// or ipc://) and its verifier key:\n"
    "                  the cosigner key (or log key) `giamsat hub init` printed\n"
    "  --name NAME     remove by the key's name, e.g. giamsat/hub/ha-noi\n"
    "  --reload        then ask the running giamsat-node to read node.conf again\n"
    "                  (SIGHUP; `systemctl reload giamsat-node@UNIT` does the same):\n"
    "                  the change applies at once, the node keeps its log and its\n"
    "                  connections. Without it the change waits for a reload or\n"
    "                  a restart.\n"
    "  --json          list: [{\"endpoint\",\"key\"}]\n"
    "\n"
    "Example:\n"
    "  giamsat node witness add --config /srv/giamsat/xa-an-binh/node.conf --reload \\\n"
    "      'tcp://10.0.0.2:7500,giamsat/hub/binh-duong+1a2b3c4d+BA...'\n";

enum { OPT_CONFIG = CLI_OPT_FIRST_OWN, OPT_NAME, OPT_RELOAD };

/* Witness lines one command removes, at most (a node takes 16). */
#define MAX_FOUND 256

/* The endpoint and the key of a witness line's value. */
static bool split(const char *value, size_t len, char *ep, size_t epcap, const char **key,
                  size_t *klen)
{
    const char *comma = memchr(value, ',', len);
    if (comma == NULL)
        return false;
    snprintf(ep, epcap, "%.*s", (int)(comma - value), value);
    *key = comma + 1;
    *klen = len - (size_t)(comma + 1 - value);
    return true;
}

/* Each witness line: f(ctx, line index, endpoint, key, key length). */
static void each_witness(const cli_conf *c,
                         void (*f)(void *ctx, size_t at, const char *ep, const char *key,
                                   size_t klen),
                         void *ctx)
{
    for (long s = cli_conf_section(c, "witness", 0); s >= 0;
         s = cli_conf_section(c, "witness", (size_t)s + 1)) {
        size_t end = cli_conf_section_end(c, (size_t)s);
        for (size_t i = (size_t)s + 1; i < end; i++) {
            char name[64], ep[4096];
            const char *v, *key;
            size_t vlen, klen;
            if (cli_conf_setting(c->lines[i], name, sizeof name, &v, &vlen) &&
                strcmp(name, "witness") == 0 && split(v, vlen, ep, sizeof ep, &key, &klen))
                f(ctx, i, ep, key, klen);
        }
    }
}

typedef struct {
    const char *endpoint; /* match by endpoint, or */
    const char *name;     /* by the key's name */
    size_t *found;        /* line indexes */
    size_t n_found;
    bool print;   /* list as text */
    json_t *list; /* list as JSON */
} match;

static void on_match(void *ctx, size_t at, const char *ep, const char *key, size_t klen)
{
    match *m = ctx;
    char k[GS_VKEY_STR_MAX];
    snprintf(k, sizeof k, "%.*s", (int)klen, key);
    if (m->print) {
        printf("%s %s\n", ep, k);
        return;
    }
    if (m->list != NULL) {
        json_array_append_new(m->list, json_pack("{s:s,s:s}", "endpoint", ep, "key", k));
        return;
    }
    gs_vkey vk;
    bool hit = m->endpoint != NULL
                   ? strcmp(ep, m->endpoint) == 0
                   : gs_vkey_parse(k, &vk, NULL) == 0 && strcmp(vk.name, m->name) == 0;
    if (hit && m->n_found < MAX_FOUND)
        m->found[m->n_found++] = at;
}

int cli_cmd_node_witness(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"name", required_argument, NULL, OPT_NAME},
        {"reload", no_argument, NULL, OPT_RELOAD},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_witness, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *verb = argv[1];
    char cmd[32];
    snprintf(cmd, sizeof cmd, "node witness %s", verb);
    if (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0 && strcmp(verb, "list") != 0)
        return cli_usage_error("node witness", "expected add, remove or list, not \"%s\"", verb);
    const char *conf = NULL, *name = NULL;
    bool reload = false, json = false;
    int c;
    argc--, argv++;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG: conf = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_RELOAD: reload = true; break;
        case CLI_OPT_JSON: json = true; break;
        case CLI_OPT_HELP: fputs(help_witness, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    const char *arg = optind < argc ? argv[optind] : NULL;
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind + 1]);
    if (conf == NULL)
        return cli_usage_error(cmd, "--config is required");
    bool list = strcmp(verb, "list") == 0, add = strcmp(verb, "add") == 0;
    if (list && (arg != NULL || name != NULL || reload))
        return cli_usage_error(cmd, "takes only --config and --json");
    if (add && (arg == NULL || name != NULL))
        return cli_usage_error(cmd, "needs ENDPOINT,VKEY (and no --name)");
    if (!list && !add && (arg == NULL) == (name == NULL))
        return cli_usage_error(cmd, "needs ENDPOINT or --name NAME (one of them)");
    if (json && !list)
        return cli_usage_error(cmd, "--json is for list");

    gs_error err = {0};
    cli_conf cf;
    int rc = cli_conf_read(conf, &cf, &err);
    if (rc != 0)
        return cli_fail(&err);
    size_t found[MAX_FOUND];
    match m = {.endpoint = arg, .name = name, .found = found};
    int status = CLI_EXIT_OK;
    if (list) {
        m.print = !json;
        m.list = json ? json_array() : NULL;
        each_witness(&cf, on_match, &m);
        if (json && cli_print_json(m.list, &err) != 0) /* frees the list */
            status = cli_fail(&err);
        cli_conf_free(&cf);
        return status;
    }
    char ep[4096];
    if (add) {
        const char *key;
        size_t klen;
        gs_vkey vk;
        char k[GS_VKEY_STR_MAX];
        if (!split(arg, strlen(arg), ep, sizeof ep, &key, &klen) || ep[0] == '\0') {
            cli_conf_free(&cf);
            return cli_usage_error(cmd, "expected ENDPOINT,VKEY, e.g. "
                                        "tcp://10.0.0.2:7500,giamsat/hub/ha-noi+1a2b3c4d+BA...");
        }
        snprintf(k, sizeof k, "%.*s", (int)klen, key);
        if (strncmp(ep, "tcp://", 6) != 0 && strncmp(ep, "ipc://", 6) != 0) {
            cli_conf_free(&cf);
            return cli_usage_error(cmd, "%s: expected a tcp:// or ipc:// endpoint", ep);
        }
        if (gs_vkey_parse(k, &vk, &err) != 0) {
            cli_conf_free(&cf);
            return cli_usage_error(cmd, "the key after the comma: %s", err.msg);
        }
        m.endpoint = ep;
        each_witness(&cf, on_match, &m);
        if (m.n_found > 0) {
            cli_errorf("%s already has a witness at %s; remove it first to change its key", conf,
                       ep);
            cli_conf_free(&cf);
            return CLI_EXIT_FAIL;
        }
        char line[sizeof ep + GS_VKEY_STR_MAX + 16];
        snprintf(line, sizeof line, "witness = %s,%s", ep, k);
        long s = cli_conf_section(&cf, "witness", 0);
        if (s < 0) {
            /* A new section at the end, after one blank line. */
            if ((cf.n > 0 && cf.lines[cf.n - 1][0] != '\0' &&
                 cli_conf_insert(&cf, cf.n, "", &err) != 0) ||
                cli_conf_insert(&cf, cf.n, "[witness]", &err) != 0 ||
                cli_conf_insert(&cf, cf.n, line, &err) != 0)
                rc = -1;
        } else {
            /* After the section's last line that is not blank. */
            size_t at = cli_conf_section_end(&cf, (size_t)s);
            while (at > (size_t)s + 1 && cf.lines[at - 1][strspn(cf.lines[at - 1], " \t")] == 0)
                at--;
            rc = cli_conf_insert(&cf, at, line, &err);
        }
        if (rc == 0)
            rc = cli_conf_write(&cf, cli_conf_check_node, &err);
        if (rc == 0)
            printf("witness %s at %s added to %s\n", vk.name, ep, conf);
    } else {
        each_witness(&cf, on_match, &m);
        if (m.n_found == 0) {
            cli_errorf("%s has no witness %s %s (see `giamsat node witness list --config %s`)",
                       conf, arg != NULL ? "at" : "named", arg != NULL ? arg : name, conf);
            cli_conf_free(&cf);
            return CLI_EXIT_FAIL;
        }
        for (size_t i = m.n_found; i-- > 0;)
            cli_conf_delete(&cf, found[i], 1);
        rc = cli_conf_write(&cf, cli_conf_check_node, &err);
        if (rc == 0)
            printf("%zu witness line(s) removed from %s\n", m.n_found, conf);
    }
    cli_conf_free(&cf);
    if (rc != 0)
        return cli_fail(&err);
    if (reload && cli_conf_reload(conf, "giamsat-node", &err) != 0)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}
