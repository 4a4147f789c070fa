/*
 * status.h - clearance status codes: the customs receipt returnStatus codes of the CEB604
 * inventory receipt (see docs/DESIGN.md "Status lifecycle", docs/DOMAIN.md section 2).
 *
 * The database knows the same codes (sql/repeatable/10_status.sql: customs.status_name(),
 * status_label(); the CHECK on customs.declarations.status_code; status_transitions):
 * tests/integration/test_status.c fails when the two sides differ in a code or a name.
 */
#ifndef CUSTOMSD_STATUS_H
#define CUSTOMSD_STATUS_H

#include <stddef.h>

enum status_code {
    STATUS_PROCESSING_ERROR = -1,    /* receipt for a record that could not be processed */
    STATUS_SAVED = 1,                /* 电子口岸已暂存: appStatus 1, recorded, not decided */
    STATUS_REJECTED = 100,           /* 海关退单: a reject rule failed */
    STATUS_STORED = 120,             /* 海关入库: decoded and recorded */
    STATUS_REVIEW = 300,             /* 人工审核: a review rule matched */
    STATUS_ACCEPTED = 399,           /* 海关审结: all rules passed, waiting for arrival */
    STATUS_INSPECTION = 500,         /* 查验: risk rule or random sampling */
    STATUS_DETAINED_CUSTOMS = 501,   /* 扣留移送通关: an officer's inspection result */
    STATUS_DETAINED_SMUGGLING = 502, /* 扣留移送缉私 */
    STATUS_DETAINED_REGULATION = 503, /* 扣留移送法规 */
    STATUS_DETAINED_OTHER = 599,      /* 其它扣留 */
    STATUS_RETURNED = 700,            /* 退运 */
    STATUS_RELEASED = 800,            /* 放行 */
    STATUS_CLOSED = 899,              /* 结关 */
};

/* Every code of enum status_code, in ascending order: status_codes[0] ..
 * status_codes[status_codes_count - 1]. A code is in this list exactly when status_name()
 * knows it (checked by tests/integration/test_status.c). */
extern const int status_codes[];
extern const size_t status_codes_count;

/* English name of a status code ("rejected", "accepted", ...); "unknown" otherwise. */
const char *status_name(int code);

#endif
