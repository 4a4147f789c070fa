/*
 * decl_forms.c - test tool: the JSON and the CEB603 XML form of the same records (written by
 * gen_declarations without and with -x, same seed) decode to the same struct declaration and
 * get the same decision from a rule set, record by record, as customsd's consumer decides
 * them (declaration_decode, rules_evaluate, matching_hold).
 *
 *   decl_forms RULES JSON_FRAMES XML_FRAMES EXPECT_FILE
 *
 * EXPECT_FILE is gen_declarations' -e output of the JSON run (its class and detail columns).
 * For every record pair: both refused (quarantined) or both decoded; the same key for the
 * receipt (declaration_decode's key_out); when decoded, every field of the head and of every
 * item equal (text byte for byte, decimals and integers by value), the same faults (item,
 * name, value, text/JSON, why) and the same decision (status, and per reason the rule id,
 * action, severity, message, message_zh, value). The two format defects XML cannot carry
 * (fmt_nul_in_gname, fmt_gross_weight_bool: a NUL, a boolean) must give faults at the same
 * fields and the same status and rule ids; their words differ.
 * Prints one summary line; exits 0 when every record agrees, 1 otherwise (each difference
 * printed, the first 20), 2 on a usage or input error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declaration.h"
#include "matching.h"
#include "rules.h"

struct frames {
    char *p;
    size_t len, pos;
};

static int read_all(const char *path, struct frames *f)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 1 << 20;

    if (!fp) {
        fprintf(stderr, "decl_forms: %s: %s\n", path, strerror(errno));
        return -1;
    }
    f->p = malloc(cap);
    f->len = f->pos = 0;
    while (f->p) {
        size_t n = fread(f->p + f->len, 1, cap - f->len, fp);
        f->len += n;
        if (f->len < cap)
            break;
        cap *= 2;
        char *np = realloc(f->p, cap);
        if (!np) {
            free(f->p);
            f->p = NULL;
        }
        f->p = np;
    }
    fclose(fp);
    if (!f->p) {
        fprintf(stderr, "decl_forms: out of memory\n");
        return -1;
    }
    return 0;
}

/* The next framed record ("KEYLEN VALLEN\n" key value "\n"): 1, 0 at the end, -1 when bad. */
static int next_frame(struct frames *f, const char **val, size_t *vlen)
{
    long klen;
    size_t n;
    int used;

    if (f->pos >= f->len)
        return 0;
    if (sscanf(f->p + f->pos, "%ld %zu\n%n", &klen, &n, &used) != 2)
        return -1;
    f->pos += (size_t)used + (klen > 0 ? (size_t)klen : 0);
    if (f->pos + n + 1 > f->len)
        return -1;
    *val = f->p + f->pos;
    *vlen = n;
    f->pos += n + 1;
    return 1;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The first field of `table` that differs between a and b, or NULL. */
static const char *fields_differ(const struct decl_field *table, size_t n, const void *a,
                                 const void *b)
{
    for (size_t i = 0; i < n; i++) {
        const struct decl_field *f = &table[i];
        bool same = true;
        if (f->kind == DECL_STRING) {
            same = same_text(decl_get_string(a, f), decl_get_string(b, f));
        } else if (f->kind == DECL_DECIMAL) {
            const struct decl_decimal *x = decl_get_decimal(a, f), *y = decl_get_decimal(b, f);
            same =
                x->present == y->present && (!x->present || decimal_cmp(x->value, y->value) == 0);
        } else {
            const struct decl_integer *x = decl_get_integer(a, f), *y = decl_get_integer(b, f);
            same = x->present == y->present && (!x->present || x->value == y->value);
        }
        if (!same)
            return f->name;
    }
    return NULL;
}

/* What differs between the decoded pair (words), or NULL; loose: faults by place only. */
static const char *decls_differ(const struct declaration *a, const struct declaration *b,
                                bool loose, char *buf, size_t buflen)
{
    const char *f = fields_differ(decl_head_fields, decl_head_field_count, a, b);
    if (f) {
        snprintf(buf, buflen, "field %s", f);
        return buf;
    }
    if (a->n_items != b->n_items)
        return "item count";
    for (size_t i = 0; i < a->n_items; i++) {
        f = fields_differ(decl_item_fields, decl_item_field_count, &a->items[i], &b->items[i]);
        if (f) {
            snprintf(buf, buflen, "items[%zu].%s", i, f);
            return buf;
        }
    }
    if (a->n_faults != b->n_faults)
        return "fault count";
    for (size_t k = 0; k < a->n_faults && k < DECL_MAX_FAULTS; k++) {
        const struct decl_fault *x = &a->faults[k], *y = &b->faults[k];
        if (x->item != y->item || strcmp(x->name, y->name) != 0) {
            snprintf(buf, buflen, "fault %zu place (%s / %s)", k, x->name, y->name);
            return buf;
        }
        if (!loose && (x->text != y->text || strcmp(x->value, y->value) != 0 ||
                       strcmp(x->why, y->why) != 0)) {
            snprintf(buf, buflen, "fault %zu: '%s' %s / '%s' %s", k, x->value, x->why, y->value,
                     y->why);
            return buf;
        }
    }
    return NULL;
}

static const char *decisions_differ(const struct decision *a, const struct decision *b, bool loose)
{
    if (a->status_code != b->status_code)
        return "status";
    if (a->n_reasons != b->n_reasons)
        return "reason count";
    for (size_t k = 0; k < a->n_reasons; k++) {
        const struct reason *x = &a->reasons[k], *y = &b->reasons[k];
        if (!same_text(x->rule_id, y->rule_id))
            return "reason rule id";
        if (loose)
            continue;
        if (x->action != y->action || x->severity != y->severity ||
            !same_text(x->message, y->message) || !same_text(x->message_zh, y->message_zh) ||
            !same_text(x->value, y->value))
            return "reason content";
    }
    return NULL;
}

/* Decode and decide one record as the consumer does; *d NULL when refused. */
static int decide(const struct rules *r, const char *val, size_t len, struct declaration **d,
                  char **key, struct decision *dec, char *err, size_t errlen)
{
    *d = declaration_decode(val, len, 0, key, err, errlen);
    if (!*d)
        return 0;
    if (rules_evaluate(r, *d, dec) < 0) {
        fprintf(stderr, "decl_forms: out of memory\n");
        return -1;
    }
    matching_hold(r, *d, dec);
    return 0;
}

int main(int argc, char **argv)
{
    struct frames fj = {0}, fx = {0};
    struct rules *r = NULL;
    char err[1024], line[1024];
    FILE *expect = NULL;
    size_t records = 0, decided = 0, refused = 0, loose_n = 0, diffs = 0;
    int rc = 2;

    if (argc != 5) {
        fprintf(stderr, "usage: decl_forms RULES JSON_FRAMES XML_FRAMES EXPECT_FILE\n");
        return 2;
    }
    if (rules_load(argv[1], &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "decl_forms: %s\n", err);
        return 2;
    }
    if (read_all(argv[2], &fj) < 0 || read_all(argv[3], &fx) < 0)
        goto out;
    if (!(expect = fopen(argv[4], "r"))) {
        fprintf(stderr, "decl_forms: %s: %s\n", argv[4], strerror(errno));
        goto out;
    }
    for (;;) {
        const char *vj, *vx;
        size_t lj, lx;
        int a = next_frame(&fj, &vj, &lj), b = next_frame(&fx, &vx, &lx);
        if (a < 0 || b < 0 || a != b) {
            fprintf(stderr, "decl_forms: record %zu: the frame files do not pair up\n", records);
            goto out;
        }
        if (a == 0)
            break;
        char detail[128] = "", klass[32] = "";
        if (!fgets(line, sizeof(line), expect) ||
            sscanf(line, "%*s %*s %31s %127s", klass, detail) != 2) {
            fprintf(stderr, "decl_forms: %s: no line for record %zu\n", argv[4], records);
            goto out;
        }
        bool loose =
            strcmp(detail, "fmt_nul_in_gname") == 0 || strcmp(detail, "fmt_gross_weight_bool") == 0;

        struct declaration *dj, *dx;
        struct decision cj = {0}, cx = {0};
        char *kj = NULL, *kx = NULL, ej[512], ex[512], buf[1024];
        const char *why = NULL;
        if (decide(r, vj, lj, &dj, &kj, &cj, ej, sizeof(ej)) < 0 ||
            decide(r, vx, lx, &dx, &kx, &cx, ex, sizeof(ex)) < 0)
            goto out;
        if (!dj != !dx)
            why = dj ? "only the JSON form decodes" : "only the XML form decodes";
        else if (!same_text(kj, kx))
            why = "receipt key";
        else if (dj && !(why = decls_differ(dj, dx, loose, buf, sizeof(buf))))
            why = decisions_differ(&cj, &cx, loose);
        if (why) {
            if (diffs++ < 20)
                fprintf(stderr, "decl_forms: record %zu (%s %s): %s%s%s%s%s\n", records, klass,
                        detail, why, dj ? "" : "; JSON: ", dj ? "" : ej,
                        dx ? "" : "; XML: ", dx ? "" : ex);
        } else if (strcmp(klass, "malformed") == 0 && dj) {
            why = "a malformed record decoded";
            if (diffs++ < 20)
                fprintf(stderr, "decl_forms: record %zu: %s\n", records, why);
        }
        records++;
        decided += !why && dj;
        refused += !why && !dj;
        loose_n += !why && dj && loose;
        decision_clear(&cj);
        decision_clear(&cx);
        declaration_free(dj);
        declaration_free(dx);
        free(kj);
        free(kx);
    }
    printf("decl_forms: %zu records: %zu decoded and decided alike in both forms (%zu of them "
           "format defects XML says in other words), %zu refused in both, %zu differ\n",
           records, decided, loose_n, refused, diffs);
    rc = diffs || records == 0 ? 1 : 0;
out:
    if (expect)
        fclose(expect);
    free(fj.p);
    free(fx.p);
    rules_free(r);
    return rc;
}
