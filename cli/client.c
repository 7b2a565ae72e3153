/* client.c — what every `giamsat` command shares: flags, keys, the
 * connection to a daemon, checkpoints and entries fetched and verified,
 * parsing of user-typed values, output. See cli.h. */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clientconf.h"
#include "daemon.h"
#include "ingest.h"
#include "keychain.h"
#include "localtime.h"
#include "report.h"
#include "log.h"
#include "rules.h"
#include "store.h"

/* ---------------------------------------------------------------- errors */

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    fputs("giamsat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_exit_for(int code)
{
    switch (code) {
    case GS_OK: return CLI_EXIT_OK;
    case GS_EVERIFY:
    case GS_ECORRUPT:
    case CLI_EREJECTED: return CLI_EXIT_FAIL;
    default: return CLI_EXIT_USAGE;
    }
}

int cli_fail(const gs_error *err)
{
    cli_errorf("%s", err->msg[0] != '\0' ? err->msg : gs_error_name(err->code));
    return cli_exit_for(err->code);
}

/* ----------------------------------------------------------------- flags */

const char cli_help_connection[] =
    "Connection (every command that talks to a daemon):\n"
    "  --connect EP       the daemon's endpoint, ipc://PATH or tcp://HOST:PORT, or the\n"
    "                     NAME of an [endpoint NAME] of client.conf; default:\n"
    "                     $GIAMSAT_CONNECT, else client.conf's [defaults] endpoint\n"
    "  --server-key VKEY  the daemon's verifier key (required for tcp://: the CURVE key\n"
    "                     is derived from it); also the key receipts and the node's\n"
    "                     checkpoints are checked against\n"
    "  --log-key VKEY     the log's verifier key, when it is not the daemon's (a hub\n"
    "                     serving a replica); default: --server-key when its name is the\n"
    "                     origin, else the signer of the log's Charter (entry 0)\n"
    "  --origin O         the log, e.g. giamsat/commune/xa-an-binh; may be left out\n"
    "                     when the endpoint serves a single log\n"
    "  --timeout MS       how long to wait for each answer (default 10000)\n"
    "  --client-config F  the client configuration (default: $GIAMSAT_CLIENT_CONFIG, else\n"
    "                     ~/.config/giamsat/client.conf); flags win over it\n";

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
}

int cli_common_opt(cli_common *c, int opt, const char *arg)
{
    switch (opt) {
    case CLI_OPT_CONNECT: c->connect = arg; return 1;
    case CLI_OPT_SERVER_KEY: c->server_key = arg; return 1;
    case CLI_OPT_LOG_KEY: c->log_key = arg; return 1;
    case CLI_OPT_KEY: c->key_file = arg; return 1;
    case CLI_OPT_PASSPHRASE_FILE: c->passphrase_file = arg; return 1;
    case CLI_OPT_ORIGIN: c->origin = arg; return 1;
    case CLI_OPT_JSON: c->json = true; return 1;
    case CLI_OPT_TIMEOUT: {
        gs_error err = {0};
        uint64_t v;
        if (cli_parse_u64(arg, "--timeout", &v, &err) != 0 || v == 0 || v > 3600000) {
            cli_errorf("--timeout: expected milliseconds between 1 and 3600000, got \"%s\"", arg);
            return -1;
        }
        c->timeout_ms = (int)v;
        c->timeout_given = true;
        return 1;
    }
    case CLI_OPT_CLIENT_CONFIG: c->client_config = arg; return 1;
    default: return 0;
    }
}

int cli_common_finish(cli_common *c)
{
    gs_error err = {0};
    if (cli_clientconf_apply(c, &err) != 0) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fputs("giamsat: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ngiamsat: see `giamsat %s --help`\n", command);
    return CLI_EXIT_USAGE;
}

int cli_getopt_error(const char *command, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':')
        return cli_usage_error(command, "%s needs a value", arg);
    return cli_usage_error(command, "unknown flag %s", arg);
}

void cli_getopt_reset(void)
{
    optind = 1;
    opterr = 0;
}

int cli_parse_flags(const char *cmd, const char *help, const struct option *own, int argc,
                    char **argv, cli_common *cf, const char **vals, const char **positional)
{
    struct option opts[24] = {CLI_COMMON_OPTIONS};
    size_t n = 0, k;
    while (opts[n].name != NULL)
        n++;
    for (k = 0; own != NULL && own[k].name != NULL && n < 23; k++)
        opts[n++] = own[k];
    opts[n] = (struct option){NULL, 0, NULL, 0};
    int c;
    cli_common_init(cf);
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == CLI_OPT_HELP) {
            fputs(help, stdout);
            if (positional == NULL) {
                fputs("\n", stdout);
                fputs(cli_help_connection, stdout);
            }
            return -1;
        }
        int r = cli_common_opt(cf, c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c >= CLI_OPT_FIRST_OWN && c < CLI_OPT_FIRST_OWN + 16) {
            vals[c - CLI_OPT_FIRST_OWN] = optarg != NULL ? optarg : "";
            continue;
        }
        return cli_getopt_error(cmd, c, argv);
    }
    if (positional != NULL && optind < argc)
        *positional = argv[optind++];
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    return cli_common_finish(cf);
}

/* ------------------------------------------------------------------ keys */

int cli_load_key(const char *path, const char *passphrase_file, gs_keypair *kp, gs_error *err)
{
    char pass[CLI_PASSPHRASE_MAX];
    int rc;
    if (passphrase_file == NULL)
        return gs_keyfile_read(path, NULL, kp, err);
    rc = gs_passphrase_read_file(passphrase_file, pass, sizeof pass, err);
    if (rc == 0)
        rc = gs_keyfile_read(path, pass, kp, err);
    sodium_memzero(pass, sizeof pass);
    return rc;
}

void cli_b64_32(const uint8_t b[32], char out[45])
{
    gs_base64_encode(out, 45, gs_bytes_of(b, 32));
}

int cli_parse_pubkey(const char *s, gs_pubkey *out, gs_error *err)
{
    if (strchr(s, '+') != NULL && strlen(s) > 44) {
        gs_vkey vk;
        int rc = gs_vkey_parse(s, &vk, err);
        if (rc != 0)
            return rc;
        *out = vk.key;
        return 0;
    }
    size_t n = 0;
    uint8_t b[33];
    if (gs_base64_decode(b, sizeof b, &n, s, strlen(s), NULL) != 0 || n != 32)
        return gs_error_set(err, GS_EINVAL,
                            "\"%s\" is not a public key: expected base64 of 32 bytes (what "
                            "`giamsat key show` prints) or a verifier key name+hash+key",
                            s);
    memcpy(out->b, b, 32);
    return 0;
}

/* ------------------------------------------------------------ connecting */

int cli_connect(cli_conn *cn, const cli_common *flags, const gs_keypair *client_key, gs_error *err)
{
    int rc;
    memset(cn, 0, sizeof *cn);
    cn->flags = flags;
    const char *ep = flags->connect;
    if (ep == NULL || ep[0] == '\0')
        ep = getenv("GIAMSAT_CONNECT");
    if (ep == NULL || ep[0] == '\0')
        return gs_error_set(err, GS_EINVAL,
                            "no endpoint: give --connect EP (e.g. ipc:///srv/giamsat/node.sock), "
                            "set GIAMSAT_CONNECT, or name one in client.conf (docs/formats.md)");
    if (flags->server_key != NULL) {
        if ((rc = gs_vkey_parse(flags->server_key, &cn->server_key, err)) != 0)
            return gs_error_wrap(err, "--server-key");
        cn->has_server_key = true;
    }
    if (flags->log_key != NULL) {
        if ((rc = gs_vkey_parse(flags->log_key, &cn->log_key, err)) != 0)
            return gs_error_wrap(err, "--log-key");
        cn->has_log_key = true;
    }
    if (flags->origin != NULL) {
        if ((rc = gs_origin_valid(flags->origin, err)) != 0)
            return gs_error_wrap(err, "--origin");
        snprintf(cn->origin, sizeof cn->origin, "%s", flags->origin);
    }
    cn->zctx = zmq_ctx_new();
    if (cn->zctx == NULL)
        return gs_error_set(err, GS_EIO, "cannot start ZeroMQ: %s", zmq_strerror(errno));
    rc = gs_net_client_open(&cn->client, cn->zctx, ep,
                            cn->has_server_key ? &cn->server_key.key : NULL, client_key,
                            flags->timeout_ms, GS_MAX_MESSAGE, err);
    if (rc != 0) {
        cli_disconnect(cn);
        return rc;
    }
    return 0;
}

void cli_disconnect(cli_conn *cn)
{
    gs_net_client_close(&cn->client);
    if (cn->zctx != NULL)
        zmq_ctx_term(cn->zctx);
    cn->zctx = NULL;
}

int cli_call(cli_conn *cn, gs_request *rq, gs_response *rs, gs_error *err)
{
    memset(rs, 0, sizeof *rs);
    rq->version = 1;
    int rc = gs_net_client_call(cn->client, rq, rs, err);
    if (rc != 0) {
        gs_response_clear(rs);
        return rc;
    }
    if (rs->code != GS_STATUS_OK) {
        gs_error_set(err, CLI_EREJECTED, "%s: %s", gs_status_name(rs->code),
                     rs->message != NULL && rs->message[0] != '\0' ? rs->message : "(no message)");
        gs_response_clear(rs);
        return CLI_EREJECTED;
    }
    return 0;
}

static int expect_result(gs_response *rs, gs_result_kind want, const char *op, gs_error *err)
{
    if (rs->result == want)
        return 0;
    gs_response_clear(rs);
    return gs_error_set(err, GS_EINVAL, "the daemon answered %s with the wrong kind of result", op);
}

static int get_checkpoint_text(cli_conn *cn, const char *origin, char **text, gs_error *err)
{
    gs_request rq = {0};
    gs_response rs;
    rq.op = GS_OP_GET_CHECKPOINT;
    rq.origin = origin;
    int rc = cli_call(cn, &rq, &rs, err);
    if (rc != 0)
        return rc;
    if ((rc = expect_result(&rs, GS_RESULT_CHECKPOINT, "GetCheckpoint", err)) != 0)
        return rc;
    *text = gs_wire_take(rs.u.checkpoint);
    rs.u.checkpoint = NULL;
    gs_response_clear(&rs);
    if (*text == NULL)
        return gs_error_set(err, GS_EINVAL, "the daemon sent an empty checkpoint");
    return 0;
}

int cli_find_origin(cli_conn *cn, gs_error *err)
{
    char *text = NULL;
    gs_note *note = NULL;
    gs_checkpoint cp = {0};
    int rc;
    if (cn->origin[0] != '\0')
        return 0;
    if ((rc = get_checkpoint_text(cn, "", &text, err)) != 0)
        goto out;
    if ((rc = gs_note_parse(text, strlen(text), &note, err)) != 0) {
        gs_error_wrap(err, "the endpoint's checkpoint");
        goto out;
    }
    size_t len = 0;
    const char *body = gs_note_text(note, &len);
    if ((rc = gs_checkpoint_parse(body, len, &cp, err)) != 0) {
        gs_error_wrap(err, "the endpoint's checkpoint");
        goto out;
    }
    if ((rc = gs_origin_valid(cp.origin, err)) != 0) {
        gs_error_wrap(err, "the endpoint's checkpoint names its log");
        goto out;
    }
    snprintf(cn->origin, sizeof cn->origin, "%s", cp.origin);
out:
    gs_checkpoint_clear(&cp);
    gs_note_free(&note);
    free(text);
    return rc;
}

void cli_entries_free(gs_buf *entries, size_t n)
{
    if (entries == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        gs_buf_free(&entries[i]);
    free(entries);
}

int cli_fetch_entries(cli_conn *cn, const char *origin, uint64_t start, uint64_t count,
                      gs_buf **out, size_t *n, gs_error *err)
{
    gs_buf *all = NULL;
    size_t have = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (count > SIZE_MAX / sizeof(gs_buf) || start > UINT64_MAX - count)
        return gs_error_set(err, GS_ETOOBIG, "cannot fetch %llu entries at once",
                            (unsigned long long)count);
    if (count > 0 && (all = calloc((size_t)count, sizeof *all)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory for %llu entries",
                            (unsigned long long)count);
    while (have < count) {
        gs_request rq = {0};
        gs_response rs;
        uint64_t left = count - have;
        rq.op = GS_OP_GET_ENTRIES;
        rq.origin = origin;
        rq.u.get_entries.start = start + have;
        rq.u.get_entries.count = (uint32_t)(left < GS_MAX_ENTRIES ? left : GS_MAX_ENTRIES);
        if ((rc = cli_call(cn, &rq, &rs, err)) != 0 ||
            (rc = expect_result(&rs, GS_RESULT_ENTRIES, "GetEntries", err)) != 0)
            goto out;
        /* A page must start where we asked and hold at least one entry, or
         * the loop would never end; more than asked is a broken server. */
        if (rs.u.entries.start != start + have || rs.u.entries.n == 0 ||
            rs.u.entries.n > rq.u.get_entries.count) {
            rc = gs_error_set(err, GS_ENOTFOUND,
                              "the endpoint did not serve entry %llu of %s (it answered %zu "
                              "entries from %llu)",
                              (unsigned long long)(start + have), origin, rs.u.entries.n,
                              (unsigned long long)rs.u.entries.start);
            gs_response_clear(&rs);
            goto out;
        }
        for (size_t i = 0; i < rs.u.entries.n; i++) {
            all[have++] = rs.u.entries.entries[i];
            rs.u.entries.entries[i].p = NULL;
            rs.u.entries.entries[i].n = 0;
        }
        gs_response_clear(&rs);
    }
    *out = all;
    *n = have;
    all = NULL;
out:
    cli_entries_free(all, have);
    return rc;
}

static int charter_key(cli_conn *cn, gs_pubkey *out, gs_error *err)
{
    gs_buf *e = NULL;
    size_t n = 0;
    gs_statement st = {0};
    int rc;
    if (cn->has_charter_key) {
        *out = cn->charter_key;
        return 0;
    }
    if ((rc = cli_fetch_entries(cn, cn->origin, 0, 1, &e, &n, err)) != 0) {
        gs_error_wrap(err, "cannot read the Charter of %s to learn its key", cn->origin);
        goto out;
    }
    if ((rc = gs_wire_open_entry(gs_bytes_of(e[0].p, e[0].n), &st, err)) != 0) {
        gs_error_wrap(err, "entry 0 of %s", cn->origin);
        goto out;
    }
    if (st.kind != GS_BODY_CHARTER || strcmp(st.origin, cn->origin) != 0) {
        rc = gs_error_set(err, GS_EVERIFY, "entry 0 of %s is not its Charter", cn->origin);
        goto out;
    }
    cn->charter_key = st.signer;
    snprintf(cn->time_zone, sizeof cn->time_zone, "%s",
             st.u.charter.time_zone != NULL && st.u.charter.time_zone[0] != '\0'
                 ? st.u.charter.time_zone
                 : GS_DEFAULT_TIME_ZONE);
    cn->has_charter_key = true;
    *out = st.signer;
out:
    gs_statement_clear(&st);
    cli_entries_free(e, n);
    return rc;
}

int cli_log_key(cli_conn *cn, gs_pubkey *out, gs_error *err)
{
    if (cn->has_log_key) {
        *out = cn->log_key.key;
        return 0;
    }
    if (cn->has_server_key && strcmp(cn->server_key.name, cn->origin) == 0) {
        *out = cn->server_key.key;
        return 0;
    }
    return charter_key(cn, out, err);
}

int cli_node_key(cli_conn *cn, gs_pubkey *out, gs_error *err)
{
    if (cn->has_server_key) {
        *out = cn->server_key.key;
        return 0;
    }
    return charter_key(cn, out, err);
}

void cli_checkpoint_clear(cli_checkpoint *c)
{
    gs_key_links_free(c->links, c->n_links);
    free(c->text);
    gs_note_free(&c->note);
    gs_checkpoint_clear(&c->cp);
    memset(c, 0, sizeof *c);
}

/* Asks the endpoint for the rotations of cn->origin's key below c's size,
 * checks them from the anchor in c's tree and c's signature by the key they
 * lead to (keychain.h); c keeps the links (a bundle carries them). */
static int follow_key_chain(cli_conn *cn, cli_checkpoint *c, const gs_pubkey *anchor, gs_error *err)
{
    gs_request rq = {.op = GS_OP_GET_KEY_CHAIN, .origin = cn->origin};
    gs_response rs = {0};
    gs_keychain kc = {0};
    int rc;
    rq.u.get_key_chain.size = c->cp.size;
    if ((rc = cli_call(cn, &rq, &rs, err)) != 0)
        return gs_error_wrap(err, "asking for the key chain of %s", cn->origin);
    if (rs.result != GS_RESULT_KEY_CHAIN || rs.u.key_chain.size != c->cp.size) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the endpoint answered GetKeyChain for size %llu with something else",
                          (unsigned long long)c->cp.size);
        goto out;
    }
    if ((rc = gs_keychain_init(&kc, cn->origin, anchor, err)) != 0)
        goto out;
    if ((rc = gs_keychain_add_links(&kc, rs.u.key_chain.links, rs.u.key_chain.n, c->cp.size,
                                    &c->cp.root, err)) != 0 ||
        (rc = gs_keychain_verify_note(&kc, c->note, c->cp.size, err)) != 0) {
        if (rc != GS_ENOMEM)
            rc = err->code = GS_EVERIFY;
        goto out;
    }
    gs_key_links_free(c->links, c->n_links);
    c->links = rs.u.key_chain.links;
    c->n_links = rs.u.key_chain.n;
    rs.u.key_chain.links = NULL;
    rs.u.key_chain.n = 0;
out:
    gs_keychain_clear(&kc);
    gs_response_clear(&rs);
    return rc;
}

static int verify_checkpoint(cli_conn *cn, cli_checkpoint *c, gs_error *err)
{
    gs_pubkey key;
    gs_vkey vk;
    size_t len = 0;
    int rc;
    if ((rc = gs_note_parse(c->text, c->len, &c->note, err)) != 0)
        return gs_error_wrap(err, "checkpoint");
    const char *body = gs_note_text(c->note, &len);
    if ((rc = gs_checkpoint_parse(body, len, &c->cp, err)) != 0)
        return gs_error_wrap(err, "checkpoint");
    if (cn->origin[0] == '\0') {
        if ((rc = gs_origin_valid(c->cp.origin, err)) != 0)
            return gs_error_wrap(err, "the checkpoint names its log");
        snprintf(cn->origin, sizeof cn->origin, "%s", c->cp.origin);
    } else if (strcmp(c->cp.origin, cn->origin) != 0) {
        return gs_error_set(err, GS_EVERIFY, "the checkpoint is for %s, not %s", c->cp.origin,
                            cn->origin);
    }
    if ((rc = cli_log_key(cn, &key, err)) != 0)
        return rc;
    /* c2sp.org/tlog-checkpoint: the log's key name is its origin. */
    if ((rc = gs_vkey_make(&vk, cn->origin, GS_VKEY_ALG_ED25519, &key, err)) != 0)
        return rc;
    gs_error why = {0};
    if (gs_note_verify(c->note, &vk, 1, NULL, NULL, &why) == 0)
        return 0;
    /* Not by the key this command was given: the log may have rotated its
     * key since. The endpoint proves the rotations in the checkpoint's own
     * tree; the key they lead to must have signed it. */
    if ((rc = follow_key_chain(cn, c, &key, err)) != 0) {
        if (rc == GS_EVERIFY || rc == CLI_EREJECTED) {
            gs_error_wrap(err,
                          "the checkpoint of %s does not carry a valid signature by its log key "
                          "(%s)",
                          cn->origin, why.msg);
            rc = err->code = GS_EVERIFY;
        }
        return rc;
    }
    return 0;
}

int cli_fetch_checkpoint(cli_conn *cn, cli_checkpoint *out, gs_error *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = get_checkpoint_text(cn, cn->origin, &out->text, err)) != 0)
        return rc;
    out->len = strlen(out->text);
    if ((rc = verify_checkpoint(cn, out, err)) != 0)
        cli_checkpoint_clear(out);
    return rc;
}

int cli_open_checkpoint(cli_conn *cn, const char *text, size_t len, cli_checkpoint *out,
                        gs_error *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((out->text = malloc(len + 1)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    memcpy(out->text, text, len);
    out->text[len] = '\0';
    out->len = len;
    if ((rc = verify_checkpoint(cn, out, err)) != 0)
        cli_checkpoint_clear(out);
    return rc;
}

/* ---------------------------------------------------------------- values */

int cli_parse_u64(const char *s, const char *what, uint64_t *out, gs_error *err)
{
    uint64_t v = 0;
    if (s == NULL || s[0] == '\0')
        return gs_error_set(err, GS_EINVAL, "%s: expected a number", what);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return gs_error_set(err, GS_EINVAL, "%s: \"%s\" is not a whole number", what, s);
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return gs_error_set(err, GS_EINVAL, "%s: %s is too large", what, s);
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int cli_parse_ref(cli_conn *cn, const char *s, gs_ref *out, gs_error *err)
{
    char buf[GS_MAX_ORIGIN + 128];
    char *hash = NULL, *index;
    int rc;
    memset(out, 0, sizeof *out);
    if (strlen(s) >= sizeof buf)
        return gs_error_set(err, GS_EINVAL, "reference \"%.40s…\" is too long", s);
    memcpy(buf, s, strlen(s) + 1);
    /* An origin holds '/' but never ':', and base64 holds no ':', so the
     * last ':' ends the index (ORIGIN:INDEX) or starts the hash
     * (ORIGIN:INDEX:LEAFHASH). */
    char *colon = strrchr(buf, ':');
    if (colon == NULL)
        goto bad;
    if (!all_digits(colon + 1, strlen(colon + 1))) {
        hash = colon + 1;
        *colon = '\0';
        if ((colon = strrchr(buf, ':')) == NULL)
            goto bad;
    }
    *colon = '\0';
    index = colon + 1;
    if (gs_origin_valid(buf, err) != 0)
        return gs_error_wrap(err, "reference %s", s);
    if (cli_parse_u64(index, "reference index", &out->index, err) != 0)
        goto bad;
    if (hash != NULL) {
        size_t n = 0;
        if (gs_base64_decode(out->leaf_hash.b, sizeof out->leaf_hash.b, &n, hash, strlen(hash),
                             NULL) != 0 ||
            n != 32)
            return gs_error_set(err, GS_EINVAL,
                                "reference %s: the leaf hash must be base64 of 32 bytes", s);
    } else {
        gs_buf *e = NULL;
        size_t ne = 0;
        gs_error ferr = {0};
        if (cn == NULL || cli_fetch_entries(cn, buf, out->index, 1, &e, &ne, &ferr) != 0)
            return gs_error_set(err, cn == NULL ? GS_EINVAL : GS_ENOTFOUND,
                                "reference %s: cannot fetch that entry from the endpoint%s%s%s; "
                                "give its leaf hash as %s:%s:LEAFHASH (base64)",
                                s, ferr.msg[0] ? " (" : "", ferr.msg, ferr.msg[0] ? ")" : "", buf,
                                index);
        gs_merkle_leaf_hash(gs_bytes_of(e[0].p, e[0].n), &out->leaf_hash);
        cli_entries_free(e, ne);
    }
    if ((out->origin = strdup(buf)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
bad:
    rc = gs_error_set(err, GS_EINVAL,
                      "reference \"%s\": expected ORIGIN:INDEX or ORIGIN:INDEX:LEAFHASH, e.g. "
                      "giamsat/commune/xa-an-binh:12",
                      s);
    return rc;
}

void cli_format_ref(const gs_ref *r, char *out, size_t cap)
{
    char h[45];
    cli_b64_32(r->leaf_hash.b, h);
    snprintf(out, cap, "%s:%llu:%s", r->origin ? r->origin : "", (unsigned long long)r->index, h);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * civil-calendar arithmetic of H. Hinnant's "chrono-compatible low-level date
 * algorithms"); used instead of timegm, which C11 lacks. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits_at(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

int cli_parse_date(const char *s, int64_t *out, gs_error *err)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h = 23, mi = 59, se = 59;
    int64_t offset = 0;
    size_t n = strlen(s);
    if (n < 10 || !digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) || s[7] != '-' ||
        !digits_at(s + 8, 2, &d))
        goto bad;
    if (n > 10) {
        /* RFC 3339 §5.6: full-date "T" full-time, where full-time is
         * HH:MM:SS[.frac] then Z or ±HH:MM (§5.6 allows 't', 'z', and a
         * space for 'T'). */
        const char *t = s + 10;
        if ((t[0] != 'T' && t[0] != 't' && t[0] != ' ') || strlen(t) < 10 ||
            !digits_at(t + 1, 2, &h) || t[3] != ':' || !digits_at(t + 4, 2, &mi) || t[6] != ':' ||
            !digits_at(t + 7, 2, &se))
            goto bad;
        t += 9;
        if (*t == '.') {
            t++;
            if (*t < '0' || *t > '9')
                goto bad;
            while (*t >= '0' && *t <= '9')
                t++; /* seconds are whole in a statement: the fraction is dropped */
        }
        if ((t[0] == 'Z' || t[0] == 'z') && t[1] == '\0') {
            offset = 0;
        } else if ((t[0] == '+' || t[0] == '-') && strlen(t) == 6 && t[3] == ':') {
            unsigned oh, om;
            if (!digits_at(t + 1, 2, &oh) || !digits_at(t + 4, 2, &om) || oh > 23 || om > 59)
                goto bad;
            offset = (int64_t)(oh * 3600 + om * 60);
            if (t[0] == '-')
                offset = -offset;
        } else {
            goto bad;
        }
        if (h > 23 || mi > 59 || se > 60)
            goto bad;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return gs_error_set(err, GS_EINVAL, "date %s: no such day", s);
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
    return 0;
bad:
    return gs_error_set(err, GS_EINVAL,
                        "date \"%s\": expected YYYY-MM-DD (the end of that day, UTC) or RFC "
                        "3339, e.g. 2026-12-31T17:00:00+07:00",
                        s);
}

int cli_unit_time_zone(cli_conn *cn, const char **out, gs_error *err)
{
    gs_pubkey k;
    int rc = charter_key(cn, &k, err);
    if (rc != 0)
        return rc;
    *out = cn->time_zone;
    return 0;
}

int cli_parse_deadline(cli_conn *cn, const char *s, int64_t *out, gs_error *err)
{
    int rc = cli_parse_date(s, out, err);
    if (rc != 0 || strlen(s) != 10)
        return rc;
    /* A date alone: the end of that day where the unit is, so "2026-12-31"
     * does not end at 07:00 the next morning in Vietnam. */
    const char *tz;
    unsigned y = 0, mo = 0, d = 0; /* cli_parse_date checked the digits */
    if ((rc = cli_unit_time_zone(cn, &tz, err)) != 0)
        return gs_error_wrap(err, "a date alone is the end of that day in the unit's time zone");
    digits_at(s, 4, &y);
    digits_at(s + 5, 2, &mo);
    digits_at(s + 8, 2, &d);
    if ((rc = gs_time_end_of_day((int)y, (int)mo, (int)d, tz, out, err)) != 0)
        return gs_error_wrap(err,
                             "the end of %s in the unit's time zone %s (or give an RFC 3339 "
                             "time with its offset, e.g. %sT23:59:59+07:00)",
                             s, tz, s);
    return 0;
}

void cli_format_time(int64_t t, char *out, size_t cap)
{
    gs_time_format(t, out, cap);
}

int cli_hash_file(const char *path, gs_hash *out, gs_error *err)
{
    crypto_hash_sha256_state st;
    uint8_t buf[65536];
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gs_error_set(err, errno == ENOENT ? GS_ENOTFOUND : GS_EIO,
                            "cannot read evidence file %s: %s", path, strerror(errno));
    crypto_hash_sha256_init(&st);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_hash_sha256_update(&st, buf, n);
    if (ferror(f))
        rc = gs_error_set(err, GS_EIO, "cannot read evidence file %s", path);
    else
        crypto_hash_sha256_final(&st, out->b);
    fclose(f);
    return rc;
}

int cli_read_file(const char *path, size_t max, char **out, size_t *len, gs_error *err)
{
    int rc = 0;
    char *buf = NULL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return gs_error_set(err, errno == ENOENT ? GS_ENOTFOUND : GS_EIO, "cannot read %s: %s",
                            path, strerror(errno));
    if ((buf = malloc(max + 2)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        rc = gs_error_set(err, GS_EIO, "cannot read %s", path);
        goto out;
    }
    if (n > max) {
        rc = gs_error_set(err, GS_ETOOBIG, "%s is larger than %zu bytes", path, max);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- output */

json_t *cli_json_b64(const uint8_t *p, size_t n)
{
    return gs_report_json_b64(p, n);
}

int cli_print_json(json_t *v, gs_error *err)
{
    int rc = 0;
    if (v == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory building the JSON output");
    if (json_dumpf(v, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF)
        rc = gs_error_set(err, GS_EIO, "cannot write to standard output");
    json_decref(v);
    return rc;
}

/* ------------------------------------------------- daemon folders (init) */

_Static_assert(CLI_PATH_MAX == PATH_MAX, "cli_init_files is sized for PATH_MAX");

int cli_init_folder(const char *dir, const char *kind, char *abs, cli_init_files *f, gs_error *err)
{
    struct stat sb;
    bool made = mkdir(dir, 0700) == 0;
    if (made)
        f->dir = dir;
    else if (errno != EEXIST)
        return gs_error_set(err, GS_EIO, "cannot create folder %s: %s", dir, strerror(errno));
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return gs_error_set(err, GS_EINVAL, "%s exists and is not a folder", dir);
    if (realpath(dir, abs) == NULL)
        return gs_error_set(err, GS_EIO, "cannot resolve %s: %s", dir, strerror(errno));
    /* "/<kind>.conf" is the longest name put in the folder. */
    if (strlen(abs) + 1 + strlen(kind) + sizeof ".conf" > PATH_MAX)
        return gs_error_set(err, GS_EINVAL, "folder name %s is too long", abs);
    snprintf(f->key, sizeof f->key, "%s/%s.key", abs, kind);
    snprintf(f->db, sizeof f->db, "%s/%s.db", abs, kind);
    snprintf(f->conf, sizeof f->conf, "%s/%s.conf", abs, kind);
    return 0;
}

int cli_init_refuse_existing(const cli_init_files *f, const char *kind, gs_error *err)
{
    const char *paths[] = {f->key, f->db, f->conf};
    struct stat sb;
    for (size_t i = 0; i < 3; i++)
        if (lstat(paths[i], &sb) == 0)
            return gs_error_set(err, GS_ECONFLICT,
                                "%s already exists; %s init never overwrites a %s (use another "
                                "--dir, or remove it if it is really unwanted)",
                                paths[i], kind, kind);
    return 0;
}

void cli_init_undo(const cli_init_files *f)
{
    char p[PATH_MAX + 32];
    if (f->made_conf)
        unlink(f->conf);
    if (f->made_db) {
        unlink(f->db);
        /* SQLite's WAL-mode companions (sqlite.org/wal.html). */
        snprintf(p, sizeof p, "%s-wal", f->db);
        unlink(p);
        snprintf(p, sizeof p, "%s-shm", f->db);
        unlink(p);
        snprintf(p, sizeof p, "%s.lock", f->db); /* gs_daemon_lock's */
        unlink(p);
    }
    if (f->made_key)
        unlink(f->key);
    if (f->dir != NULL)
        rmdir(f->dir); /* only when empty: anything else is not ours */
}

int cli_init_charter(const gs_statement *st, const gs_keypair *kp, gs_buf *entry, gs_error *err)
{
    gs_ingest *in = NULL;
    gs_ingest_verdict v = {0};
    gs_ingest_config ic = {0};
    int rc = gs_wire_sign_statement(st, kp, entry, err);
    if (rc != 0)
        return rc;
    /* The signed bytes, judged as the node will judge them at start-up, and
     * as a new statement (the rules that bind only new ones: texts, rule 0);
     * no clock, since ic.max_skew is 0. */
    gs_bytes b = gs_bytes_of(entry->p, entry->n);
    if ((rc = gs_ingest_new(&in, st->origin, &ic, err)) != 0 ||
        (rc = gs_ingest_push(in, GS_INGEST_SUBMISSION, &b, 1, st->issued_at, &v, err)) != 0)
        goto out;
    if (!v.accepted)
        rc = gs_error_set(err, GS_EINVAL, "the Charter would be refused: %s [%s]", v.message,
                          gs_rules_reason_name(v.reason));
out:
    gs_ingest_free(&in);
    if (rc != 0)
        gs_buf_free(entry);
    return rc;
}

int cli_init_write_log(const char *db, const char *origin, const gs_keypair *kp,
                       const gs_buf *entry, gs_error *err)
{
    gs_store *store = NULL;
    gs_log *log = NULL;
    char *note = NULL;
    gs_bytes e = gs_bytes_of(entry->p, entry->n);
    int lock = -1;
    /* The daemon's own lock (gs_daemon_lock, or on PostgreSQL
     * gs_store_claim): no daemon writes this database while init does. */
    int rc = gs_store_is_pg(db) ? 0 : gs_daemon_lock(db, &lock, err);
    if (rc != 0)
        return rc;
    if ((rc = gs_store_open(&store, db, err)) != 0 ||
        (gs_store_is_pg(db) && (rc = gs_store_claim(store, err)) != 0) ||
        (rc = gs_log_open(&log, store, origin, true, err)) != 0 ||
        (rc = gs_log_append(log, &e, 1, NULL, err)) != 0 ||
        (rc = gs_log_sign_checkpoint(log, kp, &note, err)) != 0)
        gs_error_wrap(err, "%s", db);
    free(note);
    gs_log_close(&log);
    gs_store_close(&store);
    gs_daemon_unlock(&lock);
    return rc;
}

int cli_init_conf_open(const char *path, FILE **out, gs_error *err)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (fd < 0)
        return gs_error_set(err, GS_EIO, "cannot create %s: %s", path, strerror(errno));
    *out = fdopen(fd, "w");
    if (*out == NULL) {
        close(fd);
        return gs_error_set(err, GS_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

int cli_init_conf_close(const char *path, FILE *out, gs_error *err)
{
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        fclose(out);
        return gs_error_set(err, GS_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    if (fclose(out) != 0)
        return gs_error_set(err, GS_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}
