/*
 * util.h - small helpers shared by every layer: NULL-tolerant string copies, SHA-256
 * (libcrypto), monotonic time, reading a whole file.
 */
#ifndef CUSTOMSD_UTIL_H
#define CUSTOMSD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* strdup/strndup that return NULL on NULL input. */
char *util_strdup(const char *s);
char *util_strndup(const char *s, size_t n);

/* Lowercase hex SHA-256 of data into hex (65 bytes incl. NUL). Returns 0 or -1. */
int sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * Format an error message into err (if err and errlen) and return -1, so error paths read
 * `return util_errf(err, errlen, "%s: ...", file);`.
 */
int util_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t now_ms(void);

/* Read a whole file into a malloc'd NUL-terminated buffer. Returns NULL with errno set. */
char *read_file(const char *path, size_t *len_out);

#endif
