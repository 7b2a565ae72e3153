/* feed.h — what happened, per unit, per person and per commitment: the
 * events JSON the web view draws its timelines from and the Atom 1.0 feeds
 * (RFC 4287) a newsroom follows in its feed reader (issue 11 part 3,
 * docs/http.md "Data and feeds").
 *
 * A gs_feed is filled by an audit (audit.h): its sink wraps another one
 * (the report's, report.h), passes every call on, and keeps one event per
 * entry the rule book accepted (Observations excepted: they are the hub's
 * bookkeeping, not news). So an event is shown only for an entry whose
 * signature verified and which the rule book accepted; the events of a log
 * whose root did not match its trusted checkpoint, or that failed in any
 * way, are dropped when the log ends.
 *
 * Each event goes into the feeds of its subjects: its unit (the log), its
 * signer, the person it is about (an appointee, a dismissed member, the
 * signer of the entry a finding, feedback or response is about, the owner
 * of the commitment a progress, outcome, revision, finding or feedback
 * concerns) and that commitment. References are resolved through the audit's
 * leaf record (and, for the current page, through the last entries of the
 * log being read); a reference into a log read later is resolved by
 * gs_feed_finish (at most 100,000 of them per audit).
 *
 * Memory is bounded by design: a feed keeps at most GS_FEED_MAX_EVENTS
 * events (the newest, a heap that drops the oldest), an event is stored
 * once however many feeds hold it (reference counted, freed when the last
 * drops it) and its texts are cut to GS_FEED_TEXT_MAX bytes. So the memory
 * is at most GS_FEED_MAX_EVENTS events per subject, and subjects follow
 * units, people and commitments, as the report's records do; nothing grows
 * with the number of Progress entries of one commitment or of one person.
 *
 * Everything from a statement is untrusted: JSON is written by jansson,
 * Atom is XML-escaped (and the characters XML 1.0 forbids replaced).
 *
 * A filled gs_feed is read only: rendering from one thread at a time. Every
 * function that can fail returns 0 or a negative GS_E… code with err filled.
 */
#ifndef GS_FEED_H
#define GS_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"

#define GS_FEED_MAX_EVENTS 500
#define GS_FEED_TEXT_MAX 1024
/* A person's key in a URL: unpadded base64url (RFC 4648 §5), 43 chars. */
#define GS_FEED_KEY_URL_LEN 44

typedef enum {
    GS_FEED_UNIT = 0,
    GS_FEED_PERSON,
    GS_FEED_COMMITMENT,
} gs_feed_kind;

typedef struct gs_feed gs_feed;

/* A feed collector reading references through db (the leaf record the
 * audit is given; used only while the audit runs). Caller owns *out. */
int gs_feed_new(gs_feed **out, gs_audit_leafdb *db, gs_error *err);
/* Frees *fp and sets it to NULL; safe on NULL. */
void gs_feed_free(gs_feed **fp);

/* The sink to give gs_audit_run: every call goes to next (copied; any of
 * its functions may be NULL) after the feed took what it needs. */
void gs_feed_sink(gs_feed *f, const gs_audit_sink *next, gs_audit_sink *out);

/* After the audit, on its thread: sorts every feed once, newest first,
 * and writes each event's JSON once, so rendering only joins them (the
 * feed takes no more events). Rendering works without it, doing that work
 * each time. */
int gs_feed_finish(gs_feed *f, gs_error *err);

/* "unit", "person", "commitment"; and back (-1 for anything else). */
const char *gs_feed_kind_name(gs_feed_kind k);
int gs_feed_kind_parse(const char *s);

/* key as unpadded base64url (the URL form of a person). */
void gs_feed_key_url(const gs_pubkey *key, char out[GS_FEED_KEY_URL_LEN]);

/* Counts, for status. */
size_t gs_feed_subject_count(const gs_feed *f);
size_t gs_feed_event_count(const gs_feed *f);

/* The events JSON of a subject (docs/http.md "Data and feeds"): subject is
 * the origin, the person's URL key, or "<origin>/<index>". A malloc'd
 * NUL-terminated document in *out (length *len). GS_ENOTFOUND for a
 * subject the feed does not know. built_at is "updated" when the subject
 * has no event. */
int gs_feed_events_json(const gs_feed *f, gs_feed_kind k, const char *subject, int64_t built_at,
                        char **out, size_t *len, gs_error *err);

/* What an Atom document needs besides the events. */
typedef struct {
    const char *base; /* "https://hub.example" (no trailing '/'): every link starts with it */
    const char *lang; /* "vi" or "en" (NULL: "vi") for the titles */
    const char *hub;  /* the hub's origin: the feed's author */
    int64_t built_at; /* "updated" when the subject has no event */
} gs_feed_atom_opts;

/* The Atom 1.0 document of a subject, as gs_feed_events_json. */
int gs_feed_atom(const gs_feed *f, gs_feed_kind k, const char *subject, const gs_feed_atom_opts *o,
                 char **out, size_t *len, gs_error *err);

#endif
