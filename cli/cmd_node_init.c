/* cmd_node_init.c — `giamsat node init`: a node's folder, ready for
 * `giamsat-node --config DIR/node.conf`.
 *
 * Writes DIR/node.key (a new node key), DIR/node.db holding the log with its
 * Charter as entry 0 and a first signed checkpoint, and DIR/node.conf (INI,
 * read by giamsat-node with inih; relative paths are relative to the
 * config's folder). Nothing that exists is overwritten; when a step fails,
 * the files this run created are removed again, so a failed init can simply
 * be retried. */
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
#include "localtime.h"
#include "http.h"
#include "log.h"
#include "rules.h"
#include "store.h"

/* cmd_node_conf.c */
int cli_cmd_node_witness(int argc, char **argv);

static const char help_node[] =
    "usage: giamsat node init --dir DIR --tier T --unit U --name TEXT\n"
    "                         [--parent-origin O --parent-key VKEY] [--listen EP]...\n"
    "                         [--feedback-per-day N] [--open-feedback-per-day N]\n"
    "                         [--partial-percent N] [--time-zone TZ] [--http ADDR:PORT]\n"
    "       giamsat node witness add|remove|list --config DIR/node.conf ...\n"
    "       giamsat node rotate-key --config DIR/node.conf --new-key FILE\n"
    "Run `giamsat node init --help`, `giamsat node witness --help` or\n"
    "`giamsat node rotate-key --help` for details.\n";

static const char help_init[] =
    "usage: giamsat node init --dir DIR --tier T --unit U --name TEXT\n"
    "                         [--parent-origin O --parent-key VKEY] [--listen EP]...\n"
    "                         [--feedback-per-day N] [--open-feedback-per-day N]\n"
    "                         [--partial-percent N] [--time-zone TZ] [--http ADDR:PORT]\n"
    "                         [--publish EP]... [--passphrase-file F] [--json]\n"
    "\n"
    "Creates a node for one unit: DIR/node.key (the node's new key), DIR/node.db (its\n"
    "log, holding the signed Charter as entry 0 and a first signed checkpoint) and\n"
    "DIR/node.conf (its configuration). DIR is created with mode 0700 when missing;\n"
    "existing node files are never overwritten. Prints the log's origin and the node's\n"
    "verifier key: publish the key, it is how everyone checks the log's checkpoints\n"
    "and receipts (and what --server-key takes).\n"
    "\n"
    "  --dir DIR             the node's folder\n"
    "  --tier T              commune, province or central\n"
    "  --unit U              the unit's short name, [a-z0-9-]{1,64}; the origin is\n"
    "                        giamsat/<tier>/<unit>\n"
    "  --name TEXT           the unit's display name, e.g. \"Xã An Bình\"\n"
    "  --parent-origin O     the origin of the unit above (a province for a commune, the\n"
    "                        centre for a province); needs --parent-key\n"
    "  --parent-key VKEY     that log's verifier key (from its `node init`); its name\n"
    "                        must be the parent origin\n"
    "  --listen EP           an endpoint to serve on; repeatable (at most 16).\n"
    "                        default: ipc://<absolute DIR>/node.sock. tcp:// endpoints\n"
    "                        use CURVE with the node key\n"
    "  --publish EP          announce each new checkpoint (and cosignature) there on a\n"
    "                        PUB socket, topic checkpoint/<origin>, so hubs that\n"
    "                        subscribe need not poll; repeatable. tcp:// uses CURVE\n"
    "                        with the node key, like --listen. default: none\n"
    "  --http ADDR:PORT      also serve plain HTTP there (IPv4, or [IPv6]:PORT): the\n"
    "                        log as C2SP tiles, /metrics and /healthz (docs/http.md);\n"
    "                        written as `http =` in node.conf. default: no HTTP\n"
    "  --feedback-per-day N  the log's rule parameter: Feedback statements one key may\n"
    "                        sign per 24 hours, 1 to 32 (default 10). It is written in\n"
    "                        the Charter, so every hub and auditor judges the log by\n"
    "                        it; change it later with `giamsat parameters`\n"
    "  --open-feedback-per-day N\n"
    "                        the log's rule parameter: Feedback statements the whole\n"
    "                        log takes per day (UTC) from keys outside its roster,\n"
    "                        1 to 1000000 (default 1000); in the Charter too\n"
    "  --partial-percent N   the share of its target, 1 to 99 percent, an outcome must\n"
    "                        reach for the audit to call a missed commitment partially\n"
    "                        delivered (default 75); in the Charter too\n"
    "  --time-zone TZ        the unit's IANA time zone, written in the Charter (default\n"
    "                        Asia/Ho_Chi_Minh): a deadline given as a date alone ends\n"
    "                        at 23:59:59 there, and reports show local times in it.\n"
    "                        This machine must know the zone (tzdata)\n"
    "  --passphrase-file F   protect node.key with the passphrase on F's first line;\n"
    "                        node.conf then names F as passphrase_file\n"
    "  --json                print {\"origin\",\"log_key\",\"config\",\"listen\":[...]}\n"
    "                        (and \"http\" with --http, \"publish\":[...] with --publish)\n"
    "\n"
    "Example:\n"
    "  giamsat node init --dir /srv/giamsat/an-binh --tier commune --unit xa-an-binh \\\n"
    "      --name \"Xã An Bình\" --parent-origin giamsat/province/binh-duong \\\n"
    "      --parent-key 'giamsat/province/binh-duong+1a2b3c4d+AQ...' \\\n"
    "      --listen tcp://0.0.0.0:7400\n"
    "  giamsat-node --config /srv/giamsat/an-binh/node.conf\n";

enum {
    OPT_DIR = CLI_OPT_FIRST_OWN,
    OPT_TIER,
    OPT_UNIT,
    OPT_NAME,
    OPT_PARENT_ORIGIN,
    OPT_PARENT_KEY,
    OPT_LISTEN,
    OPT_FEEDBACK_PER_DAY,
    OPT_OPEN_FEEDBACK_PER_DAY,
    OPT_PARTIAL_PERCENT,
    OPT_TIME_ZONE,
    OPT_HTTP,
    OPT_PUBLISH,
};

typedef struct {
    const char *dir, *tier_s, *unit, *name, *parent_origin, *parent_key, *passfile;
    const char *listen[GS_NET_MAX_ENDPOINTS];
    size_t n_listen;
    const char *publish[GS_NET_MAX_ENDPOINTS];
    size_t n_publish;
    uint32_t feedback_per_day;
    uint32_t open_feedback_per_day;
    uint32_t partial_percent;
    const char *time_zone;
    const char *http;
    bool json;
} init_flags;

/* An ipc:// path must fit in sockaddr_un.sun_path with its NUL. */
static int check_endpoint(const char *ep, gs_error *err)
{
    struct sockaddr_un sa;
    if (strncmp(ep, "ipc://", 6) == 0) {
        if (strlen(ep + 6) >= sizeof sa.sun_path)
            return gs_error_set(err, GS_EINVAL,
                                "endpoint %s: an ipc:// path is at most %zu bytes; use a shorter "
                                "folder or give --listen with a shorter path",
                                ep, sizeof sa.sun_path - 1);
        return 0;
    }
    if (strncmp(ep, "tcp://", 6) == 0 && ep[6] != '\0')
        return 0;
    return gs_error_set(err, GS_EINVAL, "endpoint %s: expected ipc://PATH or tcp://HOST:PORT", ep);
}

static int write_conf(const cli_init_files *f, const char *origin, const init_flags *fl,
                      const char *passfile_abs, const char *default_listen, gs_error *err)
{
    FILE *out;
    int rc = cli_init_conf_open(f->conf, &out, err);
    if (rc != 0)
        return rc;
    fprintf(out, "# giamsat-node configuration, written by `giamsat node init`\n"
                 "[node]\n");
    fprintf(out, "origin = %s\n", origin);
    fprintf(out, "key = node.key\n");
    if (passfile_abs != NULL)
        fprintf(out, "passphrase_file = %s\n", passfile_abs);
    else
        fprintf(out, "# passphrase_file = /etc/giamsat/node.pass\n");
    fprintf(out, "database = node.db\n");
    if (fl->n_listen == 0)
        fprintf(out, "listen = %s\n", default_listen);
    for (size_t i = 0; i < fl->n_listen; i++)
        fprintf(out, "listen = %s\n", fl->listen[i]);
    fprintf(out, "# listen = tcp://127.0.0.1:7400     (repeat `listen` for more endpoints)\n");
    for (size_t i = 0; i < fl->n_publish; i++)
        fprintf(out, "publish = %s\n", fl->publish[i]);
    if (fl->n_publish == 0)
        fprintf(out, "# publish = tcp://0.0.0.0:7401     (PUB: checkpoint/<origin> for hubs "
                     "that subscribe)\n");
    if (fl->http != NULL)
        fprintf(out, "http = %s\n", fl->http);
    else
        fprintf(out, "# http = 127.0.0.1:8080            (HTTP: tiles, /metrics, /healthz; "
                     "docs/http.md)\n");
    fprintf(out,
            "checkpoint_interval_ms = 1000\n"
            "max_message = %d\n"
            "max_clock_skew = 300\n"
            "# Rule parameters (feedback_per_day) are not set here: they live in the log,\n"
            "# in its Charter; change them with `giamsat parameters --help`.\n"
            "\n"
            "[access]\n"
            "open_submission = true\n"
            "public_read = true\n"
            "# writer = <base64 Ed25519 key or verifier key>   (repeatable; used when "
            "open_submission = false)\n",
            GS_MAX_MESSAGE);
    return cli_init_conf_close(f->conf, out, err);
}

/* The Charter (DESIGN §4): entry 0, signed by the node key, seq 1. Checked
 * with the rule book before anything is written, so a charter the network
 * would refuse (a parent of the wrong tier, say) never reaches disk. */
static int make_charter(const init_flags *fl, gs_tier tier, const char *origin,
                        const gs_keypair *kp, gs_buf *entry, gs_error *err)
{
    gs_statement st = {0};
    int rc;

    st.signer = kp->pub;
    st.seq = 1;
    st.issued_at = (int64_t)time(NULL);
    st.origin = origin;
    st.kind = GS_BODY_CHARTER;
    st.u.charter.unit = fl->unit;
    st.u.charter.tier = tier;
    st.u.charter.display_name = fl->name;
    st.u.charter.parent_origin = fl->parent_origin;
    /* Named even when it is the default, so the log says it in words. */
    st.u.charter.parameters.feedback_per_day = fl->feedback_per_day;
    st.u.charter.parameters.open_feedback_per_day = fl->open_feedback_per_day;
    st.u.charter.parameters.partial_percent = fl->partial_percent;
    st.u.charter.time_zone = fl->time_zone;
    if (fl->parent_key != NULL) {
        gs_vkey pk;
        if ((rc = gs_vkey_parse(fl->parent_key, &pk, err)) != 0)
            return gs_error_wrap(err, "--parent-key");
        if (pk.alg != GS_VKEY_ALG_ED25519)
            return gs_error_set(err, GS_EINVAL,
                                "--parent-key: expected the parent log's key (algorithm 0x01), "
                                "not a cosigner key");
        if (strcmp(pk.name, fl->parent_origin) != 0)
            return gs_error_set(err, GS_EINVAL,
                                "--parent-key is the key of %s, not of --parent-origin %s", pk.name,
                                fl->parent_origin);
        st.u.charter.has_parent_key = true;
        st.u.charter.parent_key = pk.key;
    }
    return cli_init_charter(&st, kp, entry, err);
}

static int node_init(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, OPT_DIR},
        {"tier", required_argument, NULL, OPT_TIER},
        {"unit", required_argument, NULL, OPT_UNIT},
        {"name", required_argument, NULL, OPT_NAME},
        {"parent-origin", required_argument, NULL, OPT_PARENT_ORIGIN},
        {"parent-key", required_argument, NULL, OPT_PARENT_KEY},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"publish", required_argument, NULL, OPT_PUBLISH},
        {"feedback-per-day", required_argument, NULL, OPT_FEEDBACK_PER_DAY},
        {"open-feedback-per-day", required_argument, NULL, OPT_OPEN_FEEDBACK_PER_DAY},
        {"partial-percent", required_argument, NULL, OPT_PARTIAL_PERCENT},
        {"time-zone", required_argument, NULL, OPT_TIME_ZONE},
        {"http", required_argument, NULL, OPT_HTTP},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "node init";
    init_flags fl = {0};
    cli_init_files files = {0};
    char abs[PATH_MAX], passfile_abs[PATH_MAX], default_listen[PATH_MAX + 16];
    char origin[GS_MAX_ORIGIN + 1], vkey_s[GS_VKEY_STR_MAX];
    char pass[CLI_PASSPHRASE_MAX];
    gs_keypair kp = {0};
    gs_buf entry = {0};
    gs_error err = {0};
    gs_vkey vk;
    uint64_t fpd = GS_RULES_FEEDBACK_PER_DAY;
    uint64_t ofpd = GS_RULES_OPEN_FEEDBACK_PER_DAY;
    uint64_t partial = GS_RULES_PARTIAL_PERCENT;
    int c, rc;

    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_DIR: fl.dir = optarg; break;
        case OPT_TIER: fl.tier_s = optarg; break;
        case OPT_UNIT: fl.unit = optarg; break;
        case OPT_NAME: fl.name = optarg; break;
        case OPT_PARENT_ORIGIN: fl.parent_origin = optarg; break;
        case OPT_PARENT_KEY: fl.parent_key = optarg; break;
        case OPT_LISTEN:
            if (fl.n_listen == GS_NET_MAX_ENDPOINTS)
                return cli_usage_error(cmd, "at most %d --listen endpoints", GS_NET_MAX_ENDPOINTS);
            fl.listen[fl.n_listen++] = optarg;
            break;
        case OPT_PUBLISH:
            if (fl.n_publish == GS_NET_MAX_ENDPOINTS)
                return cli_usage_error(cmd, "at most %d --publish endpoints", GS_NET_MAX_ENDPOINTS);
            fl.publish[fl.n_publish++] = optarg;
            break;
        case OPT_FEEDBACK_PER_DAY:
            if (cli_parse_u64(optarg, "--feedback-per-day", &fpd, &err) != 0 || fpd == 0 ||
                fpd > GS_RULES_FEEDBACK_MAX)
                return cli_usage_error(cmd, "--feedback-per-day: expected 1 to %d, got \"%s\"",
                                       GS_RULES_FEEDBACK_MAX, optarg);
            break;
        case OPT_OPEN_FEEDBACK_PER_DAY:
            if (cli_parse_u64(optarg, "--open-feedback-per-day", &ofpd, &err) != 0 || ofpd == 0 ||
                ofpd > GS_RULES_OPEN_FEEDBACK_MAX)
                return cli_usage_error(cmd, "--open-feedback-per-day: expected 1 to %d, got \"%s\"",
                                       GS_RULES_OPEN_FEEDBACK_MAX, optarg);
            break;
        case OPT_PARTIAL_PERCENT:
            if (cli_parse_u64(optarg, "--partial-percent", &partial, &err) != 0 || partial == 0 ||
                partial > 99)
                return cli_usage_error(cmd, "--partial-percent: expected 1 to 99, got \"%s\"",
                                       optarg);
            break;
        case OPT_TIME_ZONE: fl.time_zone = optarg; break;
        case OPT_HTTP: fl.http = optarg; break;
        case CLI_OPT_PASSPHRASE_FILE: fl.passfile = optarg; break;
        case CLI_OPT_JSON: fl.json = true; break;
        case CLI_OPT_HELP: fputs(help_init, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    fl.feedback_per_day = (uint32_t)fpd;
    fl.open_feedback_per_day = (uint32_t)ofpd;
    fl.partial_percent = (uint32_t)partial;
    /* Named even when it is the default, so the log says it in words. */
    if (fl.time_zone == NULL)
        fl.time_zone = GS_DEFAULT_TIME_ZONE;
    if (!gs_tz_name_valid(fl.time_zone))
        return cli_usage_error(cmd,
                               "--time-zone \"%s\": expected an IANA zone name such as "
                               "Asia/Ho_Chi_Minh or UTC",
                               fl.time_zone);
    gs_local_time lt;
    gs_time_local(0, fl.time_zone, &lt);
    if (!lt.known)
        return cli_usage_error(cmd,
                               "--time-zone %s: this machine does not know that zone (its "
                               "tzdata has no such zone); check the spelling, e.g. "
                               "Asia/Ho_Chi_Minh, or install tzdata",
                               fl.time_zone);
    if (fl.dir == NULL || fl.tier_s == NULL || fl.unit == NULL || fl.name == NULL)
        return cli_usage_error(cmd, "--dir, --tier, --unit and --name are required");
    int tier = gs_tier_parse(fl.tier_s);
    if (tier != GS_TIER_COMMUNE && tier != GS_TIER_PROVINCE && tier != GS_TIER_CENTRAL)
        return cli_usage_error(cmd, "--tier: expected commune, province or central, got \"%s\"",
                               fl.tier_s);
    if (gs_unit_valid(fl.unit) != 0)
        return cli_usage_error(cmd,
                               "--unit \"%s\": expected 1 to 64 of a-z, 0-9 and '-', e.g. "
                               "xa-an-binh",
                               fl.unit);
    if (fl.name[0] == '\0' || strlen(fl.name) > GS_MAX_NAME)
        return cli_usage_error(cmd, "--name: expected 1 to %d bytes", GS_MAX_NAME);
    if ((fl.parent_origin == NULL) != (fl.parent_key == NULL))
        return cli_usage_error(cmd, "--parent-origin and --parent-key go together");
    if (fl.parent_origin != NULL && gs_origin_valid(fl.parent_origin, &err) != 0)
        return cli_usage_error(cmd, "--parent-origin: %s", err.msg);
    for (size_t i = 0; i < fl.n_listen; i++)
        if (check_endpoint(fl.listen[i], &err) != 0)
            return cli_fail(&err);
    for (size_t i = 0; i < fl.n_publish; i++)
        if (check_endpoint(fl.publish[i], &err) != 0)
            return cli_fail(&err);
    if (fl.http != NULL && gs_http_listen_check(fl.http, &err) != 0)
        return cli_usage_error(cmd, "--http: %s", err.msg);
    snprintf(origin, sizeof origin, "giamsat/%s/%s", gs_tier_name((gs_tier)tier), fl.unit);
    if (fl.passfile != NULL && realpath(fl.passfile, passfile_abs) == NULL) {
        cli_errorf("cannot read passphrase file %s: %s", fl.passfile, strerror(errno));
        return CLI_EXIT_USAGE;
    }

    /* Everything the user typed is checked; now the key and the Charter. */
    if (fl.passfile != NULL &&
        (rc = gs_passphrase_read_file(fl.passfile, pass, sizeof pass, &err)) != 0)
        goto out;
    gs_keypair_generate(&kp);
    if ((rc = make_charter(&fl, (gs_tier)tier, origin, &kp, &entry, &err)) != 0)
        goto out;

    if ((rc = cli_init_folder(fl.dir, "node", abs, &files, &err)) != 0)
        goto out;
    snprintf(default_listen, sizeof default_listen, "ipc://%s/node.sock", abs);
    if (fl.n_listen == 0 && (rc = check_endpoint(default_listen, &err)) != 0)
        goto out;
    if ((rc = cli_init_refuse_existing(&files, "node", &err)) != 0)
        goto out;

    if ((rc = gs_keyfile_write(files.key, &kp, fl.passfile != NULL ? pass : NULL, &err)) != 0)
        goto out;
    files.made_key = true;
    files.made_db = true; /* from here a failure may leave a partial database */
    if ((rc = cli_init_write_log(files.db, origin, &kp, &entry, &err)) != 0)
        goto out;
    if ((rc = write_conf(&files, origin, &fl, fl.passfile != NULL ? passfile_abs : NULL,
                         default_listen, &err)) != 0)
        goto out;
    /* The node is complete: from here nothing is undone. */
    files.made_key = files.made_db = false;
    files.dir = NULL;

    if ((rc = gs_vkey_make(&vk, origin, GS_VKEY_ALG_ED25519, &kp.pub, &err)) != 0 ||
        (rc = gs_vkey_format(&vk, vkey_s, sizeof vkey_s, &err)) != 0)
        goto out;
    if (fl.json) {
        json_t *o = json_object(), *l = json_array();
        json_object_set_new(o, "origin", json_string(origin));
        json_object_set_new(o, "log_key", json_string(vkey_s));
        json_object_set_new(o, "config", json_string(files.conf));
        if (fl.n_listen == 0)
            json_array_append_new(l, json_string(default_listen));
        for (size_t i = 0; i < fl.n_listen; i++)
            json_array_append_new(l, json_string(fl.listen[i]));
        json_object_set_new(o, "listen", l);
        if (fl.http != NULL)
            json_object_set_new(o, "http", json_string(fl.http));
        if (fl.n_publish > 0) {
            json_t *p = json_array();
            for (size_t i = 0; i < fl.n_publish; i++)
                json_array_append_new(p, json_string(fl.publish[i]));
            json_object_set_new(o, "publish", p);
        }
        rc = cli_print_json(o, &err);
    } else {
        printf("origin:  %s\n", origin);
        printf("log key: %s\n", vkey_s);
        printf("config:  %s\n", files.conf);
        if (fl.http != NULL)
            printf("http:    %s (/metrics, /healthz)\n", fl.http);
        printf("start:   giamsat-node --config %s\n", files.conf);
    }
out:
    if (rc != 0)
        cli_init_undo(&files);
    gs_buf_free(&entry);
    gs_keypair_wipe(&kp);
    sodium_memzero(pass, sizeof pass);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

int cli_cmd_node(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_node, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_node, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "init") == 0)
        return node_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "witness") == 0)
        return cli_cmd_node_witness(argc - 1, argv + 1);
    cli_errorf("unknown command \"node %s\"; expected `node init` or `node witness`", argv[1]);
    return CLI_EXIT_USAGE;
}
