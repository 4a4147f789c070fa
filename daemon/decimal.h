/*
 * decimal.h - exact decimal numbers for amounts (CNY and other currencies), weights (kg)
 * and quantities, as CEB603 types them: N19,5 = at most 19 significant digits of which at
 * most 5 after the point, i.e. |value| <= 99999999999999.99999, the same domain as the
 * PostgreSQL column type numeric(19,5).
 *
 * A value is held as a signed 128-bit integer count of 10^-5 units, so arithmetic is exact
 * and no binary floating point is ever involved.
 */
#ifndef CUSTOMSD_DECIMAL_H
#define CUSTOMSD_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

#define DECIMAL_SCALE     5  /* digits after the point */
#define DECIMAL_PRECISION 19 /* total significant digits */
#define DECIMAL_TEXT_MAX  48 /* buffer size that holds any formatted decimal and its NUL */

struct decimal {
    __int128 units; /* value * 10^5 */
};

/*
 * Parse decimal text: an optional '-', digits, an optional '.' and digits, and an optional
 * exponent (e/E, optional sign, digits), i.e. the JSON number grammar (RFC 8259 section 6)
 * plus leading '+'-free plain forms such as "007" that CEB603 senders put in strings.
 * Leading zeros are allowed ("0012.50"); surrounding whitespace is not.
 * The value must be representable exactly in N19,5: after applying the exponent it has at
 * most 5 digits after the point (trailing zeros do not count) and at most 14 before it.
 * Input: `text` of `len` bytes (need not be NUL-terminated).
 * Returns 0 and sets *out, or -1 with a reason in err ("more than 5 digits after the
 * decimal point", "more than 14 digits before the decimal point", "not a decimal number").
 */
int decimal_parse(const char *text, size_t len, struct decimal *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * Write the canonical text of `d` into buf (size >= DECIMAL_TEXT_MAX): no exponent, no
 * leading zeros, trailing fractional zeros removed ("1399", "1.35", "-0.5", "0").
 * PostgreSQL's numeric input accepts this text unchanged. Returns the length written.
 */
size_t decimal_format(struct decimal d, char *buf, size_t buflen);

/* Build from an integer number of whole units (e.g. 3 -> 3.00000). */
struct decimal decimal_from_int(long long v);

/* -1, 0 or 1 as a < b, a == b, a > b. */
int decimal_cmp(struct decimal a, struct decimal b);

bool decimal_is_zero(struct decimal d);
bool decimal_is_negative(struct decimal d);

/* True when the value has no fractional part. */
bool decimal_is_integer(struct decimal d);

/*
 * Sum and difference. Return 0, or -1 when the result leaves the N19,5 range (the output
 * is then unspecified).
 */
int decimal_add(struct decimal a, struct decimal b, struct decimal *out)
    __attribute__((warn_unused_result));
int decimal_sub(struct decimal a, struct decimal b, struct decimal *out)
    __attribute__((warn_unused_result));

/*
 * Product rounded half away from zero to 5 digits after the point (qty x price).
 * Returns 0, or -1 when the result leaves the N19,5 range.
 */
int decimal_mul(struct decimal a, struct decimal b, struct decimal *out)
    __attribute__((warn_unused_result));

/*
 * Product rounded once, from the exact product, half away from zero to `scale` (0..5) digits
 * after the point: scale 2 gives qty x price in cents as CEB603 totalPrice is declared
 * (0.333 x 3 = 0.999 -> 1.00; 0.004995 -> 0.00, where rounding to 5 places first would give
 * 0.01). Returns 0, or -1 when scale > 5 or the result leaves the N19,5 range.
 */
int decimal_mul_round(struct decimal a, struct decimal b, unsigned scale, struct decimal *out)
    __attribute__((warn_unused_result));

/* Absolute value. */
struct decimal decimal_abs(struct decimal d);

#endif
