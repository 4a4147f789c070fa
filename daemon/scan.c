/*
 * scan.c - decode one warehouse scan record. See scan.h.
 */
#include "scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "declaration.h"

#define SCAN_MAX_DEPTH         4
#define SCAN_DEFAULT_MAX_BYTES (64 * 1024)

const char *scan_kind_name(enum scan_kind k)
{
    return k == SCAN_ARRIVAL ? "arrival" : "departure";
}

void scan_free(struct warehouse_scan *s)
{
    if (!s)
        return;
    free(s->logisticsNo);
    free(s->scanned_at);
    free(s->loctNo);
    free(s->totalPackageNo);
    free(s);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static bool valid_date_time(int y, int mo, int d, int h, int mi, int se)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
        return false;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[mo - 1] + (mo == 2 && leap);
}

/*
 * scannedAt: "yyyyMMddHHmmss" (CEB messages; China Standard Time, +08:00) or ISO 8601
 * "yyyy-MM-ddTHH:mm:ss[.fff](Z|+hh:mm|-hh:mm)". Writes the ISO form with its offset.
 */
static int normalise_time(const char *t, size_t n, char *out, size_t outlen)
{
    if (n == 14 && all_digits(t, 14)) {
        int y = num(t, 4), mo = num(t + 4, 2), d = num(t + 6, 2);
        int h = num(t + 8, 2), mi = num(t + 10, 2), se = num(t + 12, 2);
        if (!valid_date_time(y, mo, d, h, mi, se))
            return -1;
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, mo, d, h, mi, se);
        return 0;
    }
    if (n < 20 || n > 35 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
        t[13] != ':' || t[16] != ':' || !all_digits(t, 4) || !all_digits(t + 5, 2) ||
        !all_digits(t + 8, 2) || !all_digits(t + 11, 2) || !all_digits(t + 14, 2) ||
        !all_digits(t + 17, 2))
        return -1;
    if (!valid_date_time(num(t, 4), num(t + 5, 2), num(t + 8, 2), num(t + 11, 2), num(t + 14, 2),
                         num(t + 17, 2)))
        return -1;
    size_t i = 19;
    if (i < n && t[i] == '.') {
        size_t f = ++i;
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
        if (i == f || i - f > 9)
            return -1;
    }
    if (i + 1 == n && t[i] == 'Z') {
        /* fine */
    } else if (i + 6 == n && (t[i] == '+' || t[i] == '-') && all_digits(t + i + 1, 2) &&
               t[i + 3] == ':' && all_digits(t + i + 4, 2) && num(t + i + 1, 2) <= 14 &&
               num(t + i + 4, 2) <= 59) {
        /* fine */
    } else {
        return -1;
    }
    snprintf(out, outlen, "%.*s", (int)n, t);
    if (out[10] == ' ')
        out[10] = 'T';
    return 0;
}

/* A string member: NULL when absent or null; -1 on a wrong type or a bad value. */
static int get_string(json_object *root, const char *key, size_t max_chars, bool required,
                      const char **out, char *err, size_t errlen)
{
    json_object *v;
    *out = NULL;
    if (!json_object_object_get_ex(root, key, &v) || v == NULL) {
        if (required) {
            snprintf(err, errlen, "%s: missing", key);
            return -1;
        }
        return 0;
    }
    if (json_object_get_type(v) != json_type_string) {
        snprintf(err, errlen, "%s: expected a string, got %s", key,
                 json_type_to_name(json_object_get_type(v)));
        return -1;
    }
    const char *s = json_object_get_string(v);
    int n = json_object_get_string_len(v);
    if (memchr(s, '\0', (size_t)n)) {
        snprintf(err, errlen, "%s: contains a NUL character (\\u0000)", key);
        return -1;
    }
    if (n == 0 && required) {
        snprintf(err, errlen, "%s: empty", key);
        return -1;
    }
    if (utf8_length(s) > max_chars) {
        snprintf(err, errlen, "%s: longer than %zu characters", key, max_chars);
        return -1;
    }
    *out = s;
    return 0;
}

struct warehouse_scan *scan_decode(const char *data, size_t len, size_t max_bytes, char **key_out,
                                   char *err, size_t errlen)
{
    static const struct decl_record_spec spec = {
        .what = "a warehouse scan",
        .default_max_bytes = SCAN_DEFAULT_MAX_BYTES,
        .max_depth = SCAN_MAX_DEPTH,
        .key_missing = "logisticsNo: missing",
        .json_c_words = true,
    };
    struct warehouse_scan *s = NULL;
    const char *lno, *kind, *at, *loct, *pkg;

    json_object *root = decl_record_parse(data, len, max_bytes, &spec, key_out, &lno, err, errlen);
    if (!root)
        return NULL;
    if (get_string(root, "scan", 16, true, &kind, err, errlen) < 0 ||
        get_string(root, "scannedAt", 40, true, &at, err, errlen) < 0 ||
        get_string(root, "loctNo", 10, false, &loct, err, errlen) < 0 ||
        get_string(root, "totalPackageNo", 60, false, &pkg, err, errlen) < 0)
        goto fail;

    s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (strcmp(kind, "arrival") == 0) {
        s->kind = SCAN_ARRIVAL;
    } else if (strcmp(kind, "departure") == 0) {
        s->kind = SCAN_DEPARTURE;
    } else {
        snprintf(err, errlen, "scan: \"%.20s\" is neither \"arrival\" nor \"departure\"", kind);
        goto fail;
    }
    char iso[48];
    if (normalise_time(at, strlen(at), iso, sizeof(iso)) < 0) {
        snprintf(err, errlen,
                 "scannedAt: \"%.40s\" is neither yyyyMMddHHmmss nor ISO 8601 with an offset", at);
        goto fail;
    }
    s->logisticsNo = strdup(lno);
    s->scanned_at = strdup(iso);
    s->loctNo = loct && *loct ? strdup(loct) : NULL;
    s->totalPackageNo = pkg && *pkg ? strdup(pkg) : NULL;
    if (!s->logisticsNo || !s->scanned_at || (loct && *loct && !s->loctNo) ||
        (pkg && *pkg && !s->totalPackageNo)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    json_object_put(root);
    return s;
fail:
    scan_free(s);
    json_object_put(root);
    return NULL;
}
