/* clientconf.h — the client configuration of the `giamsat` command
 * (docs/formats.md "client.conf"): named endpoints with the keys that go
 * with them, and defaults, so that a person at the keyboard does not repeat
 * --connect and --server-key on every command.
 *
 * Where it is read from: --client-config FILE, else $GIAMSAT_CLIENT_CONFIG,
 * else $XDG_CONFIG_HOME/giamsat/client.conf, else
 * $HOME/.config/giamsat/client.conf. A file named by the flag or the
 * variable must exist; the default one may be missing (then nothing
 * changes). A file that exists and does not load is an error, whatever the
 * command: a typo must not silently send a command elsewhere.
 *
 * Precedence, setting by setting: a flag, then the environment
 * ($GIAMSAT_CONNECT), then the section of the endpoint chosen, then
 * [defaults], then the built-in default. A key's passphrase file comes from
 * the same place as the key (a passphrase meant for one key is never
 * offered to another).
 *
 * The configuration is loaded once per process and lives until it ends, so
 * cli_common and the monitor may borrow its strings. */
#ifndef GS_CLI_CLIENTCONF_H
#define GS_CLI_CLIENTCONF_H

#include "cli.h"

/* One [endpoint NAME] section. Paths are absolute (a relative one is taken
 * from the file's folder, "~/" from $HOME). Only name and connect are
 * always set. */
typedef struct {
    const char *name;
    const char *connect;         /* ipc://PATH, tcp://HOST:PORT */
    const char *server_key;      /* a verifier key, checked at load */
    const char *log_key;         /* a verifier key, checked at load */
    const char *origin;          /* checked at load */
    const char *key;             /* the key file to use with this endpoint */
    const char *passphrase_file; /* its passphrase */
} cli_endpoint;

typedef struct cli_clientconf cli_clientconf;

/* The configuration of this process: path is the --client-config value (may
 * be NULL). *out is NULL when there is none (no file at the default place).
 * Loaded at the first call; later calls return the same result. */
int cli_clientconf_get(const char *path, const cli_clientconf **out, gs_error *err);

/* The endpoint that value names: the section called value, else the section
 * whose connect is exactly value; NULL when none (cc may be NULL). */
const cli_endpoint *cli_clientconf_find(const cli_clientconf *cc, const char *value);
/* [defaults] endpoint, or NULL. */
const char *cli_clientconf_default_endpoint(const cli_clientconf *cc);
/* The file the configuration was read from. */
const char *cli_clientconf_path(const cli_clientconf *cc);

/* Fills what the flags of c left unset from the environment and the
 * configuration (c->client_config names it). A --connect value without
 * "://" must name an endpoint of the file. */
int cli_clientconf_apply(cli_common *c, gs_error *err);

/* A --connect value as the monitor takes it ("EP" or "EP,VKEY"): a name of
 * the file becomes that endpoint's "connect,server_key" (malloc'd in *out);
 * anything else is copied. */
int cli_clientconf_monitor_spec(const char *client_config, const char *value, char **out,
                                gs_error *err);

#endif
