/*
 * log.h - logging for customsd and customsctl.
 *
 * Lines go to stderr. Under systemd (JOURNAL_STREAM set) each line starts with the
 * sd-daemon(3) "<N>" priority prefix so journald files it at the right level; otherwise
 * each line carries an ISO-8601 UTC timestamp and the level name.
 * The log state is one of the two kinds of globals customsd has (the other: signal flags).
 */
#ifndef CUSTOMSD_LOG_H
#define CUSTOMSD_LOG_H

enum log_level { LOG_LEVEL_ERROR = 3, LOG_LEVEL_WARN = 4, LOG_LEVEL_INFO = 6, LOG_LEVEL_DEBUG = 7 };

/* Set the program name printed on every line and the lowest level printed. */
void log_init(const char *ident, enum log_level level);

/* Parse "error", "warn", "info" or "debug". Returns 0, or -1 for any other text. */
int log_level_parse(const char *name, enum log_level *out);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print at error level and exit(1). Start-up only: at run time, log and recover. */
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
