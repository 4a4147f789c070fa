/*
 * log.c - see log.h.
 */
#include "log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

static const char *log_ident = "customsd";
static enum log_level log_min = LOG_LEVEL_INFO;
/* Where lines go: -1 not yet known, 0 stderr with a timestamp, 1 stderr with "<N>" (a
 * redirected stderr under systemd), 2 the journal with fields. */
static int log_target = -1;

int log_stream_is_journal(const char *journal_stream, int fd)
{
    unsigned long long dev, ino;
    char tail;
    struct stat st;

    if (!journal_stream || sscanf(journal_stream, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return 0;
    if (fstat(fd, &st) < 0)
        return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* sd_journal_sendv(3) returns success without sending when this socket is missing. */
#define LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

static int log_detect_target(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    if (!js)
        return 0;
    return log_stream_is_journal(js, 2) && access(LOG_JOURNAL_SOCKET, W_OK) == 0 ? 2 : 1;
}

void log_init(const char *ident, enum log_level level)
{
    log_ident = ident;
    log_min = level;
    log_target = log_detect_target();
}

int log_level_parse(const char *name, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {{"error", LOG_LEVEL_ERROR},
                 {"warn", LOG_LEVEL_WARN},
                 {"info", LOG_LEVEL_INFO},
                 {"debug", LOG_LEVEL_DEBUG}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

void log_fold(char *text)
{
    char *w = text;
    for (const char *r = text; *r;) {
        unsigned char c = (unsigned char)*r;
        if (c == '\n' || c == '\r') {
            while (*r == '\n' || *r == '\r' || *r == ' ' || *r == '\t')
                r++;
            if (*r && w != text)
                *w++ = ' ';
            continue;
        }
        *w++ = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
        r++;
    }
    while (w > text && (w[-1] == ' ' || w[-1] == '\t'))
        w--;
    *w = '\0';
}

/* Append "NAME=value" (value folded, cut at LOG_FIELD_MAX bytes on a UTF-8 boundary) to
 * buf at *used as one iov entry. Returns 0, or -1 when buf is too small. */
static int field_add(struct iovec *iov, int *n, char *buf, size_t buflen, size_t *used,
                     const char *name, const char *value, size_t max)
{
    size_t nl = strlen(name), vl = strlen(value);
    if (vl > max) {
        vl = max;
        while (vl > 0 && ((unsigned char)value[vl] & 0xC0) == 0x80)
            vl--; /* value[vl] continues a character: cut before it starts */
    }
    if (*used + nl + 1 + vl + 1 > buflen)
        return -1;
    char *f = buf + *used;
    memcpy(f, name, nl);
    f[nl] = '=';
    memcpy(f + nl + 1, value, vl);
    f[nl + 1 + vl] = '\0';
    log_fold(f + nl + 1);
    iov[*n].iov_base = f;
    iov[*n].iov_len = strlen(f);
    (*n)++;
    *used += nl + 1 + vl + 1;
    return 0;
}

int log_journal_fields(enum log_level level, const char *ident, const struct log_record *rec,
                       const char *message, char *buf, size_t buflen, struct iovec *iov)
{
    char num[32];
    size_t used = 0;
    int n = 0;

    if (field_add(iov, &n, buf, buflen, &used, "MESSAGE", message, (size_t)-1) < 0)
        return -1;
    snprintf(num, sizeof(num), "%d", (int)level);
    if (field_add(iov, &n, buf, buflen, &used, "PRIORITY", num, LOG_FIELD_MAX) < 0 ||
        field_add(iov, &n, buf, buflen, &used, "SYSLOG_IDENTIFIER", ident ? ident : "",
                  LOG_FIELD_MAX) < 0)
        return -1;
    if (!rec)
        return n;
    if (rec->topic && *rec->topic &&
        field_add(iov, &n, buf, buflen, &used, "TOPIC", rec->topic, LOG_FIELD_MAX) < 0)
        return -1;
    if (rec->partition >= 0) {
        snprintf(num, sizeof(num), "%" PRId32, rec->partition);
        if (field_add(iov, &n, buf, buflen, &used, "PARTITION", num, LOG_FIELD_MAX) < 0)
            return -1;
    }
    if (rec->offset >= 0) {
        snprintf(num, sizeof(num), "%" PRId64, rec->offset);
        if (field_add(iov, &n, buf, buflen, &used, "OFFSET", num, LOG_FIELD_MAX) < 0)
            return -1;
    }
    if (rec->logistics_no && *rec->logistics_no &&
        field_add(iov, &n, buf, buflen, &used, "LOGISTICS_NO", rec->logistics_no, LOG_FIELD_MAX) <
            0)
        return -1;
    if (rec->rule_ids && *rec->rule_ids &&
        field_add(iov, &n, buf, buflen, &used, "RULE_IDS", rec->rule_ids, LOG_FIELD_MAX) < 0)
        return -1;
    if (rec->status_code >= 0) {
        snprintf(num, sizeof(num), "%d", rec->status_code);
        if (field_add(iov, &n, buf, buflen, &used, "STATUS_CODE", num, LOG_FIELD_MAX) < 0)
            return -1;
    }
    return n;
}

#define LOG_LINE_MAX 4096

__attribute__((format(printf, 3, 0))) static void
log_vemit(enum log_level level, const struct log_record *rec, const char *fmt, va_list ap)
{
    static const char *const level_names[8] = {"", "", "", "error", "warn", "", "info", "debug"};
    char text[LOG_LINE_MAX];

    if (level > log_min)
        return;
    if (log_target < 0)
        log_target = log_detect_target();
    vsnprintf(text, sizeof(text), fmt, ap);
    log_fold(text);

    if (log_target == 2) {
        char buf[LOG_LINE_MAX + LOG_FIELDS_BUF];
        struct iovec iov[LOG_MAX_FIELDS];
        int n = log_journal_fields(level, log_ident, rec, text, buf, sizeof(buf), iov);
        if (n > 0 && sd_journal_sendv(iov, n) >= 0)
            return;
        /* The journal refused it (not running, full socket buffer): stderr still is the
         * journal's stream, so the line goes there with its priority, without fields. */
    }
    /* One write per line so concurrent threads do not interleave within a line. */
    if (log_target != 0) {
        fprintf(stderr, "<%d>%s\n", (int)level, text);
    } else {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%s] %s\n", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                log_ident, level_names[level], text);
    }
}

#define LOG_DEFINE(fn, lvl)                                                                        \
    void fn(const char *fmt, ...)                                                                  \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vemit(lvl, NULL, fmt, ap);                                                             \
        va_end(ap);                                                                                \
    }

LOG_DEFINE(log_error, LOG_LEVEL_ERROR)
LOG_DEFINE(log_warn, LOG_LEVEL_WARN)
LOG_DEFINE(log_info, LOG_LEVEL_INFO)
LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG)

void log_record_line(enum log_level level, const struct log_record *rec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vemit(level, rec, fmt, ap);
    va_end(ap);
}

void log_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vemit(LOG_LEVEL_ERROR, NULL, fmt, ap);
    va_end(ap);
    exit(1);
}
