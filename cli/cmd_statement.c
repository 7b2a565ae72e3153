/* cmd_statement.c — the commands that sign a statement and submit it:
 * appoint, resign, dismiss, rotate-key, commit, revise, progress, outcome,
 * finding, feedback, respond, parameters (DESIGN §4, §7).
 *
 * Flow (DESIGN §5, flow 1): load the signer's key, connect (the key is the
 * CURVE identity, so write allowlists apply), find the origin, ask the node
 * for the signer's next seq, build and sign the statement (issued_at = now,
 * or --issued-at), Submit, then check the node's receipt: signed by the node key, for this
 * origin, and for the leaf hash of exactly the bytes sent. The receipt is the
 * node's promise (if the entry never appears it is evidence against the
 * node), so one that does not verify is a failure, not a warning. */
#define _POSIX_C_SOURCE 200809L
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rules.h"

/* One bit per statement flag, so each command says which it takes. */
enum {
    F_PERSON = 1u << 0,
    F_NAME = 1u << 1,
    F_ROLE = 1u << 2,
    F_TITLE = 1u << 3,
    F_DECISION = 1u << 4,
    F_REASON = 1u << 5,
    F_NEW_KEY = 1u << 6,
    F_NEW_PASS = 1u << 7,
    F_ID = 1u << 8,
    F_INDICATOR = 1u << 9,
    F_UOM = 1u << 10,
    F_TARGET = 1u << 11,
    F_DIRECTION = 1u << 12,
    F_DEADLINE = 1u << 13,
    F_PARENT = 1u << 14,
    F_VALUE = 1u << 15,
    F_NOTE = 1u << 16,
    F_EVIDENCE = 1u << 17,
    F_ABOUT = 1u << 18,
    F_SEVERITY = 1u << 19,
    F_TEXT = 1u << 20,
    F_TO = 1u << 21,
    F_FEEDBACK_PER_DAY = 1u << 22,
    F_ISSUED_AT = 1u << 23,
    F_OPEN_FEEDBACK_PER_DAY = 1u << 24,
    F_RATING = 1u << 25,
    F_CONFIRMS = 1u << 26, /* no value */
    F_CONTESTS = 1u << 27, /* no value */
    F_PARTIAL_PERCENT = 1u << 28,
    F_COUNT = 29,
};

/* The flags that take no value. */
#define F_SWITCHES (F_CONFIRMS | F_CONTESTS)

/* The flags every statement command takes. */
#define F_EVERY F_ISSUED_AT

static const struct {
    unsigned bit;
    const char *name;
} flag_names[F_COUNT] = {
    {F_PERSON, "person"},
    {F_NAME, "name"},
    {F_ROLE, "role"},
    {F_TITLE, "title"},
    {F_DECISION, "decision"},
    {F_REASON, "reason"},
    {F_NEW_KEY, "new-key"},
    {F_NEW_PASS, "new-passphrase-file"},
    {F_ID, "id"},
    {F_INDICATOR, "indicator"},
    {F_UOM, "unit-of-measure"},
    {F_TARGET, "target"},
    {F_DIRECTION, "direction"},
    {F_DEADLINE, "deadline"},
    {F_PARENT, "parent"},
    {F_VALUE, "value"},
    {F_NOTE, "note"},
    {F_EVIDENCE, "evidence"},
    {F_ABOUT, "about"},
    {F_SEVERITY, "severity"},
    {F_TEXT, "text"},
    {F_TO, "to"},
    {F_FEEDBACK_PER_DAY, "feedback-per-day"},
    {F_ISSUED_AT, "issued-at"},
    {F_OPEN_FEEDBACK_PER_DAY, "open-feedback-per-day"},
    {F_RATING, "rating"},
    {F_CONFIRMS, "confirms"},
    {F_CONTESTS, "contests"},
    {F_PARTIAL_PERCENT, "partial-percent"},
};

static const char help_tail[] =
    "\n"
    "Signing:\n"
    "  --key FILE            your key file (required)\n"
    "  --passphrase-file F   the passphrase of --key, on F's first line\n"
    "  --issued-at DATE      the statement's time (default: now): YYYY-MM-DD, meaning\n"
    "                        the start of that day (00:00:00 UTC), or RFC 3339, e.g.\n"
    "                        2026-12-01T09:30:00+07:00. The node refuses a time more\n"
    "                        than its max_clock_skew (node.conf, 300 s by default)\n"
    "                        from its clock; within that, a statement may be dated a\n"
    "                        little earlier, e.g. to record when a decision was made\n"
    "  --json                print the receipt as "
    "{\"origin\",\"index\",\"leaf_hash_b64\",\"time\"}\n"
    "                        (time: unix seconds)\n"
    "\n"
    "A reference REF is ORIGIN:INDEX, e.g. giamsat/commune/xa-an-binh:12, for an entry\n"
    "the endpoint serves, or ORIGIN:INDEX:LEAFHASH (base64 of the entry's RFC 6962 leaf\n"
    "hash) for an entry in another log. A public key PUBKEY is base64 of 32 bytes (what\n"
    "`giamsat key show` prints) or a verifier key.\n"
    "Exit status: 0 accepted (receipt verified), 1 rejected by the node (its status\n"
    "and reason are printed) or receipt did not verify, 2 usage or environment error.\n"
    "\n";

typedef struct {
    const char *name;
    gs_body_kind kind;
    unsigned allowed, required;
    const char *help;
} command;

static const command commands[] = {
    {"appoint", GS_BODY_APPOINTMENT, F_PERSON | F_NAME | F_ROLE | F_TITLE | F_DECISION,
     F_PERSON | F_NAME | F_ROLE,
     "usage: giamsat appoint --person PUBKEY --name TEXT --role head|deputy|officer|inspector\n"
     "                       [--title T] [--decision TEXT] --key FILE\n"
     "\n"
     "Appoints a person to a role in this unit. A head is appointed with the node's key;\n"
     "other roles by the node's key or the head in office.\n"
     "\n"
     "  --person PUBKEY       the appointee's public key\n"
     "  --name TEXT           the appointee's full name\n"
     "  --role R              head, deputy, officer or inspector\n"
     "  --title T             their title, e.g. \"Chủ tịch UBND xã\"\n"
     "  --decision TEXT       the reference of the appointment decision, e.g. \"QĐ 12/2026\"\n"
     "\n"
     "Example:\n"
     "  giamsat appoint --key node.key --person 8Jx...= --name \"Nguyễn Văn A\" --role head\n"},
    {"resign", GS_BODY_RESIGNATION, F_REASON, 0,
     "usage: giamsat resign [--reason T] --key FILE\n"
     "\n"
     "Steps down from your role; your key signs no act of office afterwards.\n"
     "\n"
     "  --reason T            why, in your words\n"
     "\n"
     "Example:\n"
     "  giamsat resign --key me.key --reason \"transferred to the province\"\n"},
    {"dismiss", GS_BODY_DISMISSAL, F_PERSON | F_REASON, F_PERSON | F_REASON,
     "usage: giamsat dismiss --person PUBKEY --reason T --key FILE\n"
     "\n"
     "Ends a member's tenure. Signed by the node's key or the head in office; only the\n"
     "node's key dismisses a head.\n"
     "\n"
     "  --person PUBKEY       the member's public key\n"
     "  --reason T            why: replacement, reassignment, …\n"
     "\n"
     "Example:\n"
     "  giamsat dismiss --key head.key --person 8Jx...= --reason \"reassigned\"\n"},
    {"rotate-key", GS_BODY_KEY_ROTATION, F_NEW_KEY | F_NEW_PASS, F_NEW_KEY,
     "usage: giamsat rotate-key --new-key FILE [--new-passphrase-file F] --key FILE\n"
     "\n"
     "Moves your role (or the node's key) to a new key, made with `giamsat key new`.\n"
     "The old key signs nothing in this log afterwards; sign with the new one.\n"
     "\n"
     "  --new-key FILE        the new key file (only its public key is read)\n"
     "  --new-passphrase-file F  the new key's passphrase, to check it opens\n"
     "\n"
     "Example:\n"
     "  giamsat rotate-key --key old.key --new-key new.key\n"},
    {"commit", GS_BODY_COMMITMENT,
     F_ID | F_TITLE | F_INDICATOR | F_UOM | F_TARGET | F_DIRECTION | F_DEADLINE | F_PARENT,
     F_ID | F_TITLE | F_INDICATOR | F_UOM | F_TARGET | F_DIRECTION | F_DEADLINE,
     "usage: giamsat commit --id ID --title T --indicator T --unit-of-measure U --target NUM\n"
     "                      --direction at-least|at-most --deadline DATE [--parent REF]\n"
     "                      --key FILE\n"
     "\n"
     "Makes a commitment you own: the indicator will be at least (or at most) the target\n"
     "by the deadline.\n"
     "\n"
     "  --id ID               unique in this log, [A-Za-z0-9._-]{1,64}\n"
     "  --title T             what is promised\n"
     "  --indicator T         what is measured\n"
     "  --unit-of-measure U   its unit, e.g. km, %, households\n"
     "  --target NUM          the target, a decimal with up to 6 places, e.g. 12.5\n"
     "  --direction D         at-least or at-most\n"
     "  --deadline DATE       YYYY-MM-DD, meaning the end of that day (23:59:59) in the\n"
     "                        unit's time zone (its Charter's; Asia/Ho_Chi_Minh when it\n"
     "                        names none), or RFC 3339 with its offset, meaning exactly\n"
     "                        that instant, e.g. 2026-12-31T17:00:00+07:00\n"
     "  --parent REF          the commitment this one delivers part of (e.g. a\n"
     "                        province commitment)\n"
     "\n"
     "Example:\n"
     "  giamsat commit --key me.key --id road-2026 --title \"Pave the village road\" \\\n"
     "      --indicator \"road paved\" --unit-of-measure km --target 12.5 \\\n"
     "      --direction at-least --deadline 2026-12-31\n"},
    {"revise", GS_BODY_REVISION, F_ID | F_TARGET | F_DEADLINE | F_REASON, F_ID | F_REASON,
     "usage: giamsat revise --id ID [--target NUM] [--deadline DATE] --reason T --key FILE\n"
     "\n"
     "Revises a commitment's target and/or deadline, with the reason (by its owner, or\n"
     "the head if the owner left). The revision is a dated entry of its own: the original\n"
     "commitment stays as the baseline and reports show every revision. It must be\n"
     "signed before the deadline in force passes: a missed deadline stands.\n"
     "Give at least one of --target and --deadline.\n"
     "\n"
     "  --id ID               the commitment\n"
     "  --target NUM          the new target, a decimal with up to 6 places, e.g. 10\n"
     "  --deadline DATE       the new deadline: YYYY-MM-DD, meaning the end of that day\n"
     "                        (23:59:59) in the unit's time zone, or RFC 3339 with its\n"
     "                        offset, e.g. 2027-03-31T17:00:00+07:00\n"
     "  --reason T            why, e.g. the decision that changed the plan\n"
     "\n"
     "Example:\n"
     "  giamsat revise --key me.key --id road-2026 --deadline 2027-03-31 \\\n"
     "      --reason \"province budget decision 45/QD: second section moved to 2027\"\n"},
    {"progress", GS_BODY_PROGRESS, F_ID | F_VALUE | F_NOTE | F_EVIDENCE, F_ID | F_VALUE,
     "usage: giamsat progress --id ID --value NUM [--note T] [--evidence FILE] --key FILE\n"
     "\n"
     "Reports progress on a commitment (by its owner, or the head if the owner left).\n"
     "\n"
     "  --id ID               the commitment\n"
     "  --value NUM           the indicator's value now, e.g. 4.2\n"
     "  --note T              a remark\n"
     "  --evidence FILE       a document backing the value; its SHA-256 is signed\n"
     "\n"
     "Example:\n"
     "  giamsat progress --key me.key --id road-2026 --value 4.2 --evidence report.pdf\n"},
    {"outcome", GS_BODY_OUTCOME, F_ID | F_VALUE | F_EVIDENCE, F_ID | F_VALUE,
     "usage: giamsat outcome --id ID --value NUM [--evidence FILE] --key FILE\n"
     "\n"
     "Reports the final value of a commitment and closes it.\n"
     "\n"
     "  --id ID               the commitment\n"
     "  --value NUM           the final value\n"
     "  --evidence FILE       a document backing it; its SHA-256 is signed\n"
     "\n"
     "Example:\n"
     "  giamsat outcome --key me.key --id road-2026 --value 12.8 --evidence acceptance.pdf\n"},
    {"finding", GS_BODY_FINDING, F_ABOUT | F_SEVERITY | F_TEXT | F_EVIDENCE | F_SWITCHES,
     F_ABOUT | F_SEVERITY | F_TEXT,
     "usage: giamsat finding --about REF --severity low|medium|high --text T\n"
     "                       [--confirms | --contests] [--evidence FILE] --key FILE\n"
     "\n"
     "An inspector's finding about an entry.\n"
     "\n"
     "  --about REF           the entry it is about\n"
     "  --severity S          low, medium or high\n"
     "  --text T              the finding\n"
     "  --confirms            the finding confirms the claim it is about (a progress\n"
     "                        report or an outcome)\n"
     "  --contests            the finding contests that claim; the commitment's evidence\n"
     "                        status is then contested until a later finding confirms it\n"
     "  --evidence FILE       a document backing it; its SHA-256 is signed\n"
     "\n"
     "Example:\n"
     "  giamsat finding --key inspector.key --about giamsat/commune/xa-an-binh:7 \\\n"
     "      --severity high --text \"the road is 3 km, not 12.8\"\n"},
    {"feedback", GS_BODY_FEEDBACK, F_TEXT | F_ABOUT | F_RATING, F_TEXT,
     "usage: giamsat feedback --text T [--about REF] [--rating N] --key FILE\n"
     "\n"
     "A citizen's feedback; any key may send it (a few a day per key).\n"
     "\n"
     "  --text T              the feedback\n"
     "  --about REF           the entry it is about\n"
     "  --rating N            satisfaction with the unit, 1 (worst) to 5 (best); the\n"
     "                        audit reports the mean per quarter\n"
     "\n"
     "Example:\n"
     "  giamsat feedback --key me.key --about giamsat/commune/xa-an-binh:7 \\\n"
     "      --text \"only half the road is paved\"\n"},
    {"respond", GS_BODY_RESPONSE, F_TO | F_TEXT, F_TO | F_TEXT,
     "usage: giamsat respond --to REF --text T --key FILE\n"
     "\n"
     "Answers a finding or feedback in this log.\n"
     "\n"
     "  --to REF              the finding or feedback\n"
     "  --text T              the answer\n"
     "\n"
     "Example:\n"
     "  giamsat respond --key head.key --to giamsat/commune/xa-an-binh:9 \\\n"
     "      --text \"the second section is finished in March\"\n"},
};

/* The rule parameters (rules.h rule 18). A value out of the rule book's
 * range is sent as typed: the node refuses it with its rule's reason, as
 * every verifier would. */
static const command parameters_command = {
    "parameters", GS_BODY_PARAMETER_CHANGE,
    F_FEEDBACK_PER_DAY | F_OPEN_FEEDBACK_PER_DAY | F_PARTIAL_PERCENT, 0,
    "usage: giamsat parameters [--feedback-per-day N] [--open-feedback-per-day N]\n"
    "                          [--partial-percent N] --key FILE\n"
    "\n"
    "Changes the log's rule parameters, which every node, hub, monitor and auditor reads\n"
    "from the log itself (they are not configuration). Signed with the node's key\n"
    "(node.key); the new values apply to every statement after this one. The Charter\n"
    "holds the first values (`giamsat node init --feedback-per-day N\n"
    "--open-feedback-per-day N`). Give at least one of:\n"
    "\n"
    "  --feedback-per-day N  Feedback statements one key may sign in 24 hours, 1 to 32\n"
    "                        (the Charter's default is 10)\n"
    "  --open-feedback-per-day N\n"
    "                        Feedback statements the whole log takes per day (UTC) from\n"
    "                        keys outside its roster, 1 to 1000000 (default 1000)\n"
    "  --partial-percent N   the share of its target, 1 to 99 percent, an outcome must\n"
    "                        reach for the audit to call a missed commitment partially\n"
    "                        delivered (default 75)\n"
    "\n"
    "Example:\n"
    "  giamsat parameters --key /srv/giamsat/an-binh/node.key --feedback-per-day 20 \\\n"
    "      --connect ipc:///srv/giamsat/an-binh/node.sock\n"};

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return strcmp(name, parameters_command.name) == 0 ? &parameters_command : NULL;
}

bool cli_is_statement_command(const char *name)
{
    return find_command(name) != NULL;
}

/* What the user typed, before it is turned into a statement. */
typedef struct {
    const char *v[F_COUNT];
    unsigned given;
} values;

static int bit_index(unsigned bit)
{
    int i = 0;
    while (!(bit & 1u)) {
        bit >>= 1;
        i++;
    }
    return i;
}

static const char *val(const values *vs, unsigned bit)
{
    return vs->v[bit_index(bit)];
}

static int parse_args(const command *cmd, int argc, char **argv, cli_common *cf, values *vs)
{
    struct option opts[F_COUNT + 11] = {CLI_COMMON_OPTIONS};
    size_t n = 0;
    while (opts[n].name != NULL)
        n++;
    for (size_t i = 0; i < F_COUNT; i++)
        opts[n++] = (struct option){
            flag_names[i].name, (flag_names[i].bit & F_SWITCHES) ? no_argument : required_argument,
            NULL, CLI_OPT_FIRST_OWN + bit_index(flag_names[i].bit)};
    opts[n] = (struct option){NULL, 0, NULL, 0};

    int c;
    cli_getopt_reset();
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == CLI_OPT_HELP) {
            fputs(cmd->help, stdout);
            fputs(help_tail, stdout);
            fputs(cli_help_connection, stdout);
            return -1;
        }
        int r = cli_common_opt(cf, c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c >= CLI_OPT_FIRST_OWN && c < CLI_OPT_FIRST_OWN + F_COUNT) {
            unsigned bit = 1u << (c - CLI_OPT_FIRST_OWN);
            if (!((cmd->allowed | F_EVERY) & bit))
                return cli_usage_error(cmd->name, "%s does not take --%s", cmd->name,
                                       flag_names[c - CLI_OPT_FIRST_OWN].name);
            vs->v[c - CLI_OPT_FIRST_OWN] = optarg != NULL ? optarg : "";
            vs->given |= bit;
            continue;
        }
        return cli_getopt_error(cmd->name, c, argv);
    }
    if (optind < argc)
        return cli_usage_error(cmd->name, "unexpected argument \"%s\"", argv[optind]);
    if ((vs->given & F_SWITCHES) == F_SWITCHES)
        return cli_usage_error(cmd->name, "--confirms and --contests exclude each other");
    if (cmd->kind == GS_BODY_REVISION && !(vs->given & (F_TARGET | F_DEADLINE)))
        return cli_usage_error(cmd->name, "give --target NUM and/or --deadline DATE: a "
                                          "revision changes at least one of them");
    for (size_t i = 0; i < F_COUNT; i++)
        if ((cmd->required & flag_names[i].bit) && !(vs->given & flag_names[i].bit))
            return cli_usage_error(cmd->name, "--%s is required", flag_names[i].name);
    int rc = cli_common_finish(cf);
    if (rc != 0)
        return rc;
    if (cf->key_file == NULL)
        return cli_usage_error(cmd->name, "--key FILE is required: the key that signs (or key = "
                                          "FILE in client.conf)");
    return 0;
}

/* --issued-at: a date alone is the start of that day (cli_parse_date reads
 * it as the end, which is what a deadline means), so a story dated "on
 * 2026-12-01" is not placed after everything else of that day. */
static int parse_issued_at(const char *s, int64_t *out, gs_error *err)
{
    if (cli_parse_date(s, out, err) != 0)
        return gs_error_set(err, err->code,
                            "date \"%s\": expected YYYY-MM-DD (the start of that day, UTC) or "
                            "RFC 3339, e.g. 2026-12-01T09:30:00+07:00",
                            s);
    if (strlen(s) == 10)
        *out -= 86400 - 1;
    return 0;
}

/* The statement fields that need no network; refs are filled later. Strings
 * borrow from argv: st is never passed to gs_statement_clear. */
static int fill_local(const command *cmd, const values *vs, gs_statement *st, gs_error *err)
{
    const char *s;
    int r;
    st->kind = cmd->kind;
    st->issued_at = (int64_t)time(NULL);
    if (val(vs, F_ISSUED_AT) != NULL &&
        (r = parse_issued_at(val(vs, F_ISSUED_AT), &st->issued_at, err)) != 0)
        return gs_error_wrap(err, "--issued-at");
    switch (cmd->kind) {
    case GS_BODY_APPOINTMENT:
        if ((r = cli_parse_pubkey(val(vs, F_PERSON), &st->u.appointment.person, err)) != 0)
            return gs_error_wrap(err, "--person");
        st->u.appointment.name = val(vs, F_NAME);
        if ((r = gs_role_parse(val(vs, F_ROLE))) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "--role: expected head, deputy, officer or inspector, got \"%s\"",
                                val(vs, F_ROLE));
        st->u.appointment.role = (gs_role)r;
        s = val(vs, F_TITLE);
        st->u.appointment.title = (s != NULL ? s : "");
        s = val(vs, F_DECISION);
        st->u.appointment.decision = (s != NULL ? s : "");
        return 0;
    case GS_BODY_RESIGNATION:
        s = val(vs, F_REASON);
        st->u.resignation.reason = (s != NULL ? s : "");
        return 0;
    case GS_BODY_DISMISSAL:
        if ((r = cli_parse_pubkey(val(vs, F_PERSON), &st->u.dismissal.person, err)) != 0)
            return gs_error_wrap(err, "--person");
        st->u.dismissal.reason = val(vs, F_REASON);
        return 0;
    case GS_BODY_KEY_ROTATION:
        if (val(vs, F_NEW_PASS) != NULL) {
            gs_keypair nk;
            r = cli_load_key(val(vs, F_NEW_KEY), val(vs, F_NEW_PASS), &nk, err);
            st->u.key_rotation.new_key = nk.pub;
            gs_keypair_wipe(&nk);
        } else {
            r = gs_keyfile_read_public(val(vs, F_NEW_KEY), &st->u.key_rotation.new_key, err);
        }
        return r != 0 ? gs_error_wrap(err, "--new-key") : 0;
    case GS_BODY_COMMITMENT:
        st->u.commitment.id = val(vs, F_ID);
        st->u.commitment.title = val(vs, F_TITLE);
        st->u.commitment.indicator = val(vs, F_INDICATOR);
        st->u.commitment.unit_of_measure = val(vs, F_UOM);
        if ((r = gs_fixed_parse(val(vs, F_TARGET), &st->u.commitment.target, err)) != 0)
            return gs_error_wrap(err, "--target");
        if ((r = gs_direction_parse(val(vs, F_DIRECTION))) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "--direction: expected at-least or at-most, got \"%s\"",
                                val(vs, F_DIRECTION));
        st->u.commitment.direction = (gs_direction)r;
        /* Checked here, before any key is read; a date alone is resolved
         * in the unit's time zone once connected (fill_remote). */
        if ((r = cli_parse_date(val(vs, F_DEADLINE), &st->u.commitment.deadline, err)) != 0)
            return gs_error_wrap(err, "--deadline");
        return 0;
    case GS_BODY_REVISION:
        st->u.revision.commitment_id = val(vs, F_ID);
        st->u.revision.reason = val(vs, F_REASON);
        if (val(vs, F_TARGET) != NULL) {
            if ((r = gs_fixed_parse(val(vs, F_TARGET), &st->u.revision.target, err)) != 0)
                return gs_error_wrap(err, "--target");
            st->u.revision.has_target = true;
        }
        if (val(vs, F_DEADLINE) != NULL &&
            (r = cli_parse_date(val(vs, F_DEADLINE), &st->u.revision.deadline, err)) != 0)
            return gs_error_wrap(err, "--deadline");
        return 0;
    case GS_BODY_PROGRESS:
        st->u.progress.commitment_id = val(vs, F_ID);
        if ((r = gs_fixed_parse(val(vs, F_VALUE), &st->u.progress.value, err)) != 0)
            return gs_error_wrap(err, "--value");
        s = val(vs, F_NOTE);
        st->u.progress.note = (s != NULL ? s : "");
        if (val(vs, F_EVIDENCE) != NULL) {
            if ((r = cli_hash_file(val(vs, F_EVIDENCE), &st->u.progress.evidence_hash, err)) != 0)
                return r;
            st->u.progress.has_evidence = true;
        }
        return 0;
    case GS_BODY_OUTCOME:
        st->u.outcome.commitment_id = val(vs, F_ID);
        if ((r = gs_fixed_parse(val(vs, F_VALUE), &st->u.outcome.value, err)) != 0)
            return gs_error_wrap(err, "--value");
        if (val(vs, F_EVIDENCE) != NULL) {
            if ((r = cli_hash_file(val(vs, F_EVIDENCE), &st->u.outcome.evidence_hash, err)) != 0)
                return r;
            st->u.outcome.has_evidence = true;
        }
        return 0;
    case GS_BODY_FINDING:
        if ((r = gs_severity_parse(val(vs, F_SEVERITY))) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "--severity: expected low, medium or high, got \"%s\"",
                                val(vs, F_SEVERITY));
        st->u.finding.severity = (gs_severity)r;
        st->u.finding.text = val(vs, F_TEXT);
        if (vs->given & F_CONFIRMS)
            st->u.finding.verdict = GS_VERDICT_CONFIRMS;
        if (vs->given & F_CONTESTS)
            st->u.finding.verdict = GS_VERDICT_CONTESTS;
        if (val(vs, F_EVIDENCE) != NULL) {
            if ((r = cli_hash_file(val(vs, F_EVIDENCE), &st->u.finding.evidence_hash, err)) != 0)
                return r;
            st->u.finding.has_evidence = true;
        }
        return 0;
    case GS_BODY_FEEDBACK: {
        uint64_t n;
        st->u.feedback.text = val(vs, F_TEXT);
        /* Refused here, before anything is signed: the rule book would
         * refuse it too (rule 15, bad-rating). */
        if (val(vs, F_RATING) != NULL) {
            if (cli_parse_u64(val(vs, F_RATING), "--rating", &n, err) != 0 || n < 1 || n > 5)
                return gs_error_set(err, GS_EINVAL,
                                    "--rating: expected 1 (worst) to 5 (best), got \"%s\"",
                                    val(vs, F_RATING));
            st->u.feedback.rating = (uint32_t)n;
        }
        return 0;
    }
    case GS_BODY_RESPONSE: st->u.response.text = val(vs, F_TEXT); return 0;
    case GS_BODY_PARAMETER_CHANGE: {
        uint64_t n;
        if (val(vs, F_FEEDBACK_PER_DAY) == NULL && val(vs, F_OPEN_FEEDBACK_PER_DAY) == NULL &&
            val(vs, F_PARTIAL_PERCENT) == NULL)
            return gs_error_set(err, GS_EINVAL,
                                "give at least one of --feedback-per-day N, "
                                "--open-feedback-per-day N and --partial-percent N");
        if (val(vs, F_PARTIAL_PERCENT) != NULL) {
            if (cli_parse_u64(val(vs, F_PARTIAL_PERCENT), "--partial-percent", &n, err) != 0 ||
                n == 0 || n > UINT32_MAX)
                return gs_error_set(err, GS_EINVAL,
                                    "--partial-percent: expected 1 to 99, got \"%s\"",
                                    val(vs, F_PARTIAL_PERCENT));
            st->u.parameter_change.parameters.partial_percent = (uint32_t)n;
        }
        if (val(vs, F_FEEDBACK_PER_DAY) != NULL) {
            if (cli_parse_u64(val(vs, F_FEEDBACK_PER_DAY), "--feedback-per-day", &n, err) != 0 ||
                n == 0 || n > UINT32_MAX)
                return gs_error_set(err, GS_EINVAL,
                                    "--feedback-per-day: expected 1 to %d, got \"%s\"",
                                    GS_RULES_FEEDBACK_MAX, val(vs, F_FEEDBACK_PER_DAY));
            st->u.parameter_change.parameters.feedback_per_day = (uint32_t)n;
        }
        if (val(vs, F_OPEN_FEEDBACK_PER_DAY) != NULL) {
            if (cli_parse_u64(val(vs, F_OPEN_FEEDBACK_PER_DAY), "--open-feedback-per-day", &n,
                              err) != 0 ||
                n == 0 || n > UINT32_MAX)
                return gs_error_set(err, GS_EINVAL,
                                    "--open-feedback-per-day: expected 1 to %d, got \"%s\"",
                                    GS_RULES_OPEN_FEEDBACK_MAX, val(vs, F_OPEN_FEEDBACK_PER_DAY));
            st->u.parameter_change.parameters.open_feedback_per_day = (uint32_t)n;
        }
        return 0;
    }
    default: return gs_error_set(err, GS_EINVAL, "internal: unknown statement command");
    }
}

/* What needs the endpoint: references, whose entry may be fetched to hash
 * it, and a deadline given as a date alone, which ends in the unit's time
 * zone (its Charter's). Each parsed ref's origin is malloc'd: free_refs
 * releases them. */
static int fill_remote(const command *cmd, const values *vs, cli_conn *cn, gs_statement *st,
                       gs_error *err)
{
    int rc = 0;
    switch (cmd->kind) {
    case GS_BODY_REVISION:
        if (val(vs, F_DEADLINE) != NULL &&
            (rc = cli_parse_deadline(cn, val(vs, F_DEADLINE), &st->u.revision.deadline, err)) != 0)
            gs_error_wrap(err, "--deadline");
        break;
    case GS_BODY_COMMITMENT:
        if ((rc = cli_parse_deadline(cn, val(vs, F_DEADLINE), &st->u.commitment.deadline, err)) !=
            0) {
            gs_error_wrap(err, "--deadline");
            break;
        }
        if (val(vs, F_PARENT) != NULL) {
            rc = cli_parse_ref(cn, val(vs, F_PARENT), &st->u.commitment.parent, err);
            st->u.commitment.has_parent = rc == 0;
            if (rc != 0)
                gs_error_wrap(err, "--parent");
        }
        break;
    case GS_BODY_FINDING:
        if ((rc = cli_parse_ref(cn, val(vs, F_ABOUT), &st->u.finding.about, err)) != 0)
            gs_error_wrap(err, "--about");
        break;
    case GS_BODY_FEEDBACK:
        if (val(vs, F_ABOUT) != NULL) {
            rc = cli_parse_ref(cn, val(vs, F_ABOUT), &st->u.feedback.about, err);
            st->u.feedback.has_about = rc == 0;
            if (rc != 0)
                gs_error_wrap(err, "--about");
        }
        break;
    case GS_BODY_RESPONSE:
        if ((rc = cli_parse_ref(cn, val(vs, F_TO), &st->u.response.to, err)) != 0)
            gs_error_wrap(err, "--to");
        break;
    default: break;
    }
    return rc;
}

static void free_refs(gs_statement *st)
{
    switch (st->kind) {
    case GS_BODY_COMMITMENT: gs_wire_free(st->u.commitment.parent.origin); break;
    case GS_BODY_FINDING: gs_wire_free(st->u.finding.about.origin); break;
    case GS_BODY_FEEDBACK: gs_wire_free(st->u.feedback.about.origin); break;
    case GS_BODY_RESPONSE: gs_wire_free(st->u.response.to.origin); break;
    default: break;
    }
}

static int next_seq(cli_conn *cn, const gs_pubkey *signer, uint64_t *seq, gs_error *err)
{
    gs_request rq = {0};
    gs_response rs;
    int rc;
    rq.op = GS_OP_GET_SIGNER_STATE;
    rq.origin = cn->origin;
    rq.u.get_signer_state.signer = *signer;
    if ((rc = cli_call(cn, &rq, &rs, err)) != 0)
        return gs_error_wrap(err, "GetSignerState");
    if (rs.result != GS_RESULT_SIGNER_STATE || rs.u.signer_state.next_seq == 0) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EINVAL, "the node answered GetSignerState without a seq");
    }
    *seq = rs.u.signer_state.next_seq;
    gs_response_clear(&rs);
    return 0;
}

/* Submits entry and checks the receipt against the node key. */
static int submit(cli_conn *cn, const gs_buf *entry, gs_receipt *rc_out, gs_error *err)
{
    gs_request rq = {0};
    gs_response rs;
    gs_pubkey node_key;
    gs_hash leaf;
    int rc;
    rq.op = GS_OP_SUBMIT;
    rq.origin = cn->origin;
    rq.u.submit.entry = *entry; /* borrowed: rq is never cleared */
    /* A node just started holds writes while its start check asks its
     * witnesses what they hold of its log (at most its start_check_ms, on
     * its own clock): that answer says "retry shortly", and nothing was
     * stored, so the same bytes are sent again, for up to two minutes. */
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    bool told = false;
    for (int tries = 0;; tries++) {
        rc = cli_call(cn, &rq, &rs, err);
        if (rc != CLI_EREJECTED || strncmp(err->msg, "UNAVAILABLE: starting:", 22) != 0 ||
            tries >= 1200)
            break;
        if (!told)
            fprintf(stderr, "giamsat: the node is starting (%s); waiting\n", err->msg + 23);
        told = true;
        nanosleep(&pause, NULL);
    }
    if (rc != 0)
        return rc;
    if (rs.result != GS_RESULT_RECEIPT) {
        gs_response_clear(&rs);
        return gs_error_set(err, GS_EVERIFY,
                            "the node accepted the statement but sent no receipt; it may not "
                            "have stored it");
    }
    if ((rc = cli_node_key(cn, &node_key, err)) != 0) {
        gs_error_wrap(err, "the node accepted the statement but its receipt cannot be checked");
        goto out;
    }
    if ((rc = gs_wire_open_receipt(gs_bytes_of(rs.u.receipt.p, rs.u.receipt.n), &node_key, rc_out,
                                   err)) != 0) {
        gs_error_wrap(err, "the node's receipt does not verify against its key");
        rc = err->code = GS_EVERIFY;
        goto out;
    }
    gs_merkle_leaf_hash(gs_bytes_of(entry->p, entry->n), &leaf);
    if (strcmp(rc_out->origin, cn->origin) != 0 ||
        sodium_memcmp(leaf.b, rc_out->leaf_hash.b, sizeof leaf.b) != 0) {
        rc = gs_error_set(err, GS_EVERIFY,
                          "the node's receipt is for %s entry %llu with another leaf hash or "
                          "log, not for the statement sent",
                          rc_out->origin, (unsigned long long)rc_out->index);
        gs_receipt_clear(rc_out);
    }
out:
    gs_response_clear(&rs);
    return rc;
}

static int print_receipt(const cli_common *cf, const gs_receipt *r, gs_error *err)
{
    char h[45], t[32];
    cli_b64_32(r->leaf_hash.b, h);
    if (cf->json) {
        json_t *o = json_object();
        if (o == NULL)
            return gs_error_set(err, GS_ENOMEM, "out of memory");
        json_object_set_new(o, "origin", json_string(r->origin));
        json_object_set_new(o, "index", json_integer((json_int_t)r->index));
        json_object_set_new(o, "leaf_hash_b64", json_string(h));
        json_object_set_new(o, "time", json_integer((json_int_t)r->time));
        return cli_print_json(o, err);
    }
    cli_format_time(r->time, t, sizeof t);
    printf("accepted: %s entry %llu at %s, leaf hash %s\n", r->origin, (unsigned long long)r->index,
           t, h);
    return 0;
}

int cli_cmd_statement(const char *name, int argc, char **argv)
{
    const command *cmd = find_command(name);
    cli_common cf;
    values vs = {0};
    gs_statement st = {0};
    gs_keypair kp = {0};
    cli_conn cn = {0};
    gs_buf entry = {0};
    gs_receipt receipt = {0};
    gs_error err = {0};
    int rc;

    cli_common_init(&cf);
    if ((rc = parse_args(cmd, argc, argv, &cf, &vs)) != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if ((rc = fill_local(cmd, &vs, &st, &err)) != 0)
        goto out;
    if ((rc = cli_load_key(cf.key_file, cf.passphrase_file, &kp, &err)) != 0)
        goto out;
    if ((rc = cli_connect(&cn, &cf, &kp, &err)) != 0 || (rc = cli_find_origin(&cn, &err)) != 0 ||
        (rc = fill_remote(cmd, &vs, &cn, &st, &err)) != 0)
        goto out;
    st.signer = kp.pub;
    st.origin = cn.origin;
    if ((rc = next_seq(&cn, &kp.pub, &st.seq, &err)) != 0 ||
        (rc = gs_wire_sign_statement(&st, &kp, &entry, &err)) != 0)
        goto out;
    if ((rc = submit(&cn, &entry, &receipt, &err)) != 0) {
        if (rc == CLI_EREJECTED)
            gs_error_wrap(&err, "%s rejected", cmd->name);
        goto out;
    }
    rc = print_receipt(&cf, &receipt, &err);
    if (rc == 0 && cmd->kind == GS_BODY_KEY_ROTATION && !cf.json)
        fprintf(stderr, "giamsat: from now on sign with --key %s\n", val(&vs, F_NEW_KEY));
out:
    gs_receipt_clear(&receipt);
    gs_buf_free(&entry);
    free_refs(&st);
    cli_disconnect(&cn);
    gs_keypair_wipe(&kp);
    return rc == 0 ? CLI_EXIT_OK : cli_fail(&err);
}
