/* main.c — `giamsat`, the command-line tool for officials, inspectors and
 * citizens (DESIGN §7): dispatches to one command and prints the overview. */
#include <string.h>

#include "inspect.h"
#include "cli.h"

/* cmd_hub.c */
int cli_cmd_hub(int argc, char **argv);
/* cmd_monitor.c */
int cli_cmd_monitor(int argc, char **argv);
/* cmd_backup.c: `node backup` and `hub backup`; daemon is "node" or "hub" */
int cli_cmd_backup(const char *daemon, int argc, char **argv);
/* cmd_node_rotate.c: `node rotate-key` */
int cli_cmd_node_rotate(int argc, char **argv);

static const char usage[] =
    "usage: giamsat COMMAND [FLAGS]\n"
    "\n"
    "Keys and nodes:\n"
    "  key new          make a personal key file\n"
    "  key show         print a key file's public key or verifier key\n"
    "  node init        create a node's folder: key, configuration, log with its Charter\n"
    "  hub init         create a hub's folder: key, configuration, its own log\n"
    "  hub follow       make a hub follow one more log (--update: other sources)\n"
    "  hub unfollow     make a hub stop following a log\n"
    "  node witness     add, remove or list the hubs that cosign a node's log\n"
    "  node backup      copy a running node's database, consistently (SQLite backup)\n"
    "  node rotate-key  move a running node's log key to a new key (node.conf and log)\n"
    "  hub backup       copy a running hub's database, consistently (SQLite backup)\n"
    "\n"
    "Signed statements (each prints the node's signed receipt):\n"
    "  appoint          appoint a person to a role (head, deputy, officer, inspector)\n"
    "  resign           step down from your role\n"
    "  dismiss          end a member's tenure\n"
    "  rotate-key       move to a new key; the old one signs nothing after\n"
    "  commit           make a commitment: a target for an indicator by a deadline\n"
    "  revise           revise a commitment's target or deadline, with the reason\n"
    "  progress         report progress on a commitment\n"
    "  outcome          report the final value of a commitment and close it\n"
    "  finding          an inspector's finding about an entry\n"
    "  feedback         a citizen's feedback, optionally about an entry\n"
    "  respond          answer a finding or feedback\n"
    "  parameters       change the log's rule parameters (node key; e.g. feedback per day)\n"
    "\n"
    "Reading and checking a log:\n"
    "  checkpoint       the latest cosigned checkpoint, exactly as signed\n"
    "  proof inclusion  prove that an entry is in the log\n"
    "  proof consistency  prove that the log only grew between two sizes\n"
    "  entries          list entries, decoded and signature-checked\n"
    "  roster           who held which role, from when to when\n"
    "\n"
    "Inspectors, press and citizens:\n"
    "  audit            verify every log a hub holds; who promised what, who delivered\n"
    "  export           write a bundle proving one entry, for offline checking\n"
    "  verify           check a bundle offline against a trust file\n"
    "\n"
    "Evidence of misbehaviour:\n"
    "  evidence         list the evidence a hub holds; --out writes one file each\n"
    "  verify-evidence  check offline that an evidence file proves what it claims\n"
    "  monitor          watch logs for split views from many sources; act as a witness\n"
    "\n"
    "Run `giamsat COMMAND --help` for a command's flags and an example;\n"
    "`giamsat --version` prints the version.\n"
    "Exit status: 0 success, 1 rejected or verification failed, 2 usage or environment\n"
    "error (bad flag, unreachable endpoint, unreadable file).\n";

int main(int argc, char **argv)
{
    gs_error err = {0};
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("giamsat %s\n", GS_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (gs_crypto_init(&err) != 0)
        return cli_fail(&err);
    /* Each command parses argv[1..]: its own name is argv[0] to getopt. */
    argc--;
    argv++;
    if (strcmp(cmd, "key") == 0)
        return cli_cmd_key(argc, argv);
    if ((strcmp(cmd, "node") == 0 || strcmp(cmd, "hub") == 0) && argc >= 2 &&
        strcmp(argv[1], "backup") == 0)
        return cli_cmd_backup(cmd, argc - 1, argv + 1);
    if (strcmp(cmd, "node") == 0 && argc >= 2 && strcmp(argv[1], "rotate-key") == 0)
        return cli_cmd_node_rotate(argc - 1, argv + 1);
    if (strcmp(cmd, "node") == 0)
        return cli_cmd_node(argc, argv);
    if (strcmp(cmd, "hub") == 0)
        return cli_cmd_hub(argc, argv);
    if (cli_is_statement_command(cmd))
        return cli_cmd_statement(cmd, argc, argv);
    if (strcmp(cmd, "checkpoint") == 0)
        return cli_cmd_checkpoint(argc, argv);
    if (strcmp(cmd, "proof") == 0)
        return cli_cmd_proof(argc, argv);
    if (strcmp(cmd, "entries") == 0)
        return cli_cmd_entries(argc, argv);
    if (strcmp(cmd, "roster") == 0)
        return cli_cmd_roster(argc, argv);
    if (strcmp(cmd, "audit") == 0)
        return cli_cmd_audit(argc, argv);
    if (strcmp(cmd, "export") == 0)
        return cli_cmd_export(argc, argv);
    if (strcmp(cmd, "verify") == 0)
        return cli_cmd_verify(argc, argv);
    if (strcmp(cmd, "evidence") == 0)
        return cli_cmd_evidence(argc, argv);
    if (strcmp(cmd, "verify-evidence") == 0)
        return cli_cmd_verify_evidence(argc, argv);
    if (strcmp(cmd, "monitor") == 0)
        return cli_cmd_monitor(argc, argv);
    if (strcmp(cmd, "trust") == 0)
        return cli_cmd_trust(argc, argv);
    cli_errorf("unknown command \"%s\"; run `giamsat --help` for the list", cmd);
    return CLI_EXIT_USAGE;
}
