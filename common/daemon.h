/* daemon.h — what giamsat-node and giamsat-hub share around their loops:
 * the log line, the stop flag set by SIGTERM/SIGINT, the command line, the
 * start-up steps (the key with its passphrase file, the database with its
 * Charter) and the small parsers of their INI configurations.
 *
 * The log line is "<UTC time> <level> <program>: <text>" on stderr
 * (docs/formats.md); the configuration formats themselves stay with each
 * daemon (node/config.c, hub/config.c). Nothing here holds state except the
 * stop flag, the one global a daemon may have (STYLE §7).
 */
#ifndef GS_DAEMON_H
#define GS_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto.h"
#include "error.h"
#include "log.h"
#include "store.h"
#include "types.h"

typedef enum {
    GS_DAEMON_LOG_DEBUG = 0,
    GS_DAEMON_LOG_INFO,
    GS_DAEMON_LOG_WARN,
    GS_DAEMON_LOG_ERROR
} gs_daemon_log_level;

/* Writes one line "<UTC time> <level> <program>: <text>" on stderr; text
 * longer than 2047 bytes is cut. The caller filters by its own level. When
 * stderr is the journal ($JOURNAL_STREAM names it) the line is
 * "<N><level> <program>: <text>" instead: N the syslog priority (3 error,
 * 4 warn, 6 info, 7 debug), no time (the journal has it). */
void gs_daemon_logv(const char *program, gs_daemon_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* "debug", "info", "warn" or "error" as a level; -1 for anything else. */
int gs_daemon_parse_log_level(const char *value, gs_daemon_log_level *out);

/* Milliseconds of the monotonic clock (for intervals and deadlines only). */
int64_t gs_daemon_now_ms(void);

/* SIGTERM and SIGINT ask the loop to stop (gs_daemon_stopping); SIGPIPE is
 * ignored. */
void gs_daemon_catch_signals(void);
bool gs_daemon_stopping(void);
/* Asks the loop to stop, as a signal would. */
void gs_daemon_request_stop(void);
/* SIGHUP asks the daemon to read its configuration again (gs_daemon_catch_
 * signals catches it): true once per SIGHUP received since the last call
 * (several before a call count as one). */
bool gs_daemon_reload_requested(void);

/* Tells the service manager state ("READY=1", "STOPPING=1", ...; see
 * sd_notify(3)); does nothing when the daemon was not started with
 * $NOTIFY_SOCKET (Type=notify). */
void gs_daemon_notify(const char *state);

/* Called every turn of a daemon's loop: sends "WATCHDOG=1" when the service
 * manager asked for it ($WATCHDOG_USEC, WatchdogSec=) and half its interval
 * has passed since *last_ms, the loop's own record of the last one (0 at
 * first). The loop must turn at least that often. */
void gs_daemon_watchdog(int64_t *last_ms);
/* RELOADING=1 with the MONOTONIC_USEC systemd asks for, before a reload
 * (SIGHUP); gs_daemon_notify("READY=1") after it. */
void gs_daemon_notify_reloading(void);

/* The start of a daemon's main: reads "--config FILE" (and "--help",
 * "--version": "<program> <version>" on stdout, exit 0) from
 * the command line, initialises libsodium (a failure is logged as program)
 * and catches the signals (gs_daemon_catch_signals). Returns -1 with
 * *config set when the daemon should start; otherwise the exit status (0
 * after printing usage on stdout for --help, 2 after printing it on stderr
 * for a wrong command line, 2 when libsodium cannot start). */
int gs_daemon_init(int argc, char **argv, const char *program, const char *usage,
                   const char **config);

/* Reads the daemon's key from key_path, unlocking it with the passphrase
 * in passphrase_file when that is not NULL. When it is NULL and systemd
 * handed the service a credential named "passphrase"
 * ($CREDENTIALS_DIRECTORY/passphrase, LoadCredential=), that file is the
 * passphrase file. The passphrase is wiped. */
int gs_daemon_read_key(const char *key_path, const char *passphrase_file, gs_keypair *out,
                       gs_error *err);

/* One daemon per data folder: takes an exclusive flock(2) on
 * "<database>.lock" (created 0600, never through a symbolic link) and writes
 * this pid in it. Call it before the database or any socket is touched. When
 * another process holds it, fails at once (GS_ECONFLICT) with a sentence
 * naming the folder and the pid that holds it. With fd NULL the lock is held
 * until the process exits (the kernel drops it, even after kill -9);
 * otherwise *fd receives it for gs_daemon_unlock. */
int gs_daemon_lock(const char *database, int *fd, gs_error *err) GS_MUST_USE;
/* The pid of the daemon holding "<database>.lock" (gs_daemon_lock), in
 * *pid; 0 when no process holds it (no daemon runs on that folder). Used by
 * `giamsat ... --reload` to send the running daemon SIGHUP. */
int gs_daemon_lock_holder(const char *database, long *pid, gs_error *err) GS_MUST_USE;
/* Releases a lock taken with an fd and sets *fd to -1; safe on -1. The lock
 * file stays: removing it would race with a daemon taking it. */
void gs_daemon_unlock(int *fd);

/* Opens the store at database and the log of origin in it, which must hold
 * at least a Charter; kind ("node", "hub") names the `giamsat KIND init` that
 * makes one. On failure what was opened is left in *store and *log for the
 * caller's clean-up. */
int gs_daemon_open_log(gs_store **store, gs_log **log, const char *database, const char *origin,
                       const char *kind, gs_error *err) GS_MUST_USE;

/* ---------------------------------------------------------- configuration */

/* The folder of the configuration file path (the working directory when
 * path has no '/'), into dir of cap bytes: relative paths in it are resolved
 * against this folder. */
int gs_daemon_config_dir(const char *path, char *dir, size_t cap, gs_error *err);

/* value made absolute against dir (a malloc'd copy; NULL when out of
 * memory). */
char *gs_daemon_resolve(const char *dir, const char *value);

/* A decimal integer in [min, max]; -1 when value is anything else. */
int gs_daemon_parse_int(const char *value, int64_t min, int64_t max, int64_t *out);

/* true/yes/1 or false/no/0; -1 for anything else. */
int gs_daemon_parse_bool(const char *value, bool *out);

/* An [access] writer: a verifier key string or a base64 Ed25519 key,
 * appended to *writers. */
int gs_daemon_add_writer(gs_pubkey **writers, size_t *n_writers, const char *value, gs_error *err);

/* Opens path and hands every setting to handler (inih's ini_handler, user
 * passed through). *failed is the handler's flag: set, it means the handler
 * has filled err; the error is then prefixed with "config <path>". A line
 * that is not a setting is an error too. */
int gs_daemon_config_parse(const char *path,
                           int (*handler)(void *user, const char *section, const char *name,
                                          const char *value),
                           void *user, const int *failed, gs_error *err);

#endif
