/*
 * status.h - clearance status codes: the customs receipt returnStatus codes of the CEB604
 * inventory receipt (see docs/DESIGN.md "Status lifecycle", docs/DOMAIN.md section 2).
 */
#ifndef CUSTOMSD_STATUS_H
#define CUSTOMSD_STATUS_H

enum status_code {
    STATUS_PROCESSING_ERROR = -1,     /* receipt for a record that could not be processed */
    STATUS_REJECTED = 100,            /* 海关退单: a reject rule failed */
    STATUS_STORED = 120,              /* 海关入库: decoded and recorded */
    STATUS_REVIEW = 300,              /* 人工审核: a review rule matched */
    STATUS_ACCEPTED = 399,            /* 海关审结: all rules passed, waiting for arrival */
    STATUS_INSPECTION = 500,          /* 查验: risk rule or random sampling */
    STATUS_DETAINED_CUSTOMS = 501,    /* 扣留移送通关: an officer's inspection result */
    STATUS_DETAINED_SMUGGLING = 502,  /* 扣留移送缉私 */
    STATUS_DETAINED_REGULATION = 503, /* 扣留移送法规 */
    STATUS_DETAINED_OTHER = 599,      /* 其它扣留 */
    STATUS_RETURNED = 700,            /* 退运 */
    STATUS_RELEASED = 800,            /* 放行 */
    STATUS_CLOSED = 899,              /* 结关 */
};

/* English name of a status code ("rejected", "accepted", ...); "unknown" otherwise. */
const char *status_name(int code);

#endif
