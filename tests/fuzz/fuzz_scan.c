/*
 * fuzz_scan.c - libFuzzer target: one Kafka record value through the warehouse scan
 * decoder (scan_decode: strict JSON, the scan kind, scannedAt in CEB or ISO-8601 form),
 * as the consumer (consumer.c) does with each record of mishan.warehouse.scans.
 *
 * Contract checked beyond "no crash, no sanitizer report": a refusal always carries a
 * reason; a decoded scan has a non-empty logisticsNo of at most 80 characters, a known
 * kind, a scannedAt normalised to "YYYY-MM-DDThh:mm:ss[.f]" plus an offset, and optional
 * codes within their CEB lengths (loctNo C..10, totalPackageNo C..60).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declaration.h"
#include "fuzz.h"
#include "scan.h"

/* "2024-05-12T10:30:00", optional ".f" (1 to 9 digits), then "Z" or "+hh:mm" / "-hh:mm". */
static int scan_time_ok(const char *t)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(t), f = 0;

    if (n < sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
            return 0;
    }
    t += sizeof(shape) - 1;
    if (*t == '.') {
        while (t[1 + f] >= '0' && t[1 + f] <= '9')
            f++;
        if (f == 0 || f > 9)
            return 0;
        t += 1 + f;
    }
    if (strcmp(t, "Z") == 0)
        return 1;
    return (t[0] == '+' || t[0] == '-') && strlen(t) == 6 && t[3] == ':';
}

int fuzz_scan(const uint8_t *data, size_t size)
{
    char err[512] = "";
    char *key = NULL;
    char *copy = malloc(size ? size : 1); /* exact size: no NUL terminator to lean on */
    struct warehouse_scan *s;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    s = scan_decode(copy, size, 0, &key, err, sizeof(err));
    if (!s) {
        if (err[0] == '\0')
            abort();
    } else {
        size_t klen = s->logisticsNo ? decl_utf8_length(s->logisticsNo) : 0;
        if (klen == 0 || klen > DECL_MAX_KEY)
            abort();
        if (s->kind != SCAN_ARRIVAL && s->kind != SCAN_DEPARTURE)
            abort();
        if (!s->scanned_at || !scan_time_ok(s->scanned_at))
            abort();
        if (s->loctNo && decl_utf8_length(s->loctNo) > 10)
            abort();
        if (s->totalPackageNo && decl_utf8_length(s->totalPackageNo) > 60)
            abort();
        if (strcmp(scan_kind_name(s->kind), s->kind == SCAN_ARRIVAL ? "arrival" : "departure"))
            abort();
    }
    scan_free(s);
    free(key);
    free(copy);
    return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_scan(data, size);
}
#endif
