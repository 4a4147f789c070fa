/*
 * status.c - see status.h.
 */
#include "status.h"

const char *status_name(int code)
{
    switch (code) {
    case STATUS_PROCESSING_ERROR:
        return "processing_error";
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
    case 501:
    case 502:
    case 503:
    case 599:
        return "detained";
    default:
        return "unknown";
    }
}
