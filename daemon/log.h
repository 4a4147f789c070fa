/*
 * log.h - logging for customsd and customsctl.
 *
 * Every message is one line: newlines inside it (a libpq error with its DETAIL and HINT
 * lines, a hostile Kafka key) are folded into spaces, other control characters shown as
 * '?'. Where the lines go:
 *   - to the journal with fields (sd_journal_sendv(3): MESSAGE, PRIORITY, SYSLOG_IDENTIFIER,
 *     and for a line about a record LOGISTICS_NO, TOPIC, PARTITION, OFFSET, RULE_IDS,
 *     STATUS_CODE) when standard error is the journal: $JOURNAL_STREAM names the device and
 *     inode of stderr (systemd.exec(5), "JOURNAL_STREAM") and journald's socket
 *     /run/systemd/journal/socket is there (checked at log_init). A line the journal does
 *     not take goes to stderr with the "<N>" prefix below instead;
 *   - otherwise to stderr: "2024-05-12T02:30:00.123Z customsd[info] text", an ISO-8601 UTC
 *     timestamp, the program and the level name; under JOURNAL_STREAM for another file (a
 *     redirected stderr under systemd) with the sd-daemon(3) "<N>" priority prefix instead.
 * The log state is one of the two kinds of globals customsd has (the other: signal flags).
 */
#ifndef CUSTOMSD_LOG_H
#define CUSTOMSD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum log_level { LOG_LEVEL_ERROR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6, LOG_LEVEL_DEBUG = 7 };

/*
 * What a line about one Kafka record is about, for the journal's fields. Each member is
 * optional: NULL or "" for the strings, -1 for the numbers.
 *   topic         the record's topic                           -> TOPIC=
 *   partition     its partition                                -> PARTITION=
 *   offset        its offset                                   -> OFFSET=
 *   logistics_no  the parcel (the record's key, logisticsNo)   -> LOGISTICS_NO=
 *   rule_ids      the rules that decided it, comma-separated   -> RULE_IDS=
 *   status_code   the parcel's status code after the record (CEB604 returnStatus, 399 ...)
 *                                                              -> STATUS_CODE=
 */
struct log_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *logistics_no;
    const char *rule_ids;
    int status_code;
};

/* A log_record with nothing set. */
#define LOG_RECORD_NONE                                                                            \
    {                                                                                              \
        NULL, -1, -1, NULL, NULL, -1                                                               \
    }

/* Set the program name printed on every line and the lowest level printed. */
void log_init(const char *ident, enum log_level level);

/* Parse "error", "warn", "info" or "debug". Returns 0, or -1 for any other text. */
int log_level_parse(const char *name, enum log_level *out);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * One line about a record (rec may be NULL: then like log_info and the others): the text
 * as the functions above print it, and in the journal the fields of rec besides.
 */
void log_record_line(enum log_level level, const struct log_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print at error level and exit(1). Start-up only: at run time, log and recover. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * The pure parts, for the tests.
 *
 * log_fold: make text one line in place: each run of CR/LF with the blanks after it
 * becomes one space, trailing blanks and line ends are dropped, any other control
 * character (below 0x20 but tab, or 0x7f) becomes '?'. UTF-8 is left alone.
 *
 * log_journal_fields: the journal fields of one message (already folded) into iov, at most
 * LOG_MAX_FIELDS entries, their text in buf (strlen(message) + LOG_FIELDS_BUF bytes is
 * always enough): MESSAGE=message, PRIORITY=<level digit>, SYSLOG_IDENTIFIER=ident, then
 * those of rec (may be NULL) that are set, in the order of struct log_record, each string
 * folded and cut at LOG_FIELD_MAX bytes (the cut never splits a UTF-8 character). Returns
 * the number of entries, or -1 when buf is too small.
 */
#define LOG_MAX_FIELDS 9
#define LOG_FIELD_MAX  256
#define LOG_FIELDS_BUF 2048
void log_fold(char *text);
int log_journal_fields(enum log_level level, const char *ident, const struct log_record *rec,
                       const char *message, char *buf, size_t buflen, struct iovec *iov);

/*
 * Whether $JOURNAL_STREAM ("DEVICE:INODE", decimal) names the file open on fd: 1 yes, 0 no
 * (unset, malformed, or another file).
 */
int log_stream_is_journal(const char *journal_stream, int fd);

#endif
