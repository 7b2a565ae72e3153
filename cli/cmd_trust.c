/* cmd_trust.c — `giamsat trust`: trust files (C2SP tlog-policy,
 * common/policy.h) made from keys instead of by hand, and shown in words.
 *
 * Every change reads the file, refuses what would make it wrong (a second
 * log for an origin, a key listed twice, a name defined twice, an unknown
 * name in a group or the quorum, a key whose name is not the origin), writes
 * the new text only after the project's own parser read it back whole, and
 * replaces the file atomically (common/outfile.h): a trust file is never
 * left half written or invalid. Lines the user wrote by hand, comments
 * included, are kept as they are; a new definition goes right above the
 * quorum line when that line is the file's last, else at the end, and a new
 * quorum line replaces the old one at the end; either way every name is
 * defined before it is used, as the spec asks.
 *
 * Exit status (DESIGN §7): 0 done; 1 a change refused (it would make the
 * file wrong, or the file exists for `new`); 2 a usage or environment error
 * (a bad flag or value, an unreadable or invalid file). See docs/trust.md. */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "outfile.h"
#include "policy.h"

static const char help_trust[] =
    "usage: giamsat trust new --file F\n"
    "       giamsat trust add-log --file F (--key VKEY | --origin O --key PUBKEY |\n"
    "                             --origin O --key-file KEYFILE) [--url URL]\n"
    "       giamsat trust add-witness --file F --name N (--key VKEY |\n"
    "                             --key-file KEYFILE --key-name NAME) [--url URL]\n"
    "       giamsat trust group --file F --name N --need all|any|K --member M...\n"
    "       giamsat trust quorum --file F (--none | --witness N | --group N)\n"
    "       giamsat trust show --file F [--json]\n"
    "\n"
    "Makes and reads trust files (C2SP tlog-policy, docs/trust.md): the log keys a\n"
    "verifier believes, the witnesses whose cosignatures count, and the quorum of\n"
    "them a checkpoint needs. Every change is checked (no log listed twice, no key\n"
    "reused, no unknown name), read back by the same parser `audit`, `verify` and\n"
    "`monitor` use, and written atomically.\n"
    "Run `giamsat trust SUBCOMMAND --help` for its flags and an example.\n"
    "Exit status: 0 done, 1 the change was refused, 2 usage or environment error.\n";

static const char help_new[] =
    "usage: giamsat trust new --file F\n"
    "\n"
    "Creates the trust file F with no log, no witness and the quorum \"none\" (a\n"
    "checkpoint signed by its listed log key is trusted); an existing file is never\n"
    "overwritten (exit 1). Add logs and witnesses, then set the quorum.\n"
    "\n"
    "Example:\n"
    "  giamsat trust new --file giamsat.policy\n";

static const char help_add_log[] =
    "usage: giamsat trust add-log --file F (--key VKEY | --origin O --key PUBKEY |\n"
    "                             --origin O --key-file KEYFILE) [--url URL]\n"
    "\n"
    "Adds a log: the key its checkpoints are signed with, under its origin.\n"
    "\n"
    "  --key VKEY           the log's verifier key, ORIGIN+HASH+KEY (what `giamsat\n"
    "                       key show FILE --name ORIGIN` and `hub init` print); its\n"
    "                       name is the origin, and --origin, when given, must match\n"
    "  --key PUBKEY         or the base64 public key, with --origin\n"
    "  --key-file KEYFILE   or a key file (node.key, hub.key; only its public half is\n"
    "                       read), with --origin\n"
    "  --origin O           the log's origin (giamsat/commune/..., giamsat/hub/...)\n"
    "  --url URL            where the log is served (optional, informative)\n"
    "\n"
    "Refused (exit 1): a second log for the origin, a key another log already has,\n"
    "a key named other than the origin, a cosigner key (alg 0x04).\n"
    "\n"
    "Example:\n"
    "  giamsat trust add-log --file giamsat.policy \\\n"
    "      --key \"$(giamsat key show /srv/node/node.key --name giamsat/commune/xa-an-binh)\"\n";

static const char help_add_witness[] =
    "usage: giamsat trust add-witness --file F --name N (--key VKEY |\n"
    "                                 --key-file KEYFILE --key-name NAME) [--url URL]\n"
    "\n"
    "Adds a witness: a cosigner (a hub, a monitor) whose cosignatures count toward\n"
    "the quorum, under the name N that groups and the quorum use.\n"
    "\n"
    "  --name N             the witness's name in this file (e.g. ha-noi)\n"
    "  --key VKEY           its cosigner key, NAME+HASH+KEY (alg 0x04, what `giamsat\n"
    "                       key show FILE --name NAME --cosigner` and `hub init`\n"
    "                       print; an alg 0x01 key of the same key is taken as it)\n"
    "  --key-file KEYFILE   or its key file, with --key-name: the name it cosigns\n"
    "  --key-name NAME      under (a hub: its origin giamsat/hub/<name>)\n"
    "  --url URL            where the witness is reached (optional, informative)\n"
    "\n"
    "Refused (exit 1): a name already defined (or \"none\"), a key another witness\n"
    "already has.\n"
    "\n"
    "Example:\n"
    "  giamsat trust add-witness --file giamsat.policy --name ha-noi \\\n"
    "      --key \"$(giamsat key show /srv/hub/hub.key --name giamsat/hub/ha-noi --cosigner)\"\n";

static const char help_group[] =
    "usage: giamsat trust group --file F --name N --need all|any|K --member M...\n"
    "\n"
    "Defines a group of witnesses (or of earlier groups) that witnesses a\n"
    "checkpoint when at least K of its members did: all, any (K = 1) or a number\n"
    "from 1 to the members listed. Use the group as the quorum, or in a later group.\n"
    "\n"
    "  --name N             the group's name (shares one namespace with witnesses)\n"
    "  --need all|any|K     how many members must have witnessed\n"
    "  --member M           a witness or group already in the file (repeatable)\n"
    "\n"
    "Refused (exit 1): a name already defined, an unknown or repeated member, K\n"
    "more than the members.\n"
    "\n"
    "Example:\n"
    "  giamsat trust group --file giamsat.policy --name hubs --need any \\\n"
    "      --member trung-uong --member ha-noi --member da-nang\n";

static const char help_quorum[] =
    "usage: giamsat trust quorum --file F (--none | --witness N | --group N)\n"
    "\n"
    "Sets the file's one quorum (it replaces the one there): what a checkpoint of\n"
    "any listed log needs besides its log's signature.\n"
    "\n"
    "  --none               nothing: the log's signature is enough\n"
    "  --witness N          a cosignature by the witness N\n"
    "  --group N            the group N's threshold of cosignatures\n"
    "\n"
    "A hub's own log, audited from that hub, counts the witness holding the hub's\n"
    "own key as having witnessed it (docs/trust.md): with one hub, `--witness HUB`\n"
    "is a quorum every log of the network can meet.\n"
    "Refused (exit 1): a name the file does not define, or of the other kind.\n"
    "\n"
    "Example:\n"
    "  giamsat trust quorum --file giamsat.policy --witness ha-noi\n";

static const char help_show[] =
    "usage: giamsat trust show --file F [--json]\n"
    "\n"
    "Prints the logs (origin and key fingerprint: the first 8 bytes of the key in\n"
    "hex), the witnesses, the groups and the quorum in words. --json prints\n"
    "{\"file\",\"logs\":[{\"origin\",\"key\",\"fingerprint\",\"public_key_b64\",\"url\",\n"
    "\"witness\"}],\"witnesses\":[{\"name\",\"key\",\"key_name\",\"fingerprint\",\n"
    "\"public_key_b64\",\"url\",\"log\"}],\"groups\":[{\"name\",\"need\",\"of\",\"members\"}],\n"
    "\"quorum\":{\"name\",\"kind\",\"text\"}} (docs/trust.md).\n"
    "\n"
    "Example:\n"
    "  giamsat trust show --file giamsat.policy\n";

enum {
    OPT_FILE = CLI_OPT_FIRST_OWN,
    OPT_KEY,
    OPT_KEY_FILE,
    OPT_KEY_NAME,
    OPT_ORIGIN,
    OPT_URL,
    OPT_NAME,
    OPT_NEED,
    OPT_MEMBER,
    OPT_NONE,
    OPT_WITNESS,
    OPT_GROUP,
    OPT_JSON,
    OPT_HELP,
};

#define MAX_MEMBERS 256

/* ------------------------------------------------------------ the file */

/* The file's text and what the parser made of it. */
typedef struct {
    const char *path;
    char *text;
    size_t len;
    gs_policy *pol;
} trust_file;

static void trust_file_clear(trust_file *f)
{
    free(f->text);
    gs_policy_free(&f->pol);
    f->text = NULL;
    f->len = 0;
}

/* Reads and parses path. An unreadable or invalid file is the
 * environment's error (exit 2); nothing is changed. */
static int trust_read(const char *path, trust_file *f)
{
    gs_error err = {0};
    memset(f, 0, sizeof *f);
    f->path = path;
    if (cli_read_file(path, GS_POLICY_MAX_FILE, &f->text, &f->len, &err) != 0 ||
        gs_policy_parse(f->text, f->len, path, &f->pol, &err) != 0) {
        trust_file_clear(f);
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* The first item of a line [p, end) and its length (0: blank or comment). */
static size_t first_item(const char *p, const char *end, const char **item)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *item = p;
    if (p == end || *p == '#')
        return 0;
    const char *q = p;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    return (size_t)(q - p);
}

/* Writes f's text with add inserted (a definition: above the quorum line when
 * that line is the last that says anything, else at the end) or, with
 * quorum set, with its quorum line replaced by "quorum <quorum>" at the end.
 * The new text must parse whole before it replaces the file. */
static int trust_write(trust_file *f, const char *add, const char *quorum)
{
    gs_error err = {0};
    gs_policy *check = NULL;
    size_t cap = f->len + (add ? strlen(add) : 0) + (quorum ? strlen(quorum) : 0) + 16;
    char *out = malloc(cap), *o = out;
    const char *p = f->text, *end = f->text + f->len;
    const char *q_at = NULL, *q_end = NULL; /* the quorum line, '\n' included */
    bool q_last = false;
    int rc = CLI_EXIT_USAGE;
    if (out == NULL) {
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *item;
        const char *le = nl != NULL ? nl : end;
        size_t n = first_item(p, le, &item);
        if (n == 6 && memcmp(item, "quorum", 6) == 0) {
            q_at = p;
            q_end = nl != NULL ? nl + 1 : end;
            q_last = true;
        } else if (n > 0) {
            q_last = false;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (quorum != NULL) {
        /* Everything but the old quorum line, then the new one. */
        memcpy(o, f->text, (size_t)(q_at - f->text));
        o += q_at - f->text;
        memcpy(o, q_end, (size_t)(end - q_end));
        o += end - q_end;
        if (o > out && o[-1] != '\n')
            *o++ = '\n';
        o += sprintf(o, "quorum %s\n", quorum);
    } else {
        const char *at = q_last ? q_at : end;
        memcpy(o, f->text, (size_t)(at - f->text));
        o += at - f->text;
        if (o > out && o[-1] != '\n')
            *o++ = '\n';
        o += sprintf(o, "%s\n", add);
        memcpy(o, at, (size_t)(end - at));
        o += end - at;
    }
    if (gs_policy_parse(out, (size_t)(o - out), f->path, &check, &err) != 0) {
        /* The checks before should have said why; never write it. */
        cli_errorf("refused: the change would make the trust file invalid: %s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (gs_outfile_write(f->path, gs_bytes_of(out, (size_t)(o - out)), true, &err) != 0) {
        cli_errorf("%s", err.msg);
        goto out;
    }
    rc = CLI_EXIT_OK;
out:
    gs_policy_free(&check);
    free(out);
    return rc;
}

/* A witness or group name, or a URL, as one item of a line: printable, no
 * space or tab, not starting a comment. */
static int item_ok(const char *sub, const char *flag, const char *s, size_t max)
{
    if (s[0] == '\0' || s[0] == '#')
        return cli_usage_error(sub, "%s must not be empty or start with '#'", flag);
    if (strlen(s) > max)
        return cli_usage_error(sub, "%s is longer than %zu bytes", flag, max);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= 0x20 || *c == 0x7f)
            return cli_usage_error(sub, "%s \"%s\" holds a space or a control character", flag, s);
    return 0;
}

/* A bare public key as `giamsat key show FILE` prints it: base64 of 32 bytes
 * (44 characters, one '=' of padding). A verifier key never ends in '='. */
static bool bare_key(const char *s)
{
    return strlen(s) == 44 && s[43] == '=';
}

static void fingerprint(const gs_pubkey *k, char out[GS_KEY_FINGERPRINT_LEN])
{
    gs_key_fingerprint(k, out);
}

/* ------------------------------------------------------------ new */

static int trust_new(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char text[] = "# giamsat trust file: C2SP tlog-policy (c2sp.org/tlog-policy),\n"
                               "# made with `giamsat trust`; see docs/trust.md.\n"
                               "quorum none\n";
    const char *file = NULL;
    gs_error err = {0};
    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_HELP: fputs(help_new, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("trust new", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("trust new", "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL)
        return cli_usage_error("trust new", "--file F is required");
    int rc = gs_outfile_write(file, gs_bytes_of(text, sizeof text - 1), false, &err);
    if (rc == GS_ECONFLICT) {
        cli_errorf("refused: %s already exists; `giamsat trust` edits it in place "
                   "(add-log, add-witness, group, quorum)",
                   file);
        return CLI_EXIT_FAIL;
    }
    if (rc != 0) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    printf("created %s (no log, no witness, quorum none)\n", file);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ add-log */

static int trust_add_log(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"key", required_argument, NULL, OPT_KEY},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {"origin", required_argument, NULL, OPT_ORIGIN},
        {"url", required_argument, NULL, OPT_URL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *sub = "trust add-log";
    const char *file = NULL, *key = NULL, *key_file = NULL, *origin = NULL, *url = NULL;
    gs_error err = {0};
    gs_vkey vk;
    gs_pubkey pub;
    trust_file f = {0};
    char line[GS_VKEY_STR_MAX + 1100], vks[GS_VKEY_STR_MAX], fp[GS_KEY_FINGERPRINT_LEN];
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_KEY: key = optarg; break;
        case OPT_KEY_FILE: key_file = optarg; break;
        case OPT_ORIGIN: origin = optarg; break;
        case OPT_URL: url = optarg; break;
        case OPT_HELP: fputs(help_add_log, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(sub, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(sub, "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL)
        return cli_usage_error(sub, "--file F is required");
    if ((key == NULL) == (key_file == NULL))
        return cli_usage_error(sub, "give the log's key: --key VKEY or --key-file KEYFILE");
    if (url != NULL && (rc = item_ok(sub, "--url", url, 1024)) != 0)
        return rc;
    if (origin != NULL && gs_origin_valid(origin, &err) != 0)
        return cli_usage_error(sub, "--origin: %s", err.msg);
    if (key != NULL && !bare_key(key)) {
        /* A verifier key: its name is the origin it signs for. */
        if (gs_vkey_parse(key, &vk, &err) != 0)
            return cli_usage_error(sub, "--key is not a verifier key: %s", err.msg);
        if (vk.alg != GS_VKEY_ALG_ED25519) {
            cli_errorf("refused: --key %s is a cosigner key (algorithm 0x%02x); a log line takes "
                       "the key that signs the log's checkpoints (algorithm 0x01: `giamsat key "
                       "show FILE --name ORIGIN`, without --cosigner)",
                       vk.name, vk.alg);
            return CLI_EXIT_FAIL;
        }
        if (origin != NULL && strcmp(origin, vk.name) != 0) {
            cli_errorf("refused: --key is named %s but --origin is %s; a log's key is named "
                       "after its origin (c2sp.org/tlog-policy), so this key cannot sign %s's "
                       "checkpoints",
                       vk.name, origin, origin);
            return CLI_EXIT_FAIL;
        }
        if (origin == NULL && gs_origin_valid(vk.name, &err) != 0) {
            cli_errorf("refused: --key is named %s, which is not a giamsat origin: %s", vk.name,
                       err.msg);
            return CLI_EXIT_FAIL;
        }
    } else {
        if (origin == NULL)
            return cli_usage_error(sub, "--origin O is required with %s",
                                   key != NULL ? "a bare public key" : "--key-file");
        if (key != NULL && cli_parse_pubkey(key, &pub, &err) != 0)
            return cli_usage_error(sub, "--key: %s", err.msg);
        if (key_file != NULL && gs_keyfile_read_public(key_file, &pub, &err) != 0) {
            cli_errorf("--key-file: %s", err.msg);
            return CLI_EXIT_USAGE;
        }
        if (gs_vkey_make(&vk, origin, GS_VKEY_ALG_ED25519, &pub, &err) != 0)
            return cli_usage_error(sub, "--origin: %s", err.msg);
    }
    if ((rc = trust_read(file, &f)) != 0)
        return rc;
    rc = CLI_EXIT_FAIL;
    fingerprint(&vk.key, fp);
    for (size_t i = 0; i < gs_policy_log_count(f.pol); i++) {
        const gs_vkey *l = gs_policy_log_at(f.pol, i, NULL);
        char lfp[GS_KEY_FINGERPRINT_LEN];
        fingerprint(&l->key, lfp);
        if (strcmp(l->name, vk.name) == 0) {
            cli_errorf("refused: %s already lists the log %s (key %s); a log has one key: remove "
                       "its line by hand to replace it",
                       file, vk.name, lfp);
            goto out;
        }
        if (memcmp(l->key.b, vk.key.b, sizeof vk.key.b) == 0) {
            cli_errorf("refused: key %s is already the key of the log %s in %s; two logs never "
                       "share a key",
                       fp, l->name, file);
            goto out;
        }
    }
    if (gs_policy_log_count(f.pol) >= GS_POLICY_MAX_LOGS) {
        cli_errorf("refused: %s already lists %d logs, the most a trust file may", file,
                   GS_POLICY_MAX_LOGS);
        goto out;
    }
    if (gs_vkey_format(&vk, vks, sizeof vks, &err) != 0) {
        cli_errorf("%s", err.msg);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    snprintf(line, sizeof line, "log %s%s%s", vks, url ? " " : "", url ? url : "");
    if ((rc = trust_write(&f, line, NULL)) == 0)
        printf("added log %s (key %s) to %s\n", vk.name, fp, file);
out:
    trust_file_clear(&f);
    return rc;
}

/* ------------------------------------------------------------ add-witness */

static int trust_add_witness(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"name", required_argument, NULL, OPT_NAME},
        {"key", required_argument, NULL, OPT_KEY},
        {"key-file", required_argument, NULL, OPT_KEY_FILE},
        {"key-name", required_argument, NULL, OPT_KEY_NAME},
        {"url", required_argument, NULL, OPT_URL},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *sub = "trust add-witness";
    const char *file = NULL, *name = NULL, *key = NULL, *key_file = NULL, *key_name = NULL,
               *url = NULL;
    gs_error err = {0};
    gs_vkey vk, cos;
    gs_pubkey pub;
    trust_file f = {0};
    char line[2 * GS_VKEY_STR_MAX + 1100], vks[GS_VKEY_STR_MAX], fp[GS_KEY_FINGERPRINT_LEN];
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_KEY: key = optarg; break;
        case OPT_KEY_FILE: key_file = optarg; break;
        case OPT_KEY_NAME: key_name = optarg; break;
        case OPT_URL: url = optarg; break;
        case OPT_HELP: fputs(help_add_witness, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(sub, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(sub, "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL || name == NULL)
        return cli_usage_error(sub, "--file F and --name N are required");
    if ((rc = item_ok(sub, "--name", name, GS_VKEY_NAME_MAX)) != 0)
        return rc;
    if (url != NULL && (rc = item_ok(sub, "--url", url, 1024)) != 0)
        return rc;
    if ((key == NULL) == (key_file == NULL))
        return cli_usage_error(sub,
                               "give the witness's key: --key VKEY, or --key-file KEYFILE with "
                               "--key-name NAME");
    if (key != NULL) {
        if (key_name != NULL)
            return cli_usage_error(sub, "--key-name goes with --key-file; a verifier key "
                                        "carries its name");
        if (bare_key(key))
            return cli_usage_error(sub, "--key must be a verifier key NAME+HASH+KEY: a "
                                        "cosignature is checked under the name it was made "
                                        "with (`giamsat key show FILE --name NAME --cosigner`)");
        if (gs_vkey_parse(key, &vk, &err) != 0)
            return cli_usage_error(sub, "--key is not a verifier key: %s", err.msg);
    } else {
        if (key_name == NULL)
            return cli_usage_error(sub, "--key-file needs --key-name NAME (a hub: its origin "
                                        "giamsat/hub/<name>)");
        if (gs_keyfile_read_public(key_file, &pub, &err) != 0) {
            cli_errorf("--key-file: %s", err.msg);
            return CLI_EXIT_USAGE;
        }
        if (gs_vkey_make(&vk, key_name, GS_VKEY_ALG_COSIGNATURE_V1, &pub, &err) != 0)
            return cli_usage_error(sub, "--key-name: %s", err.msg);
    }
    /* The file says what checks cosignatures: always the 0x04 form. */
    if (gs_vkey_make(&cos, vk.name, GS_VKEY_ALG_COSIGNATURE_V1, &vk.key, &err) != 0 ||
        gs_vkey_format(&cos, vks, sizeof vks, &err) != 0)
        return cli_usage_error(sub, "--key: %s", err.msg);
    if ((rc = trust_read(file, &f)) != 0)
        return rc;
    rc = CLI_EXIT_FAIL;
    fingerprint(&cos.key, fp);
    if (strcmp(name, "none") == 0) {
        cli_errorf("refused: the name \"none\" is reserved for `quorum none`");
        goto out;
    }
    if (gs_policy_name_defined(f.pol, name)) {
        cli_errorf("refused: %s already defines a witness or group named \"%s\"", file, name);
        goto out;
    }
    int w = gs_policy_find_witness(f.pol, &cos.key);
    if (w >= 0) {
        const char *other = NULL;
        gs_policy_witness_at(f.pol, (size_t)w, &other, NULL);
        cli_errorf("refused: key %s is already the key of the witness %s in %s", fp, other, file);
        goto out;
    }
    if (gs_policy_witness_count(f.pol) >= GS_POLICY_MAX_WITNESSES) {
        cli_errorf("refused: %s already lists %d witnesses, the most a trust file may", file,
                   GS_POLICY_MAX_WITNESSES);
        goto out;
    }
    snprintf(line, sizeof line, "witness %s %s%s%s", name, vks, url ? " " : "", url ? url : "");
    if ((rc = trust_write(&f, line, NULL)) == 0)
        printf("added witness %s (%s, key %s) to %s\n", name, cos.name, fp, file);
out:
    trust_file_clear(&f);
    return rc;
}

/* ------------------------------------------------------------ group */

static int trust_group(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"name", required_argument, NULL, OPT_NAME},
        {"need", required_argument, NULL, OPT_NEED},
        {"member", required_argument, NULL, OPT_MEMBER},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *sub = "trust group";
    const char *file = NULL, *name = NULL, *need = NULL, *members[MAX_MEMBERS];
    size_t n = 0, k = 0;
    trust_file f = {0};
    char *line = NULL;
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_NEED: need = optarg; break;
        case OPT_MEMBER:
            if (n == MAX_MEMBERS)
                return cli_usage_error(sub, "more than %d --member", MAX_MEMBERS);
            members[n++] = optarg;
            break;
        case OPT_HELP: fputs(help_group, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(sub, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(sub, "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL || name == NULL || need == NULL || n == 0)
        return cli_usage_error(sub, "--file F, --name N, --need all|any|K and at least one "
                                    "--member M are required");
    if ((rc = item_ok(sub, "--name", name, GS_VKEY_NAME_MAX)) != 0)
        return rc;
    if (strcmp(need, "all") == 0) {
        k = n;
    } else if (strcmp(need, "any") == 0) {
        k = 1;
    } else {
        uint64_t v;
        gs_error err = {0};
        if (need[0] == '0' || cli_parse_u64(need, "--need", &v, &err) != 0 || v == 0)
            return cli_usage_error(sub, "--need is all, any or a number from 1 to the members");
        if (v > n) {
            cli_errorf("refused: --need %s is more than the %zu members listed", need, n);
            return CLI_EXIT_FAIL;
        }
        k = (size_t)v;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = item_ok(sub, "--member", members[i], GS_VKEY_NAME_MAX)) != 0)
            return rc;
    if ((rc = trust_read(file, &f)) != 0)
        return rc;
    rc = CLI_EXIT_FAIL;
    if (strcmp(name, "none") == 0) {
        cli_errorf("refused: the name \"none\" is reserved for `quorum none`");
        goto out;
    }
    if (gs_policy_name_defined(f.pol, name)) {
        cli_errorf("refused: %s already defines a witness or group named \"%s\"", file, name);
        goto out;
    }
    size_t len = strlen("group  ") + strlen(name) + strlen(need) + 2;
    for (size_t i = 0; i < n; i++) {
        if (!gs_policy_name_defined(f.pol, members[i])) {
            cli_errorf("refused: %s defines no witness or group named \"%s\"; add it first "
                       "(`giamsat trust add-witness`)",
                       file, members[i]);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(members[i], members[j]) == 0) {
                cli_errorf("refused: --member %s is listed twice; each member counts once",
                           members[i]);
                goto out;
            }
        len += strlen(members[i]) + 1;
    }
    if (gs_policy_group_count(f.pol) >= GS_POLICY_MAX_GROUPS) {
        cli_errorf("refused: %s already defines %d groups, the most a trust file may", file,
                   GS_POLICY_MAX_GROUPS);
        goto out;
    }
    if ((line = malloc(len + 1)) == NULL) {
        cli_errorf("out of memory");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    char *o = line;
    o += sprintf(o, "group %s %s", name, need);
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, " %s", members[i]);
    if ((rc = trust_write(&f, line, NULL)) == 0)
        printf("added group %s (%zu of %zu) to %s\n", name, k, n, file);
out:
    free(line);
    trust_file_clear(&f);
    return rc;
}

/* ------------------------------------------------------------ quorum */

static bool is_witness(const gs_policy *p, const char *name)
{
    for (size_t i = 0; i < gs_policy_witness_count(p); i++) {
        const char *w = NULL;
        gs_policy_witness_at(p, i, &w, NULL);
        if (strcmp(w, name) == 0)
            return true;
    }
    return false;
}

static int trust_quorum(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"none", no_argument, NULL, OPT_NONE},
        {"witness", required_argument, NULL, OPT_WITNESS},
        {"group", required_argument, NULL, OPT_GROUP},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *sub = "trust quorum";
    const char *file = NULL, *name = NULL;
    int kind = 0, given = 0, c, rc;
    trust_file f = {0};
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_NONE:
        case OPT_WITNESS:
        case OPT_GROUP:
            kind = c;
            name = c == OPT_NONE ? "none" : optarg;
            given++;
            break;
        case OPT_HELP: fputs(help_quorum, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error(sub, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error(sub, "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL || given != 1)
        return cli_usage_error(sub, "--file F and exactly one of --none, --witness N, --group N "
                                    "are required");
    if ((rc = trust_read(file, &f)) != 0)
        return rc;
    rc = CLI_EXIT_FAIL;
    if (kind != OPT_NONE) {
        bool w = is_witness(f.pol, name);
        if (!gs_policy_name_defined(f.pol, name)) {
            cli_errorf("refused: %s defines no %s named \"%s\"; add it first (`giamsat trust "
                       "%s`)",
                       file, kind == OPT_WITNESS ? "witness" : "group", name,
                       kind == OPT_WITNESS ? "add-witness" : "group");
            goto out;
        }
        if (w != (kind == OPT_WITNESS)) {
            cli_errorf("refused: \"%s\" is a %s in %s, not a %s; use --%s %s", name,
                       w ? "witness" : "group", file, w ? "group" : "witness",
                       w ? "witness" : "group", name);
            goto out;
        }
    }
    if ((rc = trust_write(&f, NULL, name)) == 0)
        printf("the quorum of %s is now %s\n", file, name);
out:
    trust_file_clear(&f);
    return rc;
}

/* ------------------------------------------------------------ show */

/* A group's members, "a, b, group c". */
static void members_text(const gs_policy *p, size_t g, char *out, size_t cap)
{
    size_t n = 0, off = 0;
    out[0] = '\0';
    gs_policy_group_at(p, g, NULL, &n);
    for (size_t j = 0; j < n && off < cap; j++) {
        bool grp = false;
        const char *m = gs_policy_group_member(p, g, j, &grp);
        int w = snprintf(out + off, cap - off, "%s%s%s", j ? ", " : "", grp ? "group " : "", m);
        if (w < 0 || (size_t)w >= cap - off)
            break;
        off += (size_t)w;
    }
}

/* What a group needs, in words. */
static void group_words(const gs_policy *p, size_t g, char *out, size_t cap)
{
    size_t k = 0, n = 0;
    char mem[2048];
    gs_policy_group_at(p, g, &k, &n);
    members_text(p, g, mem, sizeof mem);
    if (k == n && n > 1)
        snprintf(out, cap, "all %zu of %s", n, mem);
    else if (k == 1 && n > 1)
        snprintf(out, cap, "any 1 of %s", mem);
    else
        snprintf(out, cap, "%zu of %zu: %s", k, n, mem);
}

static void quorum_words(const gs_policy *p, const char **kind, char *out, size_t cap)
{
    const char *q = gs_policy_quorum_name(p);
    if (gs_policy_quorum_none(p)) {
        *kind = "none";
        snprintf(out, cap,
                 "no cosignature needed: a checkpoint signed by its listed log key is "
                 "trusted");
        return;
    }
    if (is_witness(p, q)) {
        *kind = "witness";
        snprintf(out, cap, "a checkpoint needs a valid cosignature by witness %s", q);
        return;
    }
    *kind = "group";
    for (size_t g = 0; g < gs_policy_group_count(p); g++)
        if (strcmp(gs_policy_group_at(p, g, NULL, NULL), q) == 0) {
            char w[2300];
            group_words(p, g, w, sizeof w);
            snprintf(out, cap, "a checkpoint needs group %s to have witnessed it: %s", q, w);
            return;
        }
    snprintf(out, cap, "%s", q);
}

/* The witness holding the same public key as log i, or NULL. */
static const char *log_witness(const gs_policy *p, const gs_vkey *l)
{
    const char *name = NULL;
    int w = gs_policy_find_witness(p, &l->key);
    if (w >= 0)
        gs_policy_witness_at(p, (size_t)w, &name, NULL);
    return name;
}

static json_t *str_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

static int show_json(const trust_file *f)
{
    const gs_policy *p = f->pol;
    json_t *root = json_object(), *logs = json_array(), *wits = json_array(),
           *groups = json_array(), *q = json_object();
    char vks[GS_VKEY_STR_MAX], fp[GS_KEY_FINGERPRINT_LEN], b64[45], words[2600];
    gs_error err = {0};
    const char *kind = NULL;
    if (root == NULL || logs == NULL || wits == NULL || groups == NULL || q == NULL) {
        json_decref(root);
        json_decref(logs);
        json_decref(wits);
        json_decref(groups);
        json_decref(q);
        cli_errorf("out of memory");
        return CLI_EXIT_USAGE;
    }
    json_object_set_new(root, "file", json_string(f->path));
    for (size_t i = 0; i < gs_policy_log_count(p); i++) {
        const char *url = NULL;
        const gs_vkey *l = gs_policy_log_at(p, i, &url);
        json_t *o = json_object();
        vks[0] = '\0';
        (void)gs_vkey_format(l, vks, sizeof vks, &err);
        fingerprint(&l->key, fp);
        cli_b64_32(l->key.b, b64);
        json_object_set_new(o, "origin", json_string(l->name));
        json_object_set_new(o, "key", json_string(vks));
        json_object_set_new(o, "fingerprint", json_string(fp));
        json_object_set_new(o, "public_key_b64", json_string(b64));
        json_object_set_new(o, "url", str_or_null(url));
        json_object_set_new(o, "witness", str_or_null(log_witness(p, l)));
        json_array_append_new(logs, o);
    }
    for (size_t i = 0; i < gs_policy_witness_count(p); i++) {
        const char *name = NULL, *url = NULL, *log = NULL;
        const gs_vkey *w = gs_policy_witness_at(p, i, &name, &url);
        json_t *o = json_object();
        vks[0] = '\0';
        (void)gs_vkey_format(w, vks, sizeof vks, &err);
        fingerprint(&w->key, fp);
        cli_b64_32(w->key.b, b64);
        for (size_t j = 0; j < gs_policy_log_count(p); j++) {
            const gs_vkey *l = gs_policy_log_at(p, j, NULL);
            if (memcmp(l->key.b, w->key.b, sizeof w->key.b) == 0)
                log = l->name;
        }
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "key", json_string(vks));
        json_object_set_new(o, "key_name", json_string(w->name));
        json_object_set_new(o, "fingerprint", json_string(fp));
        json_object_set_new(o, "public_key_b64", json_string(b64));
        json_object_set_new(o, "url", str_or_null(url));
        json_object_set_new(o, "log", str_or_null(log));
        json_array_append_new(wits, o);
    }
    for (size_t g = 0; g < gs_policy_group_count(p); g++) {
        size_t k = 0, n = 0;
        const char *name = gs_policy_group_at(p, g, &k, &n);
        json_t *o = json_object(), *m = json_array();
        for (size_t j = 0; j < n; j++)
            json_array_append_new(m, json_string(gs_policy_group_member(p, g, j, NULL)));
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "need", json_integer((json_int_t)k));
        json_object_set_new(o, "of", json_integer((json_int_t)n));
        json_object_set_new(o, "members", m);
        json_array_append_new(groups, o);
    }
    quorum_words(p, &kind, words, sizeof words);
    json_object_set_new(q, "name", json_string(gs_policy_quorum_name(p)));
    json_object_set_new(q, "kind", json_string(kind));
    json_object_set_new(q, "text", json_string(words));
    json_object_set_new(root, "logs", logs);
    json_object_set_new(root, "witnesses", wits);
    json_object_set_new(root, "groups", groups);
    json_object_set_new(root, "quorum", q);
    if (cli_print_json(root, &err) != 0) {
        cli_errorf("%s", err.msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static void show_text(const trust_file *f)
{
    const gs_policy *p = f->pol;
    char fp[GS_KEY_FINGERPRINT_LEN], words[2600];
    const char *kind = NULL;
    size_t nl = gs_policy_log_count(p), nw = gs_policy_witness_count(p),
           ng = gs_policy_group_count(p);
    printf("trust file %s (c2sp.org/tlog-policy)\n", f->path);
    printf("logs: %zu\n", nl);
    for (size_t i = 0; i < nl; i++) {
        const char *url = NULL;
        const gs_vkey *l = gs_policy_log_at(p, i, &url);
        const char *w = log_witness(p, l);
        fingerprint(&l->key, fp);
        printf("  %s  key %s%s%s", l->name, fp, url[0] ? "  " : "", url);
        if (w != NULL)
            printf("  (also witness %s: counts for its own log when it is the hub audited)", w);
        printf("\n");
    }
    printf("witnesses: %zu\n", nw);
    for (size_t i = 0; i < nw; i++) {
        const char *name = NULL, *url = NULL;
        const gs_vkey *w = gs_policy_witness_at(p, i, &name, &url);
        fingerprint(&w->key, fp);
        printf("  %s  key %s  cosigns as %s%s%s\n", name, fp, w->name, url[0] ? "  " : "", url);
    }
    printf("groups: %zu\n", ng);
    for (size_t g = 0; g < ng; g++) {
        group_words(p, g, words, sizeof words);
        printf("  %s  %s\n", gs_policy_group_at(p, g, NULL, NULL), words);
    }
    quorum_words(p, &kind, words, sizeof words);
    printf("quorum: %s — %s\n", gs_policy_quorum_name(p), words);
}

static int trust_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    bool json = false;
    trust_file f = {0};
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: file = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_HELP: fputs(help_show, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("trust show", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("trust show", "unexpected argument \"%s\"", argv[optind]);
    if (file == NULL)
        return cli_usage_error("trust show", "--file F is required");
    if ((rc = trust_read(file, &f)) != 0)
        return rc;
    if (json) {
        rc = show_json(&f);
    } else {
        show_text(&f);
        rc = CLI_EXIT_OK;
    }
    trust_file_clear(&f);
    return rc;
}

int cli_cmd_trust(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {
        {"new", trust_new},     {"add-log", trust_add_log}, {"add-witness", trust_add_witness},
        {"group", trust_group}, {"quorum", trust_quorum},   {"show", trust_show},
    };
    if (argc < 2) {
        fputs(help_trust, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_trust, stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].fn(argc - 1, argv + 1);
    cli_errorf("unknown command \"trust %s\"; expected new, add-log, add-witness, group, quorum "
               "or show",
               argv[1]);
    return CLI_EXIT_USAGE;
}
