/* report_html.h — the audit's report as one HTML page for the people who
 * read it (issue 10, part 6): a citizen, a journalist, an inspector.
 *
 * The page is drawn ONLY from the report's JSON document (docs/audit.md, the
 * contract; report.h builds it), so JSON carries every number the page
 * shows. Order: the evidence alert (when the audit met any evidence), the
 * summary (counts by status for the network and per unit, the heads who
 * answer for failures), the evidence itself, units, people (scorecards),
 * commitments, and the technical verification last. Pictures are inline
 * SVG (class "chart chart-…"); the file refers to nothing outside itself
 * (no script, no link, no external URL) and prints.
 *
 * Every string of the document is untrusted: escaped (< > & " ') and bidi
 * or zero-width characters shown as <U+XXXX> (gs_rules_invisible), never
 * obeyed. Labels come from one table, in English or Vietnamese. */
#ifndef GS_REPORT_HTML_H
#define GS_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"

/* Writes the page for doc in lang ("en" or "vi"; anything else is
 * GS_EINVAL) to out. doc is borrowed. GS_EIO when out cannot be written. */
int gs_report_html_write(json_t *doc, const char *lang, FILE *out, gs_error *err);

#endif
