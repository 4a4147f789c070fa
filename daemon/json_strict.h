/*
 * json_strict.h - strict JSON validation (RFC 8259) of a Kafka record before json-c parses
 * it. json-c is lenient where a customs record must not be: it accepts leading zeros,
 * "1.", raw control characters in strings, overlong or surrogate UTF-8, NaN/Infinity, and
 * silently keeps the last of duplicate keys. Its strict UTF-8 rule also decides what text
 * the batch document may carry (json_strict_text).
 */
#ifndef CUSTOMSD_JSON_STRICT_H
#define CUSTOMSD_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Validate s[0..len) (need not be NUL-terminated) as exactly one JSON text (RFC 8259
 * section 2; surrounding whitespace allowed) with strict UTF-8 (Unicode table 3-7), unique
 * keys in every object (compared after unescaping), no lone UTF-16 surrogate escapes, and
 * at most `max_depth` nested objects/arrays (the top level counts as 1).
 * Returns 0; -1 with "invalid JSON at byte N in PATH: what" in err; or -2 with
 * "duplicate key \"K\" in PATH" when the refusal is a duplicate key (the text up to it
 * was valid, so a caller may still read fields from it to address a receipt).
 */
int json_strict_validate(const char *s, size_t len, int max_depth, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Whether p[0..len) is text a PostgreSQL text column (and a JSON string) can hold: strict
 * UTF-8 as the validator accepts it (Unicode table 3-7: no overlongs, no encoded
 * surrogates, nothing above U+10FFFF) and no NUL byte. An empty text is fine.
 */
bool json_strict_text(const void *p, size_t len);

#endif
