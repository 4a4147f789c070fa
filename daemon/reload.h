/*
 * reload.h - the outcome of a rules reload, told by customsd to whoever asked for it.
 *
 * `systemctl reload customsd` runs `customsctl reload CONFIG $MAINPID` (ExecReload=), which
 * checks the configuration and the rules, then asks customsd to reload with SIGHUP carrying
 * a request id (sigqueue(3)) and waits for customsd's answer to that id in the file
 * $RUNTIME_DIRECTORY/reload (systemd's RuntimeDirectory=customsd: /run/customsd/reload).
 * customsd writes the file after every reload (and once at start, request 0): a failed
 * reload thus fails the systemctl command even when the rules changed after the check.
 * Two requests at the same moment are one reload for customsd, which answers the later id
 * (the earlier request then times out); systemd runs one reload job of a unit at a time.
 *
 * The file, four lines of text, replaced whole (written beside it, then renamed):
 *   request 123456789            the request id answered; 0: a plain SIGHUP, or the start
 *   result live | refused        live: `version` is the rule set now deciding (the new one,
 *                                or the same when the file did not change); refused: the
 *                                new rules were not taken and `version` is still live
 *   version <64 hex digits>      the rule set live after the reload (rules_version)
 *   message <one line>           what happened, e.g. "file:line:column: why" when refused
 */
#ifndef CUSTOMSD_RELOAD_H
#define CUSTOMSD_RELOAD_H

#include <stddef.h>
#include <sys/types.h>

#define RELOAD_FILE        "reload"
#define RELOAD_MESSAGE_MAX 1024

struct reload_outcome {
    int request; /* the request id answered (> 0), or 0 */
    int live;    /* 1 live, 0 refused */
    char version[65];
    char message[RELOAD_MESSAGE_MAX];
};

/*
 * The directory the outcome file goes in: the first entry of $RUNTIME_DIRECTORY (systemd
 * sets it from RuntimeDirectory=; several entries are separated by ':') into dir. Returns
 * 0, or -1 when it is not set or empty, or longer than dirlen.
 */
int reload_dir(char *dir, size_t dirlen);

/* The file's text of o into buf (the message folded to one line). Returns 0, or -1 when
 * buf is too small. */
int reload_outcome_format(const struct reload_outcome *o, char *buf, size_t buflen);

/* Parse the file's text into *o. Returns 0, or -1 with the reason in err (a line missing,
 * unknown or malformed). */
int reload_outcome_parse(const char *text, struct reload_outcome *o, char *err, size_t errlen);

/* Write o to dir/RELOAD_FILE atomically (dir/.reload.tmp, then rename). Returns 0, or -1
 * with the reason (file name and strerror) in err. */
int reload_outcome_write(const char *dir, const struct reload_outcome *o, char *err, size_t errlen);

/*
 * Ask the process pid for a reload and wait for its answer: send SIGHUP with a fresh
 * request id (sigqueue), then read dir/RELOAD_FILE every 50 ms until it answers that id,
 * for at most timeout_ms. Returns 0 with the answer in *o (o->live says whether the new
 * rules are live), or -1 with the reason in err: no such process or not allowed to signal
 * it, the process ended, no answer within timeout_ms, the file unreadable.
 */
int reload_request(pid_t pid, const char *dir, int timeout_ms, struct reload_outcome *o, char *err,
                   size_t errlen);

#endif
