/* monitor_events.h — what `giamsat monitor` tells about what it sees: one
 * line per event on stdout, as text ("<RFC 3339 time> <level> <sentence>")
 * or with --json as one JSON object (the fields are listed in docs/design.md
 * §7, next to monitor), and with --exec CMD a command run for every alert.
 *
 * An alert is evidence the monitor found or received and saved (event
 * "evidence"), or an alert/<origin> event of a hub that is not verified
 * evidence (event "alert": a notice, or evidence that does not prove what it
 * claims). Routine events (checkpoints, proofs, cosignatures, warnings)
 * never run the command.
 *
 * The command runs under /bin/sh -c with the event in its environment
 * (GIAMSAT_EVENT, GIAMSAT_ALERT_KIND, GIAMSAT_ORIGIN, GIAMSAT_EVIDENCE_FILE,
 * GIAMSAT_SUMMARY, GIAMSAT_SOURCE, GIAMSAT_REPORTER, GIAMSAT_EVENT_JSON),
 * never in its text, so nothing a log or a hub wrote is ever parsed by the
 * shell. Its stdin is /dev/null and its stdout goes to the monitor's stderr
 * (stdout is the event stream). It runs beside the monitor's loop: the
 * loop reaps it (cli_monitor_events_poll) and kills its process group when
 * it outlives the time limit. A failure is reported as a warning event and
 * is never fatal.
 *
 * The output settings are the process's, like stdout itself: the monitor's
 * say() is called from deep inside its checks, where no monitor is at hand.
 */
#ifndef GS_CLI_MONITOR_EVENTS_H
#define GS_CLI_MONITOR_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum { CLI_MON_UNSAID = 0, CLI_MON_YES, CLI_MON_NO };

/* One event. Every field but level and event may be NULL / unset. */
typedef struct {
    const char *level; /* info, warn, error, alert, EVIDENCE: the text line's word */
    const char *event; /* started, checkpoint, quorum, consistent, cosigned, evidence,
                          alert, warning, error, info, stopping */
    const char *origin;
    bool has_size;
    uint64_t size;
    bool has_old_size; /* "consistent": the smaller size */
    uint64_t old_size;
    const char *root_b64;
    const char *source;
    const char *kind; /* evidence kind, or the alert's: notice, unverified-evidence, ... */
    const char *evidence_file;
    const char *reporter;
    int verified;   /* CLI_MON_UNSAID, CLI_MON_YES or CLI_MON_NO */
    int quorum_met; /* likewise */
} cli_monitor_event;

#define CLI_MONITOR_EXEC_TIMEOUT_S 60

/* json: one JSON object per line instead of text. exec_cmd (may be NULL):
 * run for every alert, killed after timeout_s seconds. */
void cli_monitor_events_setup(bool json, const char *exec_cmd, int timeout_s);
/* Prints the event with its sentence, then starts the command when it is an
 * alert. */
void cli_monitor_event_emit(const cli_monitor_event *e, const char *message);
/* Reaps finished commands and kills those past their time limit; called
 * from the monitor's loop. */
void cli_monitor_events_poll(void);
/* Waits for the commands still running, each until its time limit. */
void cli_monitor_events_finish(void);

#endif
