/*
 * scan.c - decode one warehouse scan record. See scan.h.
 */
#include "scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cebdate.h"
#include "declaration.h"

#define SCAN_MAX_DEPTH         4
#define SCAN_DEFAULT_MAX_BYTES (64 * 1024)
#define SCAN_KIND_MAX_CHARS    16 /* "scan": "arrival" or "departure", checked after */
#define SCAN_TIME_MAX_CHARS    40 /* "scannedAt": the longest ISO 8601 form is 35 */
/* loctNo and totalPackageNo are the InventoryHead fields of CEB603: their lengths are the
 * field table's (declaration.h). */

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

/* A scan time's date and time of day; years before 1900 are refused as typing errors. */
static bool valid_date_time(int y, int mo, int d, int h, int mi, int se)
{
    return y >= 1900 && cebdate_real_datetime(y, mo, d, h, mi, se);
}

/*
 * scannedAt: "yyyyMMddHHmmss" (CEB messages; China Standard Time, +08:00) or ISO 8601
 * "yyyy-MM-ddTHH:mm:ss[.fff](Z|+hh:mm|-hh:mm)". Writes the ISO form with its offset.
 */
static int normalise_time(const char *t, size_t n, char *out, size_t outlen)
{
    if (n == 14 && cebdate_all_digits(t, 14)) {
        int y = cebdate_digits_value(t, 4), mo = cebdate_digits_value(t + 4, 2),
            d = cebdate_digits_value(t + 6, 2);
        int h = cebdate_digits_value(t + 8, 2), mi = cebdate_digits_value(t + 10, 2),
            se = cebdate_digits_value(t + 12, 2);
        if (!valid_date_time(y, mo, d, h, mi, se))
            return -1;
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, mo, d, h, mi, se);
        return 0;
    }
    if (n < 20 || n > 35 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != ' ') ||
        t[13] != ':' || t[16] != ':' || !cebdate_all_digits(t, 4) ||
        !cebdate_all_digits(t + 5, 2) || !cebdate_all_digits(t + 8, 2) ||
        !cebdate_all_digits(t + 11, 2) || !cebdate_all_digits(t + 14, 2) ||
        !cebdate_all_digits(t + 17, 2))
        return -1;
    if (!valid_date_time(cebdate_digits_value(t, 4), cebdate_digits_value(t + 5, 2),
                         cebdate_digits_value(t + 8, 2), cebdate_digits_value(t + 11, 2),
                         cebdate_digits_value(t + 14, 2), cebdate_digits_value(t + 17, 2)))
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
    } else if (i + 6 == n && (t[i] == '+' || t[i] == '-') && cebdate_all_digits(t + i + 1, 2) &&
               t[i + 3] == ':' && cebdate_all_digits(t + i + 4, 2) &&
               cebdate_digits_value(t + i + 1, 2) <= 14 &&
               cebdate_digits_value(t + i + 4, 2) <= 59) {
        /* fine */
    } else {
        return -1;
    }
    snprintf(out, outlen, "%.*s", (int)n, t);
    if (out[10] == ' ')
        out[10] = 'T';
    return 0;
}

/*
 * A string member: NULL when absent or null; -1 on a wrong type or a bad value, in the
 * declaration's words (decl_check_string).
 */
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
    *out = decl_check_string(v, key, max_chars, required, NULL, err, errlen);
    return *out ? 0 : -1;
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
    if (get_string(root, "scan", SCAN_KIND_MAX_CHARS, true, &kind, err, errlen) < 0 ||
        get_string(root, "scannedAt", SCAN_TIME_MAX_CHARS, true, &at, err, errlen) < 0 ||
        get_string(root, "loctNo", DECL_HEAD_MAX_LEN(loctNo), false, &loct, err, errlen) < 0 ||
        get_string(root, "totalPackageNo", DECL_HEAD_MAX_LEN(totalPackageNo), false, &pkg, err,
                   errlen) < 0)
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
