/*
 * status.c - see status.h.
 */
#include "status.h"

const int status_codes[] = {
    STATUS_PROCESSING_ERROR,
    STATUS_SAVED,
    STATUS_REJECTED,
    STATUS_STORED,
    STATUS_REVIEW,
    STATUS_ACCEPTED,
    STATUS_INSPECTION,
    STATUS_DETAINED_CUSTOMS,
    STATUS_DETAINED_SMUGGLING,
    STATUS_DETAINED_REGULATION,
    STATUS_DETAINED_OTHER,
    STATUS_RETURNED,
    STATUS_RELEASED,
    STATUS_CLOSED,
};
const size_t status_codes_count = sizeof(status_codes) / sizeof(status_codes[0]);

const char *status_name(int code)
{
    /* A switch on the enum without a default: -Wswitch names a code added to the enum
     * but not here. */
    switch ((enum status_code)code) {
    case STATUS_PROCESSING_ERROR:
        return "processing_error";
    case STATUS_SAVED:
        return "saved";
    case STATUS_REJECTED:
        return "rejected";
    case STATUS_STORED:
        return "stored";
    case STATUS_REVIEW:
        return "manual_review";
    case STATUS_ACCEPTED:
        return "accepted";
    case STATUS_INSPECTION:
        return "inspection";
    case STATUS_RETURNED:
        return "returned";
    case STATUS_RELEASED:
        return "released";
    case STATUS_CLOSED:
        return "closed";
    case STATUS_DETAINED_CUSTOMS:
    case STATUS_DETAINED_SMUGGLING:
    case STATUS_DETAINED_REGULATION:
    case STATUS_DETAINED_OTHER:
        return "detained";
    }
    return "unknown";
}
