/*
 * pattern.h - POSIX extended regular expressions matched against whole field values, fast
 * for the fixed shapes customs rules use.
 *
 * A pattern is compiled with regcomp(REG_EXTENDED | REG_NOSUB) and matched with the same
 * answers as regexec. Most patterns in a customs rule set have a fixed shape: anchored, a few
 * alternatives, each a fixed sequence of literal characters and bracket classes with {n}
 * counts (^[0-9]{10}$, ^[0-9A-F]{8}-[0-9A-F]{4}-...$, ^([0-9A-Z]{10}|NO)$). Those also
 * compile to a byte-set matcher: the value's length selects the alternatives and each byte is
 * one table look-up, where regexec (glibc) costs a few hundred nanoseconds per call.
 * Everything else (repetition ranges, *, +, ?, ., negated classes, escapes inside classes,
 * non-ASCII) is left to regexec.
 *
 * Bytes, not characters: customsd never calls setlocale, so regcomp works on bytes in the C
 * locale, which is exactly what the byte sets do. A compiled pattern is immutable; threads
 * may share it.
 */
#ifndef CUSTOMSD_PATTERN_H
#define CUSTOMSD_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct pattern; /* opaque */

/*
 * Compile `re` (a NUL-terminated POSIX extended regular expression). Returns 0 and *out, or
 * -1 with *out NULL and regerror's text in err ("Unmatched [, [^, [:, [., or [=", or "out of
 * memory"), without the expression, which the caller quotes as it sees fit.
 */
int pattern_compile(const char *re, struct pattern **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The NUL-terminated value s matches (what regexec(re, s) == 0 says). */
bool pattern_match(const struct pattern *p, const char *s);

/* The fixed-shape matcher decides (true), or regexec (false): for tests and diagnostics. */
bool pattern_is_fixed(const struct pattern *p);

void pattern_free(struct pattern *p); /* accepts NULL */

#endif
