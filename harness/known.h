/*
 * known.h - violation classes already known on a weak variant, masked so that
 * a campaign reaches what lies behind them (issue 15).
 *
 * A class is a signature, the campaign's deduplication key (ci/campaign/
 * triage.py):  <property> @<op>[ <cited-op>...]. The list of a variant lives
 * in ci/known/<variant>.txt, one line per class:
 *
 *   id | signature pattern | weakness | regression
 *
 * A pattern matches a signature with the same property whose tokens it all
 * has: "must-fail-sc @sc <dma" matches "must-fail-sc @sc <dma <store" but not
 * "must-fail-sc @sc <store"; "sc-without-ll" alone matches every op.
 *
 * Masking is off unless LLSC_KNOWN names the folder of those files; then the
 * llsc targets of a variant with a file record a violation that matches a
 * line, adopt what the system did, and go on (llsc_fuzz.c). The corrected
 * variant is never masked: its file is not even read. LLSC_KNOWN_STATS names
 * a counter file shared by every process of a campaign session: each input
 * adds 1 per distinct masked signature it showed, so the report can say how
 * often each known class came up (campaign/knownstats.py reads it).
 */
#ifndef HARNESS_KNOWN_H
#define HARNESS_KNOWN_H

#include <stdbool.h>
#include <stddef.h>

#define KNOWN_SIG_MAX 112

/* The known list of a variant (by name: "v6", ...), loaded once from
 * $LLSC_KNOWN/<variant>.txt; NULL if masking is off or nothing is known. A
 * malformed file is a usage error: one line on stderr, exit 2. */
struct known_list;
const struct known_list *known_for_variant(const char *variant);

/* Parse a list from text (unit tests; the loader uses it). NULL and a message
 * in err on a malformed line. */
struct known_list *known_parse(const char *text, char *err, size_t errlen);
void known_free(struct known_list *k);

/* The id of the first line whose pattern matches signature, or NULL. */
const char *known_match(const struct known_list *k, const char *signature);
bool known_pattern_matches(const char *pattern, const char *signature);

/* Add 1 to signature's counter in $LLSC_KNOWN_STATS (nothing if unset). */
void known_count(const char *signature, const char *id);

#endif
