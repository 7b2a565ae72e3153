/* policy.c — see policy.h. Syntax and semantics follow c2sp.org/tlog-policy:
 * "whitespace" is ASCII space and tab only; names are opaque octets;
 * witnesses and groups share one namespace in which "none" is reserved; a
 * group or the quorum may only name what earlier lines defined, which also
 * rules out cycles, so groups can be evaluated in file order. */
#define _POSIX_C_SOURCE 200809L
#include "policy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "note.h"

#define MAX_LINE_ITEMS 512 /* a group line: keyword, name, threshold, members */
#define MAX_URL 1024

typedef struct {
    gs_vkey key;
    char *url;
    unsigned line;
} pol_log;

typedef struct {
    char *name;
    gs_vkey key; /* alg 0x04 */
    char *url;
    unsigned line;
} pol_witness;

/* A member is a witness (index >= 0) or a group (-1 - index). */
typedef struct {
    char *name;
    size_t k, n;
    int *members;
    unsigned line;
} pol_group;

struct gs_policy {
    pol_log logs[GS_POLICY_MAX_LOGS];
    size_t n_logs;
    pol_witness witnesses[GS_POLICY_MAX_WITNESSES];
    size_t n_witnesses;
    pol_group groups[GS_POLICY_MAX_GROUPS];
    size_t n_groups;
    bool has_quorum;
    unsigned quorum_line;
    int quorum; /* a member as above; meaningless when quorum_none */
    bool quorum_none;
};

void gs_policy_free(gs_policy **pp)
{
    if (pp == NULL || *pp == NULL)
        return;
    gs_policy *p = *pp;
    for (size_t i = 0; i < p->n_logs; i++)
        free(p->logs[i].url);
    for (size_t i = 0; i < p->n_witnesses; i++) {
        free(p->witnesses[i].name);
        free(p->witnesses[i].url);
    }
    for (size_t i = 0; i < p->n_groups; i++) {
        free(p->groups[i].name);
        free(p->groups[i].members);
    }
    free(p);
    *pp = NULL;
}

/* A line split into items; items point into buf (NUL-terminated copies). */
typedef struct {
    char *item[MAX_LINE_ITEMS];
    size_t n;
} line_items;

/* Looks a name up among witnesses and groups; returns 1 and the member code
 * when defined. */
static int find_name(const gs_policy *p, const char *name, int *member, unsigned *line)
{
    for (size_t i = 0; i < p->n_witnesses; i++)
        if (strcmp(p->witnesses[i].name, name) == 0) {
            *member = (int)i;
            *line = p->witnesses[i].line;
            return 1;
        }
    for (size_t i = 0; i < p->n_groups; i++)
        if (strcmp(p->groups[i].name, name) == 0) {
            *member = -1 - (int)i;
            *line = p->groups[i].line;
            return 1;
        }
    return 0;
}

static int dup_or_null(char **out, const char *s, gs_error *err)
{
    *out = NULL;
    if (s == NULL)
        return 0;
    if (strlen(s) > MAX_URL)
        return gs_error_set(err, GS_ETOOBIG, "the URL is longer than %d bytes", MAX_URL);
    if ((*out = strdup(s)) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    return 0;
}

/* Checks a new witness or group name against the namespace. */
static int new_name(const gs_policy *p, const char *name, gs_error *err)
{
    int m;
    unsigned line;
    if (strcmp(name, "none") == 0)
        return gs_error_set(err, GS_EINVAL,
                            "the name \"none\" is reserved for `quorum none` and cannot be "
                            "defined");
    if (strlen(name) > GS_VKEY_NAME_MAX)
        return gs_error_set(err, GS_EINVAL, "the name is longer than %d bytes", GS_VKEY_NAME_MAX);
    if (find_name(p, name, &m, &line))
        return gs_error_set(err, GS_EINVAL, "the name \"%s\" is already defined on line %u", name,
                            line);
    return 0;
}

static int parse_log(gs_policy *p, const line_items *li, unsigned line, gs_error *err)
{
    gs_vkey vk;
    int rc;
    if (li->n < 2 || li->n > 3)
        return gs_error_set(err, GS_EINVAL,
                            "`log` takes a verifier key and an optional URL (log <vkey> [<url>]); "
                            "found %zu items after it",
                            li->n - 1);
    if ((rc = gs_vkey_parse(li->item[1], &vk, err)) != 0)
        return gs_error_wrap(err, "log key");
    if (vk.alg != GS_VKEY_ALG_ED25519)
        return gs_error_set(err, GS_EINVAL,
                            "log key %s is algorithm 0x%02x; a log signs checkpoints with an "
                            "Ed25519 note key (0x01)",
                            vk.name, vk.alg);
    for (size_t i = 0; i < p->n_logs; i++) {
        if (memcmp(p->logs[i].key.key.b, vk.key.b, sizeof vk.key.b) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "log key %s wraps the same public key as the log on line %u",
                                vk.name, p->logs[i].line);
        if (strcmp(p->logs[i].key.name, vk.name) == 0)
            return gs_error_set(err, GS_EINVAL, "origin %s already has a log key, on line %u",
                                vk.name, p->logs[i].line);
    }
    if (p->n_logs == GS_POLICY_MAX_LOGS)
        return gs_error_set(err, GS_ETOOBIG, "more than %d logs", GS_POLICY_MAX_LOGS);
    pol_log *l = &p->logs[p->n_logs];
    if ((rc = dup_or_null(&l->url, li->n == 3 ? li->item[2] : NULL, err)) != 0)
        return rc;
    l->key = vk;
    l->line = line;
    p->n_logs++;
    return 0;
}

static int parse_witness(gs_policy *p, const line_items *li, unsigned line, gs_error *err)
{
    gs_vkey vk, cos;
    int rc;
    if (li->n < 3 || li->n > 4)
        return gs_error_set(err, GS_EINVAL,
                            "`witness` takes a name, a verifier key and an optional URL "
                            "(witness <name> <vkey> [<url>]); found %zu items after it",
                            li->n - 1);
    if ((rc = new_name(p, li->item[1], err)) != 0)
        return rc;
    if ((rc = gs_vkey_parse(li->item[2], &vk, err)) != 0)
        return gs_error_wrap(err, "witness %s", li->item[1]);
    /* c2sp.org/tlog-cosignature: cosigner keys are alg 0x04. An 0x01 key
     * wraps the same Ed25519 key (`giamsat key show` without --cosigner). */
    if ((rc = gs_vkey_make(&cos, vk.name, GS_VKEY_ALG_COSIGNATURE_V1, &vk.key, err)) != 0)
        return gs_error_wrap(err, "witness %s", li->item[1]);
    for (size_t i = 0; i < p->n_witnesses; i++)
        if (memcmp(p->witnesses[i].key.key.b, vk.key.b, sizeof vk.key.b) == 0)
            return gs_error_set(err, GS_EINVAL,
                                "witness %s wraps the same public key as witness %s on line %u",
                                li->item[1], p->witnesses[i].name, p->witnesses[i].line);
    if (p->n_witnesses == GS_POLICY_MAX_WITNESSES)
        return gs_error_set(err, GS_ETOOBIG, "more than %d witnesses", GS_POLICY_MAX_WITNESSES);
    pol_witness *w = &p->witnesses[p->n_witnesses];
    if ((w->name = strdup(li->item[1])) == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    if ((rc = dup_or_null(&w->url, li->n == 4 ? li->item[3] : NULL, err)) != 0) {
        free(w->name);
        w->name = NULL;
        return rc;
    }
    w->key = cos;
    w->line = line;
    p->n_witnesses++;
    return 0;
}

/* A threshold k: "all", "any" or decimal 1..n without sign or leading zero. */
static int parse_threshold(const char *s, size_t n, size_t *k, gs_error *err)
{
    if (strcmp(s, "all") == 0) {
        *k = n;
        return 0;
    }
    if (strcmp(s, "any") == 0) {
        *k = 1;
        return 0;
    }
    size_t v = 0;
    if (s[0] == '\0' || s[0] == '0')
        goto bad;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9' || v > 100000)
            goto bad;
        v = v * 10 + (size_t)(*c - '0');
    }
    if (v > n)
        return gs_error_set(err, GS_EINVAL, "threshold %zu is more than the group's %zu members", v,
                            n);
    *k = v;
    return 0;
bad:
    return gs_error_set(err, GS_EINVAL,
                        "threshold \"%s\" is not all, any or a number from 1 to the %zu members", s,
                        n);
}

static int parse_group(gs_policy *p, const line_items *li, unsigned line, gs_error *err)
{
    int rc;
    size_t k = 0, n = 0;
    if (li->n < 4)
        return gs_error_set(err, GS_EINVAL,
                            "`group` takes a name, a threshold and at least one member "
                            "(group <name> all|any|<k> <member>...)");
    if ((rc = new_name(p, li->item[1], err)) != 0)
        return rc;
    n = li->n - 3;
    if ((rc = parse_threshold(li->item[2], n, &k, err)) != 0)
        return gs_error_wrap(err, "group %s", li->item[1]);
    if (p->n_groups == GS_POLICY_MAX_GROUPS)
        return gs_error_set(err, GS_ETOOBIG, "more than %d groups", GS_POLICY_MAX_GROUPS);
    int *members = calloc(n, sizeof *members);
    if (members == NULL)
        return gs_error_set(err, GS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *name = li->item[3 + i];
        unsigned at;
        if (strcmp(name, "none") == 0) {
            rc = gs_error_set(err, GS_EINVAL, "group %s: \"none\" cannot be a group member",
                              li->item[1]);
            goto fail;
        }
        if (!find_name(p, name, &members[i], &at)) {
            rc = gs_error_set(err, GS_EINVAL,
                              "group %s: member \"%s\" is not a witness or group defined on an "
                              "earlier line",
                              li->item[1], name);
            goto fail;
        }
        for (size_t j = 0; j < i; j++)
            if (members[j] == members[i]) {
                rc = gs_error_set(err, GS_EINVAL, "group %s: member \"%s\" is listed twice",
                                  li->item[1], name);
                goto fail;
            }
    }
    pol_group *g = &p->groups[p->n_groups];
    if ((g->name = strdup(li->item[1])) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory");
        goto fail;
    }
    g->k = k;
    g->n = n;
    g->members = members;
    g->line = line;
    p->n_groups++;
    return 0;
fail:
    free(members);
    return rc;
}

static int parse_quorum(gs_policy *p, const line_items *li, unsigned line, gs_error *err)
{
    unsigned at;
    if (li->n != 2)
        return gs_error_set(err, GS_EINVAL,
                            "`quorum` takes exactly one name (quorum <name>|none); found %zu",
                            li->n - 1);
    if (p->has_quorum)
        return gs_error_set(err, GS_EINVAL,
                            "a second quorum line; the quorum is already defined on line %u",
                            p->quorum_line);
    if (strcmp(li->item[1], "none") == 0) {
        p->quorum_none = true;
    } else if (!find_name(p, li->item[1], &p->quorum, &at)) {
        return gs_error_set(err, GS_EINVAL,
                            "quorum \"%s\" is not none or a witness or group defined on an "
                            "earlier line",
                            li->item[1]);
    }
    p->has_quorum = true;
    p->quorum_line = line;
    return 0;
}

/* Splits one line (NUL-terminated, in place) into items; a '#' starting an
 * item ends the line. */
static int split_line(char *s, line_items *li, gs_error *err)
{
    li->n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            break;
        if (li->n == MAX_LINE_ITEMS)
            return gs_error_set(err, GS_ETOOBIG, "more than %d items on one line", MAX_LINE_ITEMS);
        li->item[li->n++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
    }
    return 0;
}

int gs_policy_parse(const char *buf, size_t len, const char *source, gs_policy **out, gs_error *err)
{
    int rc = 0;
    gs_policy *p = NULL;
    char *copy = NULL;
    line_items *li = NULL;
    unsigned line = 0;
    if (source == NULL)
        source = "trust file";
    if (out == NULL || (buf == NULL && len > 0))
        return gs_error_set(err, GS_EINVAL, "gs_policy_parse needs a buffer and an output");
    *out = NULL;
    if (len > GS_POLICY_MAX_FILE)
        return gs_error_set(err, GS_ETOOBIG,
                            "%s: %zu bytes, more than the %d a trust file may have", source, len,
                            GS_POLICY_MAX_FILE);
    p = calloc(1, sizeof *p);
    copy = malloc(len + 1);
    li = malloc(sizeof *li);
    if (p == NULL || copy == NULL || li == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory reading %s", source);
        goto out;
    }
    if (len > 0)
        memcpy(copy, buf, len);
    copy[len] = '\0';
    size_t at = 0;
    while (at < len) {
        line++;
        size_t end = at;
        while (end < len && copy[end] != '\n')
            end++;
        copy[end] = '\0';
        /* c2sp.org/tlog-policy "Character set": tab, newline, 0x20-0x7E and
         * octets with the high bit set; nothing else. */
        for (size_t i = at; i < end; i++) {
            unsigned char c = (unsigned char)copy[i];
            if (c == '\t' || (c >= 0x20 && c != 0x7f))
                continue;
            rc = gs_error_set(
                err, GS_EINVAL, "%s:%u: control character 0x%02x is not allowed%s", source, line, c,
                c == '\r' ? " (carriage return: save the file with \\n line ends)" : "");
            goto out;
        }
        if ((rc = split_line(copy + at, li, err)) != 0)
            goto fail_line;
        at = end + 1;
        if (li->n == 0)
            continue;
        const char *kw = li->item[0];
        if (strcmp(kw, "log") == 0)
            rc = parse_log(p, li, line, err);
        else if (strcmp(kw, "witness") == 0)
            rc = parse_witness(p, li, line, err);
        else if (strcmp(kw, "group") == 0)
            rc = parse_group(p, li, line, err);
        else if (strcmp(kw, "quorum") == 0)
            rc = parse_quorum(p, li, line, err);
        else
            rc = gs_error_set(err, GS_EINVAL,
                              "unknown keyword \"%.40s\"; a line is log, witness, group, quorum or "
                              "a # comment",
                              kw);
        if (rc != 0)
            goto fail_line;
    }
    if (!p->has_quorum) {
        rc = gs_error_set(err, GS_EINVAL,
                          "%s: no quorum line; add exactly one (`quorum none` when no "
                          "cosignature is required)",
                          source);
        goto out;
    }
    *out = p;
    p = NULL;
    rc = 0;
    goto out;
fail_line:
    gs_error_wrap(err, "%s:%u", source, line);
out:
    gs_policy_free(&p);
    free(copy);
    free(li);
    return rc;
}

int gs_policy_load(const char *path, gs_policy **out, gs_error *err)
{
    int rc;
    char *buf = NULL;
    size_t n = 0;
    FILE *fp;
    if (path == NULL || out == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_policy_load needs a path and an output");
    *out = NULL;
    if ((fp = fopen(path, "rb")) == NULL)
        return gs_error_set(err, GS_EIO, "cannot open trust file %s: %s", path, strerror(errno));
    if ((buf = malloc(GS_POLICY_MAX_FILE + 1)) == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory reading %s", path);
        goto out;
    }
    n = fread(buf, 1, GS_POLICY_MAX_FILE + 1, fp);
    if (ferror(fp)) {
        rc = gs_error_set(err, GS_EIO, "cannot read trust file %s: %s", path, strerror(errno));
        goto out;
    }
    if (n > GS_POLICY_MAX_FILE) {
        rc = gs_error_set(err, GS_ETOOBIG, "trust file %s is larger than %d bytes", path,
                          GS_POLICY_MAX_FILE);
        goto out;
    }
    rc = gs_policy_parse(buf, n, path, out, err);
out:
    free(buf);
    fclose(fp);
    return rc;
}

size_t gs_policy_log_count(const gs_policy *p)
{
    return p != NULL ? p->n_logs : 0;
}

const gs_vkey *gs_policy_log_at(const gs_policy *p, size_t i, const char **url)
{
    if (p == NULL || i >= p->n_logs)
        return NULL;
    if (url != NULL)
        *url = p->logs[i].url != NULL ? p->logs[i].url : "";
    return &p->logs[i].key;
}

int gs_policy_log_key(const gs_policy *p, const char *origin, gs_vkey *out, gs_error *err)
{
    if (p == NULL || origin == NULL || out == NULL)
        return gs_error_set(err, GS_EINVAL, "gs_policy_log_key needs a policy, origin and output");
    for (size_t i = 0; i < p->n_logs; i++)
        if (strcmp(p->logs[i].key.name, origin) == 0) {
            *out = p->logs[i].key;
            return 0;
        }
    return gs_error_set(err, GS_ENOTFOUND, "origin %s is not a log in the trust file", origin);
}

size_t gs_policy_witness_count(const gs_policy *p)
{
    return p != NULL ? p->n_witnesses : 0;
}

const gs_vkey *gs_policy_witness_at(const gs_policy *p, size_t i, const char **name,
                                    const char **url)
{
    if (p == NULL || i >= p->n_witnesses)
        return NULL;
    if (name != NULL)
        *name = p->witnesses[i].name;
    if (url != NULL)
        *url = p->witnesses[i].url != NULL ? p->witnesses[i].url : "";
    return &p->witnesses[i].key;
}

int gs_policy_find_witness(const gs_policy *p, const gs_pubkey *key)
{
    if (p == NULL || key == NULL)
        return -1;
    for (size_t i = 0; i < p->n_witnesses; i++)
        if (memcmp(p->witnesses[i].key.key.b, key->b, sizeof key->b) == 0)
            return (int)i;
    return -1;
}

bool gs_policy_quorum_none(const gs_policy *p)
{
    return p != NULL && p->quorum_none;
}

static const char *member_name(const gs_policy *p, int m)
{
    return m >= 0 ? p->witnesses[m].name : p->groups[-1 - m].name;
}

const char *gs_policy_quorum_name(const gs_policy *p)
{
    if (p == NULL || !p->has_quorum)
        return "";
    return p->quorum_none ? "none" : member_name(p, p->quorum);
}

/* Whether witness i counts toward the quorum: a valid cosignature, or the
 * log's own key on its own checkpoint. */
static bool witnessed(const gs_policy_result *r, size_t i)
{
    return r->cosigned[i] || (r->self_counted && r->self_witness == i);
}

void gs_policy_result_clear(gs_policy_result *r)
{
    if (r == NULL)
        return;
    free(r->cosigned);
    free(r->timestamps);
    free(r->bad);
    memset(r, 0, sizeof *r);
}

size_t gs_policy_group_count(const gs_policy *p)
{
    return p != NULL ? p->n_groups : 0;
}

const char *gs_policy_group_at(const gs_policy *p, size_t i, size_t *k, size_t *n)
{
    if (p == NULL || i >= p->n_groups)
        return NULL;
    if (k != NULL)
        *k = p->groups[i].k;
    if (n != NULL)
        *n = p->groups[i].n;
    return p->groups[i].name;
}

const char *gs_policy_group_member(const gs_policy *p, size_t i, size_t j, bool *is_group)
{
    if (p == NULL || i >= p->n_groups || j >= p->groups[i].n)
        return NULL;
    int m = p->groups[i].members[j];
    if (is_group != NULL)
        *is_group = m < 0;
    return member_name(p, m);
}

bool gs_policy_name_defined(const gs_policy *p, const char *name)
{
    int m;
    unsigned line;
    return p != NULL && name != NULL && find_name(p, name, &m, &line);
}

int gs_policy_verify_checkpoint(const gs_policy *p, const char *note, size_t len,
                                gs_policy_result *res, gs_error *err)
{
    return gs_policy_verify_checkpoint_key(p, note, len, NULL, res, err);
}

int gs_policy_verify_checkpoint_key(const gs_policy *p, const char *note, size_t len,
                                    const gs_vkey *signed_by, gs_policy_result *res, gs_error *err)
{
    int rc;
    gs_note *n = NULL;
    gs_checkpoint cp = {0};
    gs_policy_result local = {0};
    bool *group_ok = NULL;
    const char *body;
    size_t body_len;
    gs_vkey log_key;
    gs_policy_result *r = res != NULL ? res : &local;
    memset(r, 0, sizeof *r);
    if (p == NULL || note == NULL)
        return gs_error_set(err, GS_EINVAL,
                            "gs_policy_verify_checkpoint needs a policy and a note");
    r->n_witnesses = p->n_witnesses;
    r->cosigned = calloc(p->n_witnesses + 1, sizeof *r->cosigned);
    r->timestamps = calloc(p->n_witnesses + 1, sizeof *r->timestamps);
    r->bad = calloc(p->n_witnesses + 1, sizeof *r->bad);
    group_ok = calloc(p->n_groups + 1, sizeof *group_ok);
    if (r->cosigned == NULL || r->timestamps == NULL || r->bad == NULL || group_ok == NULL) {
        rc = gs_error_set(err, GS_ENOMEM, "out of memory checking a checkpoint");
        goto out;
    }
    if ((rc = gs_note_parse(note, len, &n, err)) != 0)
        goto out;
    body = gs_note_text(n, &body_len);
    if ((rc = gs_checkpoint_parse(body, body_len, &cp, err)) != 0)
        goto out;
    snprintf(r->origin, sizeof r->origin, "%s", cp.origin);
    r->size = cp.size;
    r->root = cp.root;
    if ((rc = gs_policy_log_key(p, cp.origin, &log_key, err)) != 0)
        goto out;
    if (signed_by != NULL)
        log_key = *signed_by;
    if ((rc = gs_note_verify(n, &log_key, 1, NULL, NULL, err)) != 0) {
        gs_error_wrap(err, "checkpoint of %s is not signed by its log key in the trust file",
                      cp.origin);
        goto out;
    }
    r->log_signed = true;
    /* The log's own key among the witnesses (a hub's own log): its
     * signature on the checkpoint says what its cosignature would
     * (policy.h). */
    int self = gs_policy_find_witness(p, &log_key.key);
    if (self >= 0) {
        r->self_counted = true;
        r->self_witness = (size_t)self;
    }
    for (size_t i = 0; i < p->n_witnesses; i++) {
        gs_error why = {0};
        int64_t ts = 0;
        int vr = gs_cosignature_verify(n, &p->witnesses[i].key, &ts, &why);
        if (vr == 0) {
            r->cosigned[i] = true;
            r->timestamps[i] = ts;
        } else if (vr == GS_EVERIFY || vr == GS_EINVAL) {
            r->bad[i] = true;
        } else if (vr != GS_ENOTFOUND) {
            rc = gs_error_set(err, vr, "checking the cosignature of %s: %s", p->witnesses[i].name,
                              why.msg);
            goto out;
        }
    }
    /* Groups only name earlier lines, so file order evaluates members
     * before the groups that hold them. */
    for (size_t g = 0; g < p->n_groups; g++) {
        size_t have = 0;
        for (size_t i = 0; i < p->groups[g].n; i++) {
            int m = p->groups[g].members[i];
            have += m >= 0 ? witnessed(r, (size_t)m) : group_ok[-1 - m];
        }
        group_ok[g] = have >= p->groups[g].k;
    }
    if (p->quorum_none)
        r->quorum_met = true;
    else
        r->quorum_met = p->quorum >= 0 ? witnessed(r, (size_t)p->quorum) : group_ok[-1 - p->quorum];
    if (!r->quorum_met) {
        char who[256] = "";
        size_t off = 0;
        for (size_t i = 0; i < p->n_witnesses && off < sizeof who; i++) {
            if (!witnessed(r, i))
                continue;
            int w = snprintf(who + off, sizeof who - off, "%s%s%s", off ? ", " : "",
                             p->witnesses[i].name, r->cosigned[i] ? "" : " (its own log)");
            if (w < 0 || (size_t)w >= sizeof who - off)
                break;
            off += (size_t)w;
        }
        rc = gs_error_set(
            err, GS_EVERIFY,
            "checkpoint of %s at size %" PRIu64 " does not meet the quorum %s: cosigned by %s",
            cp.origin, cp.size, member_name(p, p->quorum), off ? who : "no listed witness");
        goto out;
    }
    rc = 0;
out:
    free(group_ok);
    gs_checkpoint_clear(&cp);
    gs_note_free(&n);
    gs_policy_result_clear(&local);
    return rc;
}
