/*
 * reload.c - see reload.h.
 */
#include "reload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

int reload_dir(char *dir, size_t dirlen)
{
    const char *rd = getenv("RUNTIME_DIRECTORY");
    if (!rd || !*rd)
        return -1;
    size_t n = strcspn(rd, ":");
    if (n == 0 || n >= dirlen)
        return -1;
    memcpy(dir, rd, n);
    dir[n] = '\0';
    return 0;
}

int reload_outcome_format(const struct reload_outcome *o, char *buf, size_t buflen)
{
    char msg[RELOAD_MESSAGE_MAX];
    snprintf(msg, sizeof(msg), "%s", o->message);
    log_fold(msg);
    int n = snprintf(buf, buflen, "request %d\nresult %s\nversion %s\nmessage %s\n", o->request,
                     o->live ? "live" : "refused", o->version, msg);
    return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int reload_outcome_parse(const char *text, struct reload_outcome *o, char *err, size_t errlen)
{
    static const char *const keys[] = {"request ", "result ", "version ", "message "};
    const char *p = text;

    memset(o, 0, sizeof(*o));
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        size_t kl = strlen(keys[k]);
        const char *eol = strchr(p, '\n');
        if (!eol)
            return util_errf(err, errlen, "line %zu (%.*s) missing", k + 1, (int)kl - 1, keys[k]);
        if (strncmp(p, keys[k], kl) != 0)
            return util_errf(err, errlen, "line %zu: expected '%.*s'", k + 1, (int)kl - 1, keys[k]);
        const char *v = p + kl;
        size_t vl = (size_t)(eol - v);
        char val[RELOAD_MESSAGE_MAX];
        if (vl >= sizeof(val))
            return util_errf(err, errlen, "line %zu: too long", k + 1);
        memcpy(val, v, vl);
        val[vl] = '\0';
        if (k == 0) {
            char *end;
            errno = 0;
            long r = strtol(val, &end, 10);
            if (errno || end == val || *end || r < 0 || r > 0x7fffffff)
                return util_errf(err, errlen, "line 1: bad request id '%s'", val);
            o->request = (int)r;
        } else if (k == 1) {
            if (strcmp(val, "live") == 0)
                o->live = 1;
            else if (strcmp(val, "refused") == 0)
                o->live = 0;
            else
                return util_errf(err, errlen, "line 2: result '%s' is not live or refused", val);
        } else if (k == 2) {
            if (vl >= sizeof(o->version))
                return util_errf(err, errlen, "line 3: version too long");
            memcpy(o->version, val, vl + 1);
        } else {
            memcpy(o->message, val, vl + 1);
        }
        p = eol + 1;
    }
    return 0;
}

int reload_outcome_write(const char *dir, const struct reload_outcome *o, char *err, size_t errlen)
{
    char text[RELOAD_MESSAGE_MAX + 256], tmp[4096], path[4096];

    if (reload_outcome_format(o, text, sizeof(text)) < 0)
        return util_errf(err, errlen, "reload outcome too long");
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, RELOAD_FILE) >= sizeof(tmp) ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, RELOAD_FILE) >= sizeof(path))
        return util_errf(err, errlen, "%s: path too long", dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return util_errf(err, errlen, "%s: %s", tmp, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad) {
        int e = errno;
        unlink(tmp);
        return util_errf(err, errlen, "%s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return util_errf(err, errlen, "%s: %s", path, strerror(e));
    }
    return 0;
}

/* A request id unlikely to repeat: positive, never 0. */
static int reload_new_id(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned v = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec;
    v &= 0x7fffffff;
    return v ? (int)v : 1;
}

int reload_request(pid_t pid, const char *dir, int timeout_ms, struct reload_outcome *o, char *err,
                   size_t errlen)
{
    char path[4096], why[256];
    union sigval sv;
    int id = reload_new_id();

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, RELOAD_FILE) >= sizeof(path))
        return util_errf(err, errlen, "%s: path too long", dir);
    sv.sival_int = id;
    if (sigqueue(pid, SIGHUP, sv) < 0)
        return util_errf(err, errlen, "cannot signal process %ld: %s", (long)pid, strerror(errno));
    int64_t deadline = now_ms() + timeout_ms;
    struct timespec tick = {0, 50 * 1000 * 1000};
    why[0] = '\0';
    for (;;) {
        char *text = read_file(path, NULL);
        if (text) {
            int rc = reload_outcome_parse(text, o, why, sizeof(why));
            free(text);
            if (rc == 0 && o->request == id)
                return 0;
        } else if (errno != ENOENT) {
            snprintf(why, sizeof(why), "%s", strerror(errno));
        }
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return util_errf(err, errlen, "process %ld ended before it answered the reload",
                             (long)pid);
        if (now_ms() >= deadline)
            return util_errf(err, errlen,
                             "no answer from process %ld in %s within %d s (the reload may still "
                             "happen)%s%s",
                             (long)pid, path, timeout_ms / 1000, why[0] ? ": " : "", why);
        nanosleep(&tick, NULL);
    }
}
