/* inspect.h — what `giamsat audit`, `export` and `verify` share: the trust
 * file, and the ZeroMQ entry source through which the audit engine
 * (common/audit.h) reads logs from a hub or a node. The engine, the report
 * (common/report.h) and bundle verification (common/bundle.h) live in
 * common/; the commands parse flags, call them and print. */
#ifndef GS_CLI_INSPECT_H
#define GS_CLI_INSPECT_H

#include "audit.h"
#include "cli.h"
#include "policy.h"

/* Loads a C2SP tlog-policy file (common/policy.h); the error names path. */
int cli_trust_load(const char *path, gs_policy **out, gs_error *err);

/* The audit engine's entry source over cn: GetCheckpoint and GetEntries.
 * cn must outlive *out. */
void cli_audit_source(cli_conn *cn, gs_audit_source *out);

int cli_cmd_audit(int argc, char **argv);
int cli_cmd_export(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);

#endif
