/* cmd_key.c — `giamsat key new` and `giamsat key show`: personal Ed25519
 * keys in key files (mode 0600, optionally passphrase-protected, DESIGN §4),
 * and the public forms people publish: base64 of the key, or a signed-note
 * verifier key (alg 0x01 for logs, 0x04 for cosigners, c2sp.org/signed-note
 * and c2sp.org/tlog-cosignature). */
#include <sodium.h>
#include <string.h>

#include "cli.h"

static const char help_key[] = "usage: giamsat key new --out FILE [--passphrase-file F]\n"
                               "       giamsat key show FILE [--name NAME] [--cosigner]\n"
                               "Run `giamsat key new --help` or `giamsat key show --help`.\n";

static const char help_new[] =
    "usage: giamsat key new --out FILE [--passphrase-file F]\n"
    "\n"
    "Makes a new Ed25519 key and writes it to FILE (created with mode 0600; an\n"
    "existing file is never overwritten). Prints the public key in base64: give it\n"
    "to whoever appoints you.\n"
    "\n"
    "  --out FILE            the key file to create\n"
    "  --passphrase-file F   protect the key with the passphrase on F's first line\n"
    "                        (Argon2id + XSalsa20-Poly1305); every later use of the\n"
    "                        key then needs --passphrase-file too\n"
    "\n"
    "Example:\n"
    "  giamsat key new --out ~/.giamsat/me.key --passphrase-file ~/.giamsat/pass\n";

static const char help_show[] =
    "usage: giamsat key show FILE [--name NAME] [--cosigner] [--passphrase-file F]\n"
    "\n"
    "Prints the public key of a key file: base64 of the 32-byte Ed25519 key (what\n"
    "--person takes), or with --name a signed-note verifier key\n"
    "NAME+HASH+BASE64 (what --server-key, --parent-key and trust files take).\n"
    "The public key is read without the passphrase.\n"
    "\n"
    "  --name NAME           print the verifier key named NAME (for a log: its origin,\n"
    "                        e.g. giamsat/commune/xa-an-binh); algorithm 0x01, Ed25519\n"
    "  --cosigner            with --name: the cosigner key (algorithm 0x04,\n"
    "                        c2sp.org/tlog-cosignature) for witness lines of trust files\n"
    "  --passphrase-file F   also decrypt the key, proving the passphrase is right\n"
    "\n"
    "Examples:\n"
    "  giamsat key show ~/.giamsat/me.key\n"
    "  giamsat key show /srv/node/node.key --name giamsat/commune/xa-an-binh\n"
    "  giamsat key show /srv/hub/hub.key --name giamsat/hub/ha-noi --cosigner\n";

enum { OPT_OUT = CLI_OPT_FIRST_OWN, OPT_NAME, OPT_COSIGNER };

static int key_new(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *passfile = NULL;
    char pass[CLI_PASSPHRASE_MAX];
    gs_keypair kp;
    gs_error err = {0};
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT: out = optarg; break;
        case CLI_OPT_PASSPHRASE_FILE: passfile = optarg; break;
        case CLI_OPT_HELP: fputs(help_new, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("key new", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("key new", "unexpected argument \"%s\"", argv[optind]);
    if (out == NULL)
        return cli_usage_error("key new", "--out FILE is required");
    if (passfile != NULL && gs_passphrase_read_file(passfile, pass, sizeof pass, &err) != 0) {
        sodium_memzero(pass, sizeof pass);
        return cli_fail(&err);
    }
    gs_keypair_generate(&kp);
    rc = gs_keyfile_write(out, &kp, passfile != NULL ? pass : NULL, &err);
    sodium_memzero(pass, sizeof pass);
    if (rc == 0) {
        char b64[45];
        cli_b64_32(kp.pub.b, b64);
        printf("%s\n", b64);
    }
    gs_keypair_wipe(&kp);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}

static int key_show(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, OPT_NAME},
        {"cosigner", no_argument, NULL, OPT_COSIGNER},
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *passfile = NULL;
    bool cosigner = false;
    gs_pubkey pub;
    gs_error err = {0};
    int c, rc;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case OPT_NAME: name = optarg; break;
        case OPT_COSIGNER: cosigner = true; break;
        case CLI_OPT_PASSPHRASE_FILE: passfile = optarg; break;
        case CLI_OPT_HELP: fputs(help_show, stdout); return CLI_EXIT_OK;
        default: return cli_getopt_error("key show", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("key show", "give the key file: giamsat key show FILE");
    if (optind + 1 < argc)
        return cli_usage_error("key show", "unexpected argument \"%s\"", argv[optind + 1]);
    if (cosigner && name == NULL)
        return cli_usage_error("key show", "--cosigner needs --name NAME");
    const char *path = argv[optind];
    if (passfile != NULL) {
        gs_keypair kp;
        rc = cli_load_key(path, passfile, &kp, &err);
        pub = kp.pub;
        gs_keypair_wipe(&kp);
    } else {
        rc = gs_keyfile_read_public(path, &pub, &err);
    }
    if (rc != 0)
        return cli_fail(&err);
    if (name == NULL) {
        char b64[45];
        cli_b64_32(pub.b, b64);
        printf("%s\n", b64);
        return CLI_EXIT_OK;
    }
    gs_vkey vk;
    char s[GS_VKEY_STR_MAX];
    if (gs_vkey_make(&vk, name, cosigner ? GS_VKEY_ALG_COSIGNATURE_V1 : GS_VKEY_ALG_ED25519, &pub,
                     &err) != 0 ||
        gs_vkey_format(&vk, s, sizeof s, &err) != 0) {
        gs_error_wrap(&err, "--name");
        return cli_fail(&err);
    }
    printf("%s\n", s);
    return CLI_EXIT_OK;
}

int cli_cmd_key(int argc, char **argv)
{
    if (argc < 2) {
        fputs(help_key, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help_key, stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "new") == 0)
        return key_new(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return key_show(argc - 1, argv + 1);
    cli_errorf("unknown command \"key %s\"; expected `key new` or `key show`", argv[1]);
    return CLI_EXIT_USAGE;
}
