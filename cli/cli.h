/* cli.h — what the `giamsat` commands share: flags every client command
 * takes (DESIGN §7), key loading, connecting, finding the origin, fetching
 * and verifying checkpoints and entries, parsing the values users type
 * (keys, references, dates, numbers) and printing.
 *
 * Exit status everywhere (DESIGN §7): 0 success, 1 rejected or verification
 * failed, 2 usage or environment error. Every error goes to stderr as
 * "giamsat: <sentence>".
 *
 * Nothing here trusts the endpoint: a checkpoint is verified against a log
 * key before it is used, entries are opened with gs_wire_open_entry (which
 * checks their signature), and a receipt is checked against the node key.
 */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "crypto.h"
#include "error.h"
#include "merkle.h"
#include "net.h"
#include "note.h"
#include "wire.h"

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,  /* rejected, or verification failed */
    CLI_EXIT_USAGE = 2, /* bad flag, unreadable file, unreachable endpoint */
};

/* A daemon answered with a non-OK status; err holds "<STATUS>: <message>". */
#define CLI_EREJECTED (-100)

#define CLI_DEFAULT_TIMEOUT_MS 10000
#define CLI_PASSPHRASE_MAX 1024

/* Prints "giamsat: <sentence>\n" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints err's sentence and returns the exit status its code calls for. */
int cli_fail(const gs_error *err);
/* The exit status for a GS_E… (or CLI_EREJECTED) code: 1 for a rejection
 * (CLI_EREJECTED) or a failed verification (GS_EVERIFY, GS_ECORRUPT), 2 for
 * everything else (usage, files, an unreachable endpoint). */
int cli_exit_for(int code);

/* ------------------------------------------------------------- flags */

/* The flags shared by client commands (DESIGN §7) plus a few users need.
 * Strings borrow from argv / the environment. */
typedef struct {
    const char *connect;         /* --connect, else $GIAMSAT_CONNECT */
    const char *server_key;      /* --server-key VKEY */
    const char *log_key;         /* --log-key VKEY: the log's key, for hubs */
    const char *key_file;        /* --key FILE */
    const char *passphrase_file; /* --passphrase-file F */
    const char *origin;          /* --origin O */
    bool json;                   /* --json */
    int timeout_ms;              /* --timeout MS */
    bool timeout_given;          /* --timeout was given (client.conf yields to it) */
    const char *client_config;   /* --client-config FILE (clientconf.h) */
} cli_common;

/* getopt_long codes of the shared flags (above any short option). */
enum {
    CLI_OPT_CONNECT = 1000,
    CLI_OPT_SERVER_KEY,
    CLI_OPT_LOG_KEY,
    CLI_OPT_KEY,
    CLI_OPT_PASSPHRASE_FILE,
    CLI_OPT_ORIGIN,
    CLI_OPT_JSON,
    CLI_OPT_TIMEOUT,
    CLI_OPT_HELP,
    CLI_OPT_CLIENT_CONFIG,
    CLI_OPT_FIRST_OWN = 1100, /* commands number their own flags from here */
};

#define CLI_COMMON_OPTIONS                                                                         \
    {"connect", required_argument, NULL, CLI_OPT_CONNECT},                                         \
        {"server-key", required_argument, NULL, CLI_OPT_SERVER_KEY},                               \
        {"log-key", required_argument, NULL, CLI_OPT_LOG_KEY},                                     \
        {"key", required_argument, NULL, CLI_OPT_KEY},                                             \
        {"passphrase-file", required_argument, NULL, CLI_OPT_PASSPHRASE_FILE},                     \
        {"origin", required_argument, NULL, CLI_OPT_ORIGIN},                                       \
        {"json", no_argument, NULL, CLI_OPT_JSON},                                                 \
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                                     \
        {"client-config", required_argument, NULL, CLI_OPT_CLIENT_CONFIG},                         \
    {                                                                                              \
        "help", no_argument, NULL, CLI_OPT_HELP                                                    \
    }

/* The help text of the shared connection flags, for --help screens. */
extern const char cli_help_connection[];

void cli_common_init(cli_common *c);
/* Handles one shared flag. Returns 1 when opt was one (and its value was
 * good), 0 when it is not a shared flag, or -1 after printing why the value
 * is bad. */
int cli_common_opt(cli_common *c, int opt, const char *arg);
/* After the flags: fills what they left unset from $GIAMSAT_CONNECT and the
 * client configuration (clientconf.h; a --connect NAME picks one of its
 * endpoints). Returns 0, or prints why not and returns CLI_EXIT_USAGE. Every
 * command that talks to a daemon calls it (cli_parse_flags does). */
int cli_common_finish(cli_common *c);
/* Prints the usage error for an unknown flag or a missing value, pointing at
 * --help, and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The usage error for getopt's ':' (missing value) or '?' (unknown flag). */
int cli_getopt_error(const char *command, int c, char **argv);
/* Resets getopt so each command can parse its own argv. */
void cli_getopt_reset(void);
/* Parses a command's flags: the shared ones plus own (at most 16, codes from
 * CLI_OPT_FIRST_OWN, NULL terminated), whose values land in
 * vals[code - CLI_OPT_FIRST_OWN] ("" for a flag without a value). With
 * positional, one positional argument may follow, into *positional.
 * Returns 0, -1 after printing --help (with the connection flags' help when
 * positional is NULL), or the exit status of a usage error. */
int cli_parse_flags(const char *cmd, const char *help, const struct option *own, int argc,
                    char **argv, cli_common *cf, const char **vals, const char **positional);

/* --------------------------------------------------------------- keys */

/* Loads a key file, with the passphrase from passphrase_file when given
 * (the buffer that held it is wiped). */
int cli_load_key(const char *path, const char *passphrase_file, gs_keypair *kp, gs_error *err);
/* A public key as users type it: base64 of 32 bytes (`giamsat key show`) or
 * a verifier key string (the key inside it is used). */
int cli_parse_pubkey(const char *s, gs_pubkey *out, gs_error *err);
/* Base64 of a 32-byte value into out (at least 45 bytes). */
void cli_b64_32(const uint8_t b[32], char out[45]);

/* ---------------------------------------------------------- connecting */

typedef struct {
    void *zctx;
    gs_net_client *client;
    const cli_common *flags;
    bool has_server_key;
    gs_vkey server_key;
    bool has_log_key; /* --log-key */
    gs_vkey log_key;
    bool has_charter_key; /* cached signer of entry 0 of origin */
    gs_pubkey charter_key;
    char time_zone[GS_MAX_TIME_ZONE + 1]; /* cached with charter_key: its time zone */
    char origin[GS_MAX_ORIGIN + 1];       /* the log this command works on */
} cli_conn;

/* Connects to flags->connect (or $GIAMSAT_CONNECT). client_key (may be NULL)
 * becomes the CURVE identity on tcp:// so write allowlists apply. */
int cli_connect(cli_conn *cn, const cli_common *flags, const gs_keypair *client_key, gs_error *err);
void cli_disconnect(cli_conn *cn);
/* One call. A non-OK status is CLI_EREJECTED with "<STATUS>: <message>" in
 * err; rs is cleared in every case but success. */
int cli_call(cli_conn *cn, gs_request *rq, gs_response *rs, gs_error *err);

/* Sets cn->origin: --origin when given, else the origin named by the
 * endpoint's checkpoint (its only log). */
int cli_find_origin(cli_conn *cn, gs_error *err);

/* Fetches entries [start, start+count) of origin in pages of at most
 * GS_MAX_ENTRIES. *out holds *n buffers (cli_entries_free). Fewer than
 * count entries is an error naming the first one missing. */
int cli_fetch_entries(cli_conn *cn, const char *origin, uint64_t start, uint64_t count,
                      gs_buf **out, size_t *n, gs_error *err);
void cli_entries_free(gs_buf *entries, size_t n);

/* The key the log of cn->origin signs checkpoints with: --log-key, else
 * --server-key when its name is that origin, else the signer of the log's
 * Charter (entry 0, fetched and its signature checked). */
int cli_log_key(cli_conn *cn, gs_pubkey *out, gs_error *err);
/* The key that signs receipts: --server-key when given, else the Charter's
 * signer. */
int cli_node_key(cli_conn *cn, gs_pubkey *out, gs_error *err);

/* A checkpoint fetched from the endpoint and verified against cli_log_key.
 * text is the note exactly as served. */
typedef struct {
    char *text;
    size_t len;
    gs_note *note;
    gs_checkpoint cp;
} cli_checkpoint;

/* Fetches the latest checkpoint of cn->origin ("" when empty: then
 * cn->origin is set from it) and verifies its log signature. A signature
 * that does not verify is GS_EVERIFY. */
int cli_fetch_checkpoint(cli_conn *cn, cli_checkpoint *out, gs_error *err);
/* Parses a saved note and verifies it as above, against origin's key. */
int cli_open_checkpoint(cli_conn *cn, const char *text, size_t len, cli_checkpoint *out,
                        gs_error *err);
void cli_checkpoint_clear(cli_checkpoint *c);

/* ------------------------------------------------------------- values */

/* A reference ORIGIN:INDEX or ORIGIN:INDEX:LEAFHASH (base64). Without the
 * hash, the entry is fetched over cn (may be NULL: then the hash is
 * required) and hashed. out->origin is malloc'd (free it). */
int cli_parse_ref(cli_conn *cn, const char *s, gs_ref *out, gs_error *err);
/* "ORIGIN:INDEX:LEAFHASH" into out (at least GS_MAX_ORIGIN + 80 bytes). */
void cli_format_ref(const gs_ref *r, char *out, size_t cap);
/* YYYY-MM-DD (the end of that day, 23:59:59 UTC) or RFC 3339. */
int cli_parse_date(const char *s, int64_t *out, gs_error *err);
/* The time zone of cn->origin's unit: its Charter's (entry 0, fetched and
 * its signature checked), GS_DEFAULT_TIME_ZONE when it names none. Borrowed
 * from cn. */
int cli_unit_time_zone(cli_conn *cn, const char **out, gs_error *err);
/* A deadline: YYYY-MM-DD is the end of that day (23:59:59) in the time zone
 * of cn->origin's unit (cli_unit_time_zone; refused when this machine does
 * not know that zone); RFC 3339 is exactly that instant. */
int cli_parse_deadline(cli_conn *cn, const char *s, int64_t *out, gs_error *err);
/* RFC 3339 in UTC, "2026-12-31T10:00:00Z" (out at least 32 bytes). */
void cli_format_time(int64_t t, char *out, size_t cap);
/* A decimal number without sign, fitting in uint64_t. */
int cli_parse_u64(const char *s, const char *what, uint64_t *out, gs_error *err);
/* SHA-256 of a file's bytes. */
int cli_hash_file(const char *path, gs_hash *out, gs_error *err);
/* Reads a whole small file (at most max bytes); *out is NUL-terminated. */
int cli_read_file(const char *path, size_t max, char **out, size_t *len, gs_error *err);
/* Files given with --out are written with common/outfile.h. */

/* Prints a JSON value on stdout (indented, then a newline) and frees it. */
int cli_print_json(json_t *v, gs_error *err);
/* Base64 of bytes as a JSON string. */
json_t *cli_json_b64(const uint8_t *p, size_t n);

/* ------------------------------------------------- daemon folders (init) */

/* The files `giamsat node init` and `giamsat hub init` create in a daemon's
 * folder; what this run created is removed again (cli_init_undo) when a
 * later step fails, so a failed init can simply be retried. */
/* Linux's PATH_MAX, which <limits.h> shows only under POSIX feature macros
 * (client.c checks that they agree). */
#define CLI_PATH_MAX 4096
typedef struct {
    char key[CLI_PATH_MAX + 16], db[CLI_PATH_MAX + 16], conf[CLI_PATH_MAX + 16];
    const char *dir; /* set when this run created the folder */
    bool made_key, made_db, made_conf;
} cli_init_files;

/* Creates dir (mode 0700) when missing (then sets f->dir), checks it is a
 * folder, puts its absolute path in abs (PATH_MAX bytes) and names the
 * files <abs>/<kind>.key, .db and .conf (kind: "node" or "hub"). */
int cli_init_folder(const char *dir, const char *kind, char *abs, cli_init_files *f, gs_error *err);
/* GS_ECONFLICT when any of f's files exists: init never overwrites. */
int cli_init_refuse_existing(const cli_init_files *f, const char *kind, gs_error *err);
void cli_init_undo(const cli_init_files *f);
/* Signs the Charter st (its signer is kp) into entry and checks it with the
 * rule book of st->origin, so a charter the network would refuse never
 * reaches disk. entry is freed on failure. */
int cli_init_charter(const gs_statement *st, const gs_keypair *kp, gs_buf *entry, gs_error *err);
/* Writes db: the log of origin with entry as entry 0 and a first checkpoint
 * signed by kp. */
int cli_init_write_log(const char *db, const char *origin, const gs_keypair *kp,
                       const gs_buf *entry, gs_error *err);
/* Creates path (0644, never over an existing file) for writing a
 * configuration; cli_init_conf_close flushes it to disk and closes it. */
int cli_init_conf_open(const char *path, FILE **out, gs_error *err);
int cli_init_conf_close(const char *path, FILE *out, gs_error *err);

/* ----------------------------------------------------------- commands */

int cli_cmd_key(int argc, char **argv);
int cli_cmd_node(int argc, char **argv);
int cli_cmd_statement(const char *name, int argc, char **argv);
int cli_cmd_checkpoint(int argc, char **argv);
int cli_cmd_proof(int argc, char **argv);
int cli_cmd_entries(int argc, char **argv);
int cli_cmd_roster(int argc, char **argv);
int cli_cmd_evidence(int argc, char **argv);
int cli_cmd_verify_evidence(int argc, char **argv);
/* `giamsat trust`: trust files from keys (cmd_trust.c). */
int cli_cmd_trust(int argc, char **argv);
/* Calls fn with each piece of evidence a monitor recorded in its database
 * (`giamsat monitor --db FILE`), oldest first, and where it is kept
 * ("FILE#ROW"); a file that is not a monitor's database is refused
 * (cmd_monitor.c). */
typedef int (*cli_monitor_evidence_fn)(void *ctx, gs_bytes data, const char *where, gs_error *err);
int cli_monitor_evidence(const char *path, cli_monitor_evidence_fn fn, void *ctx, gs_error *err);
/* Whether name is one of the statement commands (appoint, commit, …). */
bool cli_is_statement_command(const char *name);

/* Describes an entry as a JSON object (the `entries` format, without
 * signer_name). */
json_t *cli_entry_json(uint64_t index, const gs_statement *st, const gs_hash *leaf_hash);

#endif
