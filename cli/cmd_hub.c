/* cmd_hub.c — `giamsat hub init` and `giamsat hub follow`: a hub's folder,
 * ready for `giamsat-hub --config DIR/hub.conf`, and the logs it follows.
 *
 * init writes DIR/hub.key (a new hub key), DIR/hub.db holding the hub's own
 * log (origin giamsat/hub/<name>) with its Charter as entry 0 and a first
 * signed checkpoint, and DIR/hub.conf. Nothing that exists is overwritten;
 * when a step fails, the files this run created are removed again.
 *
 * follow appends one [log <origin>] section to hub.conf (read by
 * giamsat-hub with inih; the format is described in hub/config.h). */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "confedit.h"
#include "http.h"
#include "log.h"
#include "store.h"

#define MAX_SOURCES 16

static const char help_hub[] =
    "usage: giamsat hub init --dir DIR --name N [--listen EP]... [--publish EP]...\n"
    "                        [--http ADDR:PORT]\n"
    "       giamsat hub follow --config DIR/hub.conf --origin O --log-key VKEY\n"
    "                          --source EP[,VKEY] [--source EP[,VKEY]]... [--reload]\n"
    "       giamsat hub follow --update --config DIR/hub.conf --origin O\n"
    "                          --source EP[,VKEY]... [--reload]\n"
    "       giamsat hub unfollow --config DIR/hub.conf --origin O [--reload]\n"
    "Run `giamsat hub init --help`, `giamsat hub follow --help` or\n"
    "`giamsat hub unfollow --help` for details.\n";

static const char help_init[] =
    "usage: giamsat hub init --dir DIR --name N [--listen EP]... [--publish EP]...\n"
    "                        [--http ADDR:PORT] [--passphrase-file F] [--json]\n"
    "                        [--database postgresql://...]\n"
    "\n"
    "Creates a hub: DIR/hub.key (the hub's new key), DIR/hub.db (the hub's own log,\n"
    "origin giamsat/hub/<N>, holding its signed Charter and a first checkpoint) and\n"
    "DIR/hub.conf. DIR is created with mode 0700 when missing; existing hub files are\n"
    "never overwritten. Prints the origin, the hub's log key (how everyone checks the\n"
    "hub's own checkpoints; also what --server-key takes) and its cosigner key (alg\n"
    "0x04: how everyone checks the hub's cosignatures, e.g. in a trust file's\n"
    "`witness` line and in a node's [witness] section).\n"
    "\n"
    "  --dir DIR             the hub's folder\n"
    "  --name N              the hub's short name, [a-z0-9-]{1,64}\n"
    "  --listen EP           an endpoint to serve requests on; repeatable.\n"
    "                        default: ipc://<absolute DIR>/hub.sock; tcp:// uses CURVE\n"
    "  --publish EP          an endpoint for checkpoint/<origin> and alert/<origin>\n"
    "                        events (ZeroMQ PUB); repeatable.\n"
    "                        default: ipc://<absolute DIR>/hub.pub\n"
    "  --http ADDR:PORT      also serve plain HTTP there (IPv4, or [IPv6]:PORT): the\n"
    "                        logs as C2SP tiles, POST /add-checkpoint, the web view,\n"
    "                        /metrics and /healthz (docs/http.md); written as `http =`\n"
    "                        in hub.conf. default: no HTTP\n"
    "  --database URI        keep the hub's database on PostgreSQL instead of\n"
    "                        DIR/hub.db: a libpq URI (postgresql://...), written as\n"
    "                        `database =` in hub.conf; the hub's own log is created\n"
    "                        there (docs/operations.md)\n"
    "  --passphrase-file F   protect hub.key with the passphrase on F's first line\n"
    "  --json                print {\"origin\",\"log_key\",\"cosigner_key\",\"config\"}\n"
    "                        (and \"http\" with --http)\n"
    "\n"
    "Example:\n"
    "  giamsat hub init --dir /srv/giamsat/hub-binh-duong --name binh-duong \\\n"
    "      --listen tcp://0.0.0.0:7500 --publish tcp://0.0.0.0:7501\n"
    "  giamsat-hub --config /srv/giamsat/hub-binh-duong/hub.conf\n";

static const char help_follow[] =
    "usage: giamsat hub follow --config DIR/hub.conf --origin O --log-key VKEY\n"
    "                          --source EP[,VKEY] [--source EP[,VKEY]]...\n"
    "                          [--subscribe EP[,VKEY]] [--reload]\n"
    "       giamsat hub follow --update --config DIR/hub.conf --origin O\n"
    "                          [--log-key VKEY] --source EP[,VKEY]...\n"
    "                          [--subscribe EP[,VKEY]] [--reload]\n"
    "\n"
    "Makes the hub follow one more log: appends a [log O] section to hub.conf. With\n"
    "--update, replaces the sources of a log it follows (its log key stays: it is\n"
    "the anchor the hub checks the log from, and a rotation of the log's key is\n"
    "followed from the log itself). The new hub.conf is checked as giamsat-hub\n"
    "reads it before it replaces the old one. The running hub picks the change up\n"
    "at a reload (--reload, `systemctl reload`, SIGHUP) without a restart.\n"
    "\n"
    "  --config FILE     the hub's configuration (written by `giamsat hub init`)\n"
    "  --origin O        the log's origin, e.g. giamsat/commune/xa-an-binh\n"
    "  --log-key VKEY    the log's verifier key (from its `giamsat node init`, or a\n"
    "                    hub's log key for a hub's own log); its name must be O.\n"
    "                    With --update it may be left out; given, it must be the\n"
    "                    key already in hub.conf\n"
    "  --source EP       where to fetch the log from: the node itself, or another hub\n"
    "                    holding a replica; repeatable (at most 16). For a tcp://\n"
    "                    endpoint of ANOTHER daemon than the log's own node (a hub),\n"
    "                    add that daemon's verifier key after a comma:\n"
    "                    --source tcp://10.0.0.2:7500,giamsat/hub/bd+1a2b3c4d+AQ...\n"
    "                    Without a key the log key is used, which is right for the\n"
    "                    log's own node.\n"
    "  --subscribe EP    where the log's checkpoints are announced (its node's\n"
    "                    `publish`, or a hub's): the hub then polls the log only\n"
    "                    every silent_poll_interval_ms and at once on an\n"
    "                    announcement. Key rule as for --source. With --update it\n"
    "                    replaces the subscribe line; left out, the line stays\n"
    "  --update          replace the sources of a log hub.conf follows already\n"
    "  --reload          then ask the running giamsat-hub to read hub.conf again\n"
    "                    (SIGHUP): it follows the log at once, keeping every other\n"
    "                    log and its connections\n"
    "\n"
    "Example:\n"
    "  giamsat hub follow --config /srv/giamsat/hub-binh-duong/hub.conf \\\n"
    "      --origin giamsat/commune/xa-an-binh \\\n"
    "      --log-key 'giamsat/commune/xa-an-binh+7c2e9a41+AQ...' \\\n"
    "      --source tcp://10.0.1.5:7400\n";

static const char help_unfollow[] =
    "usage: giamsat hub unfollow --config DIR/hub.conf --origin O [--reload]\n"
    "\n"
    "Makes the hub stop following a log: removes its [log O] section from hub.conf\n"
    "(checked as giamsat-hub reads it first). The hub then neither syncs, cosigns\n"
    "nor serves it; the replica stays in the hub's database, and a later `hub\n"
    "follow` of the same log takes it up again from there.\n"
    "\n"
    "  --config FILE     the hub's configuration\n"
    "  --origin O        the log's origin\n"
    "  --reload          then ask the running giamsat-hub to read hub.conf again\n"
    "                    (SIGHUP), so it stops at once\n"
    "\n"
    "Example:\n"
    "  giamsat hub unfollow --config /srv/giamsat/hub-binh-duong/hub.conf \\\n"
    "      --origin giamsat/commune/xa-an-binh --reload\n";

enum {
    OPT_DIR = CLI_OPT_FIRST_OWN,
    OPT_NAME,
    OPT_LISTEN,
    OPT_PUBLISH,
    OPT_HTTP,
    OPT_CONFIG,
    OPT_SOURCE,
    OPT_UPDATE,
    OPT_SUBSCRIBE,
    OPT_RELOAD,
    OPT_DATABASE,
};

/* An ipc:// path must fit in sockaddr_un.sun_path with its NUL. */
static int check_endpoint(const char *ep, const char *what, gs_error *err)
{
    struct sockaddr_un sa;
    if (strncmp(ep, "ipc://", 6) == 0 && ep[6] != '\0') {
        if (strlen(ep + 6) >= sizeof sa.sun_path)
            return gs_error_set(err, GS_EINVAL,
                                "%s %s: an ipc:// path is at most %zu bytes; use a shorter path",
                                what, ep, sizeof sa.sun_path - 1);
        return 0;
    }
    if (strncmp(ep, "tcp://", 6) == 0 && ep[6] != '\0' && strchr(ep, ',') == NULL &&
        strchr(ep, ' ') == NULL)
        return 0;
    return gs_error_set(err, GS_EINVAL, "%s %s: expected ipc://PATH or tcp://HOST:PORT", what, ep);
}

static int write_conf(const cli_init_files *f, const char *name, const char *passfile_abs,
                      const char *const *listen, size_t n_listen, const char *const *publish,
                      size_t n_publish, const char *http, const char *database, gs_error *err)
{
    FILE *out;
    int rc = cli_init_conf_open(f->conf, &out, err);
    if (rc != 0)
        return rc;
    fprintf(out, "# giamsat-hub configuration, written by `giamsat hub init`;\n"
                 "# add followed logs with `giamsat hub follow`.\n"
                 "[hub]\n");
    fprintf(out, "name = %s\n", name);
    fprintf(out, "key = hub.key\n");
    if (passfile_abs != NULL)
        fprintf(out, "passphrase_file = %s\n", passfile_abs);
    else
        fprintf(out, "# passphrase_file = /etc/giamsat/hub.pass\n");
    fprintf(out, "database = %s\n", database != NULL ? database : "hub.db");
    for (size_t i = 0; i < n_listen; i++)
        fprintf(out, "listen = %s\n", listen[i]);
    for (size_t i = 0; i < n_publish; i++)
        fprintf(out, "publish = %s\n", publish[i]);
    if (http != NULL)
        fprintf(out, "http = %s\n", http);
    else
        fprintf(out, "# http = 127.0.0.1:8080   (HTTP: tiles, witness, web view, /metrics; "
                     "docs/http.md)\n");
    fprintf(out,
            "poll_interval_ms = 1000\n"
            "batch_size = 1000\n"
            "# a checkpoint adding more entries than this to what the hub cosigned\n"
            "# of a log is refused, not fetched (0: no limit)\n"
            "max_growth = 1000000\n"
            "# resident memory above which every client connection is shed (0: never)\n"
            "max_memory_mib = 512\n"
            "unavailable_after_s = 300\n"
            "checkpoint_interval_ms = 1000\n"
            "max_message = %d\n"
            "verify_threads = 1\n"
            "log_level = info\n"
            "\n"
            "[access]\n"
            "public_read = true\n"
            "# writer = <base64 Ed25519 key or verifier key>   (repeatable)\n"
            "\n"
            "# Witnesses of this hub's own log (other hubs, monitors):\n"
            "# [witness]\n"
            "# witness = tcp://10.0.0.9:7500,<that hub's verifier key>\n",
            GS_MAX_MESSAGE);
    return cli_init_conf_close(f->conf, out, err);
}

/* The hub's Charter: entry 0 of its own log, tier hub, unit = name, signed
 * by the hub key with seq 1, checked with the rule book before it is
 * written. */
static int write_log(const cli_init_files *f, const char *name, const char *origin,
                     const gs_keypair *kp, gs_error *err)
{
    gs_statement st = {0};
    gs_buf entry = {0};
    st.signer = kp->pub;
    st.seq = 1;
    st.issued_at = (int64_t)time(NULL);
    st.origin = origin;
    st.kind = GS_BODY_CHARTER;
    st.u.charter.unit = name;
    st.u.charter.tier = GS_TIER_HUB;
    st.u.charter.display_name = name;
    int rc = cli_init_charter(&st, kp, &entry, err);
    if (rc == 0)
        rc = cli_init_write_log(f->db, origin, kp, &entry, err);
    gs_buf_free(&entry);
    return rc;
}

static int hub_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, OPT_DIR},
        {"name", required_argument, NULL, OPT_NAME},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"publish", required_argument, NULL, OPT_PUBLISH},
        {"http", required_argument, NULL, OPT_HTTP},
        {"database", required_argument, NULL, OPT_DATABASE},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "hub init";
    const char *dir = NULL, *name = NULL, *passfile = NULL, *http = NULL, *database = NULL;
    const char *listen[GS_NET_MAX_ENDPOINTS], *publish[GS_NET_MAX_ENDPOINTS];
    size_t n_listen = 0, n_publish = 0;
    bool json = false;
    cli_init_files files = {0};
    char abs[PATH_MAX], passfile_abs[PATH_MAX];
    char default_listen[PATH_MAX + 16], default_publish[PATH_MAX + 16];
    char origin[GS_MAX_ORIGIN + 1], log_key[GS_VKEY_STR_MAX], cosigner_key[GS_VKEY_STR_MAX];
    char pass[CLI_PASSPHRASE_MAX];
    gs_keypair kp = {0};
    gs_error err = {0};
    gs_vkey vk;
    int c, rc;

    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DIR: dir = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_LISTEN:
        case OPT_PUBLISH: {
            size_t *n = c == OPT_LISTEN ? &n_listen : &n_publish;
            const char **eps = c == OPT_LISTEN ? listen : publish;
            if (*n == GS_NET_MAX_ENDPOINTS)
                return cli_usage_error(cmd, "at most %d endpoints per flag", GS_NET_MAX_ENDPOINTS);
            eps[(*n)++] = optarg;
            break;
        }
        case OPT_HTTP: http = optarg; break;
        case OPT_DATABASE: database = optarg; break;
        case CLI_OPT_PASSPHRASE_FILE: passfile = optarg; break;
        case CLI_OPT_JSON: json = true; break;
        case CLI_OPT_HELP: fputs(help_init, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (dir == NULL || name == NULL)
        return cli_usage_error(cmd, "--dir and --name are required");
    if (gs_unit_valid(name) != 0)
        return cli_usage_error(cmd, "--name \"%s\": expected 1 to 64 of a-z, 0-9 and '-'", name);
    if (database != NULL && !gs_store_is_pg(database))
        return cli_usage_error(cmd, "--database: expected a postgresql:// URI (without it the hub "
                                    "keeps DIR/hub.db)");
    for (size_t i = 0; i < n_listen; i++)
        if (check_endpoint(listen[i], "--listen", &err) != 0)
            return cli_fail(&err);
    for (size_t i = 0; i < n_publish; i++)
        if (check_endpoint(publish[i], "--publish", &err) != 0)
            return cli_fail(&err);
    if (http != NULL && gs_http_listen_check(http, &err) != 0)
        return cli_usage_error(cmd, "--http: %s", err.msg);
    snprintf(origin, sizeof origin, "giamsat/hub/%s", name);
    if (passfile != NULL && realpath(passfile, passfile_abs) == NULL) {
        cli_errorf("cannot read passphrase file %s: %s", passfile, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (passfile != NULL && (rc = gs_passphrase_read_file(passfile, pass, sizeof pass, &err)) != 0)
        goto out;
    gs_keypair_generate(&kp);

    if ((rc = cli_init_folder(dir, "hub", abs, &files, &err)) != 0)
        goto out;
    snprintf(default_listen, sizeof default_listen, "ipc://%s/hub.sock", abs);
    snprintf(default_publish, sizeof default_publish, "ipc://%s/hub.pub", abs);
    if (n_listen == 0) {
        listen[n_listen++] = default_listen;
        if ((rc = check_endpoint(default_listen, "--listen", &err)) != 0)
            goto out;
    }
    if (n_publish == 0) {
        publish[n_publish++] = default_publish;
        if ((rc = check_endpoint(default_publish, "--publish", &err)) != 0)
            goto out;
    }
    if ((rc = cli_init_refuse_existing(&files, "hub", &err)) != 0)
        goto out;
    if (database != NULL) {
        /* The hub's own log goes to the server; nothing to undo on disk. */
        if (strlen(database) >= sizeof files.db) {
            rc = gs_error_set(&err, GS_EINVAL, "--database: the URI is too long");
            goto out;
        }
        snprintf(files.db, sizeof files.db, "%s", database);
    }
    if ((rc = gs_keyfile_write(files.key, &kp, passfile != NULL ? pass : NULL, &err)) != 0)
        goto out;
    files.made_key = true;
    files.made_db = database == NULL;
    if ((rc = write_log(&files, name, origin, &kp, &err)) != 0)
        goto out;
    if ((rc = write_conf(&files, name, passfile != NULL ? passfile_abs : NULL, listen, n_listen,
                         publish, n_publish, http, database, &err)) != 0)
        goto out;
    files.made_key = files.made_db = false;
    files.dir = NULL;

    if ((rc = gs_vkey_make(&vk, origin, GS_VKEY_ALG_ED25519, &kp.pub, &err)) != 0 ||
        (rc = gs_vkey_format(&vk, log_key, sizeof log_key, &err)) != 0 ||
        (rc = gs_vkey_make(&vk, origin, GS_VKEY_ALG_COSIGNATURE_V1, &kp.pub, &err)) != 0 ||
        (rc = gs_vkey_format(&vk, cosigner_key, sizeof cosigner_key, &err)) != 0)
        goto out;
    if (json) {
        json_t *o = json_object();
        json_object_set_new(o, "origin", json_string(origin));
        json_object_set_new(o, "log_key", json_string(log_key));
        json_object_set_new(o, "cosigner_key", json_string(cosigner_key));
        json_object_set_new(o, "config", json_string(files.conf));
        if (http != NULL)
            json_object_set_new(o, "http", json_string(http));
        rc = cli_print_json(o, &err);
    } else {
        printf("origin:       %s\n", origin);
        printf("log key:      %s\n", log_key);
        printf("cosigner key: %s\n", cosigner_key);
        printf("config:       %s\n", files.conf);
        if (http != NULL)
            printf("http:         %s (/metrics, /healthz)\n", http);
        printf("follow:       giamsat hub follow --config %s --origin O --log-key VKEY "
               "--source EP\n",
               files.conf);
        printf("start:        giamsat-hub --config %s\n", files.conf);
    }
out:
    if (rc != 0)
        cli_init_undo(&files);
    gs_keypair_wipe(&kp);
    sodium_memzero(pass, sizeof pass);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

/* The value of the first "name = value" line of section [sec] of cf into
 * out ("" when none). */
static void section_value(const cli_conf *cf, long sec, const char *want, char *out, size_t cap)
{
    out[0] = '\0';
    size_t end = cli_conf_section_end(cf, (size_t)sec);
    for (size_t i = (size_t)sec + 1; i < end; i++) {
        char name[64];
        const char *v;
        size_t n;
        if (cli_conf_setting(cf->lines[i], name, sizeof name, &v, &n) && strcmp(name, want) == 0) {
            snprintf(out, cap, "%.*s", (int)n, v);
            return;
        }
    }
}

/* follow: a new [log O] section at the end; --update: the source lines of
 * the existing one replaced (its log_key is the anchor and stays). */
static int follow_edit(cli_conf *cf, bool update, const char *origin, const char *log_key,
                       const char *const *sources, size_t n_sources, const char *subscribe,
                       gs_error *err)
{
    char section[GS_MAX_ORIGIN + 8], line[PATH_MAX + GS_VKEY_STR_MAX + 32];
    snprintf(section, sizeof section, "log %s", origin);
    long sec = cli_conf_section(cf, section, 0);
    int rc = 0;
    if (!update) {
        if (sec >= 0)
            return gs_error_set(err, GS_ECONFLICT,
                                "%s already follows %s; change its sources with `giamsat hub "
                                "follow --update`",
                                cf->path, origin);
        if (cf->n > 0 && cf->lines[cf->n - 1][0] != '\0')
            rc = cli_conf_insert(cf, cf->n, "", err);
        snprintf(line, sizeof line, "[%s]", section);
        if (rc == 0)
            rc = cli_conf_insert(cf, cf->n, line, err);
        snprintf(line, sizeof line, "log_key = %s", log_key);
        if (rc == 0)
            rc = cli_conf_insert(cf, cf->n, line, err);
        for (size_t i = 0; i < n_sources && rc == 0; i++) {
            snprintf(line, sizeof line, "source = %s", sources[i]);
            rc = cli_conf_insert(cf, cf->n, line, err);
        }
        snprintf(line, sizeof line, "subscribe = %s", subscribe != NULL ? subscribe : "");
        if (rc == 0 && subscribe != NULL)
            rc = cli_conf_insert(cf, cf->n, line, err);
        return rc;
    }
    if (sec < 0)
        return gs_error_set(err, GS_ENOTFOUND,
                            "%s does not follow %s; follow it with `giamsat hub follow` (without "
                            "--update)",
                            cf->path, origin);
    if (cli_conf_section(cf, section, (size_t)sec + 1) >= 0)
        return gs_error_set(err, GS_EINVAL,
                            "%s has more than one [%s] section; merge them by hand first", cf->path,
                            section);
    char have[GS_VKEY_STR_MAX + 8];
    section_value(cf, sec, "log_key", have, sizeof have);
    gs_vkey a, b;
    if (log_key != NULL &&
        (gs_vkey_parse(have, &a, NULL) != 0 || gs_vkey_parse(log_key, &b, NULL) != 0 ||
         a.alg != b.alg || memcmp(a.key.b, b.key.b, sizeof a.key.b) != 0))
        return gs_error_set(err, GS_ECONFLICT,
                            "--log-key is not the key %s follows %s with (%s): a log's key "
                            "stays the one the hub was given, and a rotation of it is followed "
                            "from the log itself; to follow %s under another key, unfollow it "
                            "first",
                            cf->path, origin, have, origin);
    /* The old source lines go; the new ones take the place of the first. */
    size_t end = cli_conf_section_end(cf, (size_t)sec);
    size_t at = 0;
    for (size_t i = end; i-- > (size_t)sec + 1;) {
        char name[64];
        const char *v;
        size_t n;
        if (cli_conf_setting(cf->lines[i], name, sizeof name, &v, &n) &&
            (strcmp(name, "source") == 0 ||
             (subscribe != NULL && strcmp(name, "subscribe") == 0))) {
            cli_conf_delete(cf, i, 1);
            at = i;
        }
    }
    if (at == 0) {
        /* No source line was there: after the section's last setting. */
        at = cli_conf_section_end(cf, (size_t)sec);
        while (at > (size_t)sec + 1 && cf->lines[at - 1][strspn(cf->lines[at - 1], " \t")] == 0)
            at--;
    }
    for (size_t i = 0; i < n_sources && rc == 0; i++) {
        snprintf(line, sizeof line, "source = %s", sources[i]);
        rc = cli_conf_insert(cf, at + i, line, err);
    }
    snprintf(line, sizeof line, "subscribe = %s", subscribe != NULL ? subscribe : "");
    if (rc == 0 && subscribe != NULL)
        rc = cli_conf_insert(cf, at + n_sources, line, err);
    return rc;
}

static int hub_follow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"origin", required_argument, NULL, CLI_OPT_ORIGIN},
        {"log-key", required_argument, NULL, CLI_OPT_LOG_KEY},
        {"source", required_argument, NULL, OPT_SOURCE},
        {"subscribe", required_argument, NULL, OPT_SUBSCRIBE},
        {"update", no_argument, NULL, OPT_UPDATE},
        {"reload", no_argument, NULL, OPT_RELOAD},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "hub follow";
    const char *conf = NULL, *origin = NULL, *log_key = NULL, *subscribe = NULL;
    const char *sources[MAX_SOURCES];
    size_t n_sources = 0;
    bool update = false, reload = false;
    gs_error err = {0};
    gs_vkey vk;
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG: conf = optarg; break;
        case CLI_OPT_ORIGIN: origin = optarg; break;
        case CLI_OPT_LOG_KEY: log_key = optarg; break;
        case OPT_SOURCE:
            if (n_sources == MAX_SOURCES)
                return cli_usage_error(cmd, "at most %d --source endpoints", MAX_SOURCES);
            sources[n_sources++] = optarg;
            break;
        case OPT_SUBSCRIBE: subscribe = optarg; break;
        case OPT_UPDATE: update = true; break;
        case OPT_RELOAD: reload = true; break;
        case CLI_OPT_HELP: fputs(help_follow, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (conf == NULL || origin == NULL || (log_key == NULL && !update) || n_sources == 0)
        return cli_usage_error(cmd, update ? "--config, --origin and --source are required"
                                           : "--config, --origin, --log-key and --source are "
                                             "required");
    if (gs_origin_valid(origin, &err) != 0)
        return cli_usage_error(cmd, "--origin: %s", err.msg);
    if (log_key != NULL) {
        if (gs_vkey_parse(log_key, &vk, &err) != 0)
            return cli_usage_error(cmd, "--log-key: %s", err.msg);
        if (vk.alg != GS_VKEY_ALG_ED25519)
            return cli_usage_error(cmd, "--log-key: expected the log's key (algorithm 0x01), "
                                        "not a cosigner key");
        if (strcmp(vk.name, origin) != 0)
            return cli_usage_error(cmd, "--log-key is the key of %s, not of --origin %s", vk.name,
                                   origin);
    }
    for (size_t i = 0; i < n_sources; i++) {
        const char *comma = strchr(sources[i], ',');
        char ep[PATH_MAX + 16];
        size_t n = comma != NULL ? (size_t)(comma - sources[i]) : strlen(sources[i]);
        if (n >= sizeof ep)
            return cli_usage_error(cmd, "--source %s: too long", sources[i]);
        memcpy(ep, sources[i], n);
        ep[n] = '\0';
        if (check_endpoint(ep, "--source", &err) != 0)
            return cli_usage_error(cmd, "%s", err.msg);
        gs_vkey sk;
        if (comma != NULL && gs_vkey_parse(comma + 1, &sk, &err) != 0)
            return cli_usage_error(cmd, "--source %s: the key after the comma: %s", ep, err.msg);
    }
    if (subscribe != NULL) {
        const char *comma = strchr(subscribe, ',');
        char ep[PATH_MAX + 16];
        size_t n = comma != NULL ? (size_t)(comma - subscribe) : strlen(subscribe);
        if (n >= sizeof ep)
            return cli_usage_error(cmd, "--subscribe %s: too long", subscribe);
        memcpy(ep, subscribe, n);
        ep[n] = '\0';
        if (check_endpoint(ep, "--subscribe", &err) != 0)
            return cli_usage_error(cmd, "%s", err.msg);
        gs_vkey sk;
        if (comma != NULL && gs_vkey_parse(comma + 1, &sk, &err) != 0)
            return cli_usage_error(cmd, "--subscribe %s: the key after the comma: %s", ep, err.msg);
    }
    cli_conf cf;
    int rc = cli_conf_read(conf, &cf, &err);
    if (rc == 0)
        rc = follow_edit(&cf, update, origin, log_key, sources, n_sources, subscribe, &err);
    if (rc == 0)
        rc = cli_conf_write(&cf, cli_conf_check_hub, &err);
    cli_conf_free(&cf);
    if (rc != 0)
        return rc == GS_ECONFLICT || rc == GS_ENOTFOUND ? (cli_errorf("%s", err.msg), CLI_EXIT_FAIL)
                                                        : cli_fail(&err);
    printf("%s %s from %zu source(s)%s\n", update ? "sources of" : "following", origin, n_sources,
           reload ? "" : "; giamsat-hub picks it up at a reload (--reload) or a restart");
    if (reload && cli_conf_reload(conf, "giamsat-hub", &err) != 0)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

static int hub_unfollow(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"origin", required_argument, NULL, CLI_OPT_ORIGIN},
        {"reload", no_argument, NULL, OPT_RELOAD},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "hub unfollow";
    const char *conf = NULL, *origin = NULL;
    bool reload = false;
    gs_error err = {0};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG: conf = optarg; break;
        case CLI_OPT_ORIGIN: origin = optarg; break;
        case OPT_RELOAD: reload = true; break;
        case CLI_OPT_HELP: fputs(help_unfollow, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (conf == NULL || origin == NULL)
        return cli_usage_error(cmd, "--config and --origin are required");
    if (gs_origin_valid(origin, &err) != 0)
        return cli_usage_error(cmd, "--origin: %s", err.msg);
    cli_conf cf;
    if (cli_conf_read(conf, &cf, &err) != 0)
        return cli_fail(&err);
    char section[GS_MAX_ORIGIN + 8];
    snprintf(section, sizeof section, "log %s", origin);
    size_t removed = 0;
    for (long sec; (sec = cli_conf_section(&cf, section, 0)) >= 0; removed++) {
        size_t end = cli_conf_section_end(&cf, (size_t)sec);
        /* The blank line before the section goes with it. */
        size_t from = (size_t)sec;
        if (from > 0 && cf.lines[from - 1][strspn(cf.lines[from - 1], " \t")] == 0)
            from--;
        cli_conf_delete(&cf, from, end - from);
    }
    int rc = 0;
    if (removed == 0) {
        cli_errorf("%s does not follow %s", conf, origin);
        cli_conf_free(&cf);
        return CLI_EXIT_FAIL;
    }
    rc = cli_conf_write(&cf, cli_conf_check_hub, &err);
    cli_conf_free(&cf);
    if (rc != 0)
        return cli_fail(&err);
    printf("no longer following %s (its replica stays in the hub's database)%s\n", origin,
           reload ? "" : "; giamsat-hub stops following it at a reload (--reload) or a restart");
    if (reload && cli_conf_reload(conf, "giamsat-hub", &err) != 0)
        return cli_fail(&err);
    return CLI_EXIT_OK;
}

int cli_cmd_hub(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_hub, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_hub, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "init") == 0)
        return hub_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "follow") == 0)
        return hub_follow(argc - 1, argv + 1);
    if (strcmp(argv[1], "unfollow") == 0)
        return hub_unfollow(argc - 1, argv + 1);
    cli_errorf("unknown command \"hub %s\"; expected `hub init`, `hub follow` or `hub "
               "unfollow`",
               argv[1]);
    return CLI_EXIT_USAGE;
}
