/* cmd_node_rotate.c — `giamsat node rotate-key`: moves a node's log key to a
 * new key in one step the operator cannot get half right (issue 12, D1;
 * docs/operations.md "Rotating a log key").
 *
 * The node signs its log with the log key in force and holds its secrets in
 * node.conf's `signing_key` lines; `key` stays its transport identity. The
 * node refuses a KeyRotation of its log key whose new secret it does not
 * hold, so the order is: the signing_key line first (the running node reads
 * node.conf again when the rotation arrives: no restart), then the
 * KeyRotation signed by the log key in force, submitted to the node over an
 * endpoint of its node.conf, then its receipt, checked against `key`, and a
 * checkpoint above the rotation signed by the new key, which shows the node
 * switched. A refused rotation leaves node.conf as it was. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../node/config.h"
#include "cli.h"
#include "confedit.h"

static const char help[] =
    "usage: giamsat node rotate-key --config DIR/node.conf --new-key FILE\n"
    "                               [--new-passphrase-file F] [--json]\n"
    "\n"
    "Moves the node's log key (the key that signs its checkpoints) to a new key made\n"
    "with `giamsat key new`, while the node runs: adds `signing_key = FILE[,F]` to the\n"
    "[node] section of node.conf, signs a KeyRotation with the log key in force (found\n"
    "among node.conf's key and signing_key lines), submits it to the node over an\n"
    "endpoint of node.conf, checks the receipt, and waits for a checkpoint signed by\n"
    "the new key. The node's `key` stays its network identity: hubs and clients keep\n"
    "their configuration; they follow the rotation from the log.\n"
    "\n"
    "  --config FILE           the node's configuration (read and edited)\n"
    "  --new-key FILE          the new key file (give an absolute path or one relative\n"
    "                          to here; node.conf gets the absolute path)\n"
    "  --new-passphrase-file F its passphrase, when it has one (node.conf names F)\n"
    "  --connect EP            the node's endpoint; default: node.conf's first ipc://\n"
    "                          listen, else its first tcp:// one\n"
    "  --timeout MS            how long to wait for each answer (default 10000)\n"
    "  --json                  print {\"origin\",\"index\",\"new_key\",\"new_key_fingerprint\",\n"
    "                          \"old_key\",\"old_key_fingerprint\",\"config\",\n"
    "                          \"checkpoint_size\"}\n"
    "\n"
    "Example:\n"
    "  giamsat key new --out /srv/giamsat/an-binh/log-2027.key\n"
    "  giamsat node rotate-key --config /srv/giamsat/an-binh/node.conf \\\n"
    "      --new-key /srv/giamsat/an-binh/log-2027.key\n";

enum { OPT_CONFIG = CLI_OPT_FIRST_OWN, OPT_NEW_KEY, OPT_NEW_PASS };

/* How long the command waits for the node's first checkpoint above the
 * rotation (the node signs at its checkpoint_interval_ms). */
#define WAIT_CHECKPOINT_MS 120000

/* One key node.conf names: `key` or a signing_key line. */
typedef struct {
    const char *path;
    const char *passphrase_file;
    gs_pubkey pub;
} named_key;

static bool same_key(const gs_pubkey *a, const gs_pubkey *b)
{
    return sodium_memcmp(a->b, b->b, sizeof a->b) == 0;
}

/* The endpoint to reach the node from this machine: an ipc:// listen as is;
 * a tcp:// one bound to every address is reached on the loopback. */
static int node_endpoint(const gs_node_config *cfg, char *out, size_t cap, gs_error *err)
{
    for (size_t i = 0; i < cfg->n_listen; i++)
        if (strncmp(cfg->listen[i], "ipc://", 6) == 0) {
            snprintf(out, cap, "%s", cfg->listen[i]);
            return 0;
        }
    for (size_t i = 0; i < cfg->n_listen; i++) {
        const char *l = cfg->listen[i];
        if (strncmp(l, "tcp://", 6) != 0)
            continue;
        const char *host = l + 6, *colon = strrchr(host, ':');
        if (colon == NULL)
            continue;
        bool any = (colon - host == 1 && host[0] == '*') ||
                   (colon - host == 7 && strncmp(host, "0.0.0.0", 7) == 0);
        if (any)
            snprintf(out, cap, "tcp://127.0.0.1%s", colon);
        else
            snprintf(out, cap, "%s", l);
        return 0;
    }
    return gs_error_set(err, GS_EINVAL, "node.conf has no listen endpoint to reach");
}

/* A path as node.conf should name it: absolute (the node resolves relative
 * paths against node.conf's folder, not the folder the command ran in). */
static int absolute(const char *path, char out[PATH_MAX], gs_error *err)
{
    if (realpath(path, out) == NULL)
        return gs_error_set(err, GS_EIO, "%s: %s", path, strerror(errno));
    return 0;
}

/* Which key node.conf names is the log key in force: the one the node says
 * is active (GetSignerState: the log key or an active member; a retired key
 * is not). */
static int find_log_key(cli_conn *cn, const named_key *keys, size_t n, size_t *which,
                        uint64_t *next_seq, gs_error *err)
{
    size_t found = n;
    for (size_t i = 0; i < n; i++) {
        gs_request rq = {.op = GS_OP_GET_SIGNER_STATE, .origin = cn->origin};
        gs_response rs;
        rq.u.get_signer_state.signer = keys[i].pub;
        int rc = cli_call(cn, &rq, &rs, err);
        if (rc != 0)
            return gs_error_wrap(err, "GetSignerState");
        bool active = rs.result == GS_RESULT_SIGNER_STATE && rs.u.signer_state.active;
        uint64_t seq = rs.u.signer_state.next_seq;
        gs_response_clear(&rs);
        if (!active)
            continue;
        if (found != n && !same_key(&keys[found].pub, &keys[i].pub))
            return gs_error_set(err, GS_ECONFLICT,
                                "both %s and %s may sign for %s; cannot tell which is the log key",
                                keys[found].path, keys[i].path, cn->origin);
        found = i;
        *next_seq = seq;
    }
    if (found == n)
        return gs_error_set(err, GS_ENOTFOUND,
                            "none of the %zu keys node.conf names (key and signing_key lines) is "
                            "the log key of %s in force; add the line of the key in force first",
                            n, cn->origin);
    *which = found;
    return 0;
}

/* Submits entry, retrying while the node starts, and checks the receipt
 * against the node's transport key. */
static int submit(cli_conn *cn, const gs_buf *entry, const gs_pubkey *node_key, gs_receipt *out,
                  gs_error *err)
{
    gs_request rq = {.op = GS_OP_SUBMIT, .origin = cn->origin};
    gs_response rs;
    int rc;
    rq.u.submit.entry = *entry; /* borrowed */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    for (int tries = 0;; tries++) {
        rc = cli_call(cn, &rq, &rs, err);
        if (rc != CLI_EREJECTED || strncmp(err->msg, "UNAVAILABLE: starting:", 22) != 0 ||
            tries >= 1200)
            break;
        nanosleep(&pause, NULL);
    }
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_RECEIPT) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EVERIFY, "the node accepted the rotation but sent no receipt");
    }
    rc = gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n), node_key, out, err);
    gs_response_clear(&rs);
    if (rc != 0)
        return gs_error_wrap(err, "the node's receipt does not verify against its key");
    gs_hash leaf;
    gs_merkle_leaf_hash(gs_bytes_of(entry->p, entry->n), &leaf);
    if (strcmp(out->origin, cn->origin) != 0 ||
        sodium_memcmp(leaf.b, out->leaf_hash.b, sizeof leaf.b) != 0)
        return gs_error_set(err, GS_EVERIFY,
                            "the node's receipt is for %s entry %llu with another leaf hash, not "
                            "for the rotation sent",
                            out->origin, (unsigned long long)out->index);
    return 0;
}

/* Waits until the node serves a checkpoint of a size above index that the
 * new key signed: the node switched keys. *size gets its size. */
static int wait_checkpoint(cli_conn *cn, const gs_pubkey *new_key, uint64_t index, uint64_t *size,
                           gs_error *err)
{
    int rc;
    if ((rc = gs_vkey_make(&cn->log_key, cn->origin, GS_VKEY_ALG_ED25519, new_key, err)) != 0)
        return rc;
    cn->has_log_key = true;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        cli_checkpoint cp = {0};
        rc = cli_fetch_checkpoint(cn, &cp, err);
        if (rc == 0)
            *size = cp.cp.size;
        cli_checkpoint_clear(&cp);
        if (rc == 0 && *size > index)
            return 0;
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > WAIT_CHECKPOINT_MS)
            return gs_error_set(err, GS_EUNAVAIL,
                                "the rotation is entry %llu, but the node served no checkpoint "
                                "above it signed by the new key within %d s%s%s; see the node's "
                                "log",
                                (unsigned long long)index, WAIT_CHECKPOINT_MS / 1000,
                                rc != 0 ? ": " : "", rc != 0 ? err->msg : "");
        nanosleep(&pause, NULL);
    }
}

static int print_result(const cli_common *cf, const char *origin, uint64_t index,
                        const gs_pubkey *old_key, const gs_pubkey *new_key, const char *conf,
                        const char *line, bool added, uint64_t size, gs_error *err)
{
    char nb[45], ob[45], nf[GS_KEY_FINGERPRINT_LEN], of[GS_KEY_FINGERPRINT_LEN];
    cli_b64_32(new_key->b, nb);
    cli_b64_32(old_key->b, ob);
    gs_key_fingerprint(new_key, nf);
    gs_key_fingerprint(old_key, of);
    if (cf->json) {
        json_t *o = json_object();
        if (o == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        json_object_set_new(o, "origin", json_string(origin));
        json_object_set_new(o, "index", json_integer((json_int_t)index));
        json_object_set_new(o, "new_key", json_string(nb));
        json_object_set_new(o, "new_key_fingerprint", json_string(nf));
        json_object_set_new(o, "old_key", json_string(ob));
        json_object_set_new(o, "old_key_fingerprint", json_string(of));
        json_object_set_new(o, "config", json_string(conf));
        json_object_set_new(o, "checkpoint_size", json_integer((json_int_t)size));
        return cli_print_json(o, err);
    }
    printf("rotated: the log key of %s is key %s (base64 %s) from entry %llu on\n", origin, nf, nb,
           (unsigned long long)index);
    printf("retired: key %s (base64 %s) signs nothing in this log any more\n", of, ob);
    if (added)
        printf("%s: added %s\n", conf, line);
    printf("the node signed checkpoint %llu with the new key; hubs and readers follow the\n"
           "rotation from the log (their configuration names the original key)\n",
           (unsigned long long)size);
    return 0;
}

int cli_cmd_node_rotate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"new-key", required_argument, NULL, OPT_NEW_KEY},
        {"new-passphrase-file", required_argument, NULL, OPT_NEW_PASS},
        {"connect", required_argument, NULL, CLI_OPT_CONNECT},
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "node rotate-key";
    const char *conf = NULL, *new_path = NULL, *new_pass = NULL;
    cli_common cf;
    gs_node_config cfg = {0};
    gs_keypair new_kp = {0}, log_kp = {0}, transport = {0};
    named_key keys[GS_NODE_MAX_SIGNING_KEYS + 1];
    size_t n_keys = 0;
    cli_conn cn = {0};
    gs_statement st = {0};
    gs_buf entry = {0};
    gs_receipt receipt = {0};
    gs_error err = {0};
    cli_conf edit = {.lock_fd = -1};
    size_t at = 0;
    bool added = false, committed = false;
    char new_abs[PATH_MAX], pass_abs[PATH_MAX] = "";
    char ep[PATH_MAX + 16], server_vkey[GS_VKEY_STR_MAX];
    size_t which = 0;
    uint64_t next_seq = 0;
    gs_vkey sv;
    char line[2 * PATH_MAX + 32] = "";
    int rc, c;

    cli_common_init(&cf);
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG: conf = optarg; break;
        case OPT_NEW_KEY: new_path = optarg; break;
        case OPT_NEW_PASS: new_pass = optarg; break;
        case CLI_OPT_HELP: fputs(help, stdout); return CLI_EXIT_OK;
        default:
            rc = cli_common_opt(&cf, c, optarg);
            if (rc < 0)
                return CLI_EXIT_USAGE;
            if (rc == 0)
                return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (conf == NULL || new_path == NULL)
        return cli_usage_error(cmd, "--config and --new-key are required");

    if ((rc = gs_node_config_load(conf, &cfg, &err)) != 0)
        goto out;
    /* The new key: its secret must open as the node will open it. */
    if ((rc = absolute(new_path, new_abs, &err)) != 0 ||
        (new_pass != NULL && (rc = absolute(new_pass, pass_abs, &err)) != 0)) {
        gs_error_wrap(&err, "--new-key");
        goto out;
    }
    if ((rc = cli_load_key(new_abs, new_pass != NULL ? pass_abs : NULL, &new_kp, &err)) != 0) {
        gs_error_wrap(&err, "--new-key %s%s", new_path,
                      new_pass == NULL ? " (a key with a passphrase needs --new-passphrase-file)"
                                       : "");
        goto out;
    }
    /* The keys node.conf names, one of which is the log key in force. */
    keys[n_keys++] = (named_key){cfg.key_path, cfg.passphrase_file, {{0}}};
    for (size_t i = 0; i < cfg.n_signing_keys; i++)
        keys[n_keys++] = (named_key){cfg.signing_keys[i], cfg.signing_passphrases[i], {{0}}};
    bool listed = false;
    for (size_t i = 0; i < n_keys; i++) {
        if ((rc = gs_keyfile_read_public(keys[i].path, &keys[i].pub, &err)) != 0) {
            if (i == 0)
                goto out;
            fprintf(stderr, "giamsat: %s: [node] signing_key %s: %s (skipped)\n", conf,
                    keys[i].path, err.msg);
            keys[i] = keys[--n_keys];
            i--;
            continue;
        }
        listed = listed || same_key(&keys[i].pub, &new_kp.pub);
    }
    rc = 0;
    if ((rc = cli_load_key(cfg.key_path, cfg.passphrase_file, &transport, &err)) != 0)
        goto out;

    /* Connected as the transport identity: reads need no more. */
    if (cf.connect == NULL && (rc = node_endpoint(&cfg, ep, sizeof ep, &err)) != 0)
        goto out;
    if ((rc = gs_vkey_make(&sv, cfg.origin, GS_VKEY_ALG_ED25519, &transport.pub, &err)) != 0 ||
        (rc = gs_vkey_format(&sv, server_vkey, sizeof server_vkey, &err)) != 0)
        goto out;
    if (cf.connect == NULL)
        cf.connect = ep;
    cf.origin = cfg.origin;
    if (strncmp(cf.connect, "tcp://", 6) == 0)
        cf.server_key = server_vkey;
    if ((rc = cli_connect(&cn, &cf, &transport, &err)) != 0)
        goto out;
    if ((rc = find_log_key(&cn, keys, n_keys, &which, &next_seq, &err)) != 0)
        goto out;
    if (same_key(&keys[which].pub, &new_kp.pub)) {
        rc = gs_error_set(&err, GS_EINVAL, "%s is the log key of %s already", new_path, cfg.origin);
        goto out;
    }
    if ((rc = cli_load_key(keys[which].path, keys[which].passphrase_file, &log_kp, &err)) != 0)
        goto out;
    if (which != 0 && strncmp(cf.connect, "tcp://", 6) == 0) {
        /* On tcp:// the signer's key is the CURVE identity a writer list
         * may name, as for every statement. */
        cli_disconnect(&cn);
        if ((rc = cli_connect(&cn, &cf, &log_kp, &err)) != 0)
            goto out;
    }

    /* node.conf first: the node takes the rotation only when it holds the
     * new secret, and reads node.conf again to find it. */
    if (!listed) {
        /* Edited as every configuration command edits (confedit.h): the
         * folder stays locked until the end, so no other edit slips in
         * between the line and its undo. */
        if ((rc = cli_conf_read(conf, &edit, &err)) != 0)
            goto out;
        snprintf(line, sizeof line, "signing_key = %s%s%s", new_abs, new_pass != NULL ? "," : "",
                 pass_abs);
        long sec = cli_conf_section(&edit, "node", 0);
        if (sec < 0) {
            rc = gs_error_set(&err, GS_EINVAL, "%s has no [node] section", conf);
            goto out;
        }
        /* after the section's last setting, before the comments and blank
         * lines that lead to the next section */
        at = (size_t)sec + 1;
        char name[128];
        const char *value;
        size_t vlen;
        for (size_t i = at; i < cli_conf_section_end(&edit, (size_t)sec); i++)
            if (cli_conf_setting(edit.lines[i], name, sizeof name, &value, &vlen))
                at = i + 1;
        if ((rc = cli_conf_insert(&edit, at, line, &err)) != 0 ||
            (rc = cli_conf_write(&edit, cli_conf_check_node, &err)) != 0)
            goto out;
        added = true;
    }

    st.kind = GS_BODY_KEY_ROTATION;
    st.signer = log_kp.pub;
    st.seq = next_seq;
    st.origin = cfg.origin;
    st.issued_at = (int64_t)time(NULL);
    st.u.key_rotation.new_key = new_kp.pub;
    if ((rc = gs_wire_sign_statement(&st, &log_kp, &entry, &err)) != 0)
        goto out;
    if ((rc = submit(&cn, &entry, &transport.pub, &receipt, &err)) != 0) {
        if (rc == CLI_EREJECTED)
            gs_error_wrap(&err, "the node refused the rotation");
        goto out;
    }
    committed = true; /* the line stays, whatever follows */
    uint64_t size = 0;
    rc = wait_checkpoint(&cn, &new_kp.pub, receipt.index, &size, &err);
    if (rc == 0)
        rc = print_result(&cf, cfg.origin, receipt.index, &log_kp.pub, &new_kp.pub, conf, line,
                          added, size, &err);
out:
    /* Not rotated: node.conf goes back to what it was. */
    if (rc != 0 && added && !committed) {
        gs_error e;
        cli_conf_delete(&edit, at, 1);
        if (cli_conf_write(&edit, cli_conf_check_node, &e) != 0)
            fprintf(stderr, "giamsat: cannot undo the signing_key line added to %s: %s\n", conf,
                    e.msg);
    }
    gs_receipt_clear(&receipt);
    gs_buf_free(&entry);
    cli_disconnect(&cn);
    cli_conf_free(&edit);
    gs_keypair_wipe(&new_kp);
    gs_keypair_wipe(&log_kp);
    gs_keypair_wipe(&transport);
    gs_node_config_clear(&cfg);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}
