/*
 * scan.h - one warehouse scan from the Mishan customs supervised warehouse, as published on
 * mishan.warehouse.scans (format: the "Warehouse scan" line of docs/DESIGN.md, "Declaration
 * message"): the parcel's arrival (运抵, the data of a CEB507 Arrival) or departure (离境,
 * CEB509 Departure).
 *
 *   { "logisticsNo": "YL...", "scan": "arrival" | "departure",
 *     "scannedAt": "20240512103000" | "2024-05-12T10:30:00+08:00",
 *     "loctNo": "1900W00001", "totalPackageNo": "..." }
 *
 * Pure decoding, like declaration.h: a record that is not such a scan is refused with a
 * precise reason (-> quarantine). scannedAt in the CEB form (yyyyMMddHHmmss) is China
 * Standard Time; an ISO-8601 time must carry its offset (Z or +hh:mm).
 */
#ifndef CUSTOMSD_SCAN_H
#define CUSTOMSD_SCAN_H

#include <stddef.h>

enum scan_kind { SCAN_ARRIVAL, SCAN_DEPARTURE };

struct warehouse_scan {
    char *logisticsNo;    /* C..80, required */
    enum scan_kind kind;  /* "scan", required */
    char *scanned_at;     /* scannedAt normalised to ISO 8601 with offset, e.g.
                             "2024-05-12T10:30:00+08:00"; required */
    char *loctNo;         /* 监管场所代码 C..10, optional (NULL) */
    char *totalPackageNo; /* 总包号 C..60, optional (NULL) */
};

/*
 * Decode one scan record (`len` bytes, at most `max_bytes`, 0 = 64 KiB, nesting at most 4
 * deep). The first steps, and their refusals, are those of every record
 * (decl_record_parse in declaration.h): size, strict JSON, an object, a usable
 * logisticsNo ("logisticsNo: missing" when there is none); a duplicate key anywhere is
 * refused with no key handed back. Returns a new scan (free with scan_free) or NULL with
 * the reason in err. *key_out (if not NULL) receives a malloc'd copy of logisticsNo when
 * it could be read.
 */
struct warehouse_scan *scan_decode(const char *data, size_t len, size_t max_bytes, char **key_out,
                                   char *err, size_t errlen);

void scan_free(struct warehouse_scan *s); /* accepts NULL */

/* "arrival" or "departure". */
const char *scan_kind_name(enum scan_kind k);

#endif
