/*
 * test_reload.c - unit tests of reload.c against reload.h: the outcome file's text (format
 * and parse agree; a multi-line message is folded; every malformed line refused with its
 * number), its atomic write into a directory, the directory from $RUNTIME_DIRECTORY, and
 * reload_request against this process: the SIGHUP carries the request id (sigqueue,
 * SI_QUEUE), the answer with that id is returned, an answer to another id is not taken
 * (timeout), and a process that does not exist is reported.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reload.h"
#include "util.h"

static void test_format_parse(void **state)
{
    (void)state;
    struct reload_outcome o = {.request = 123456789, .live = 0}, back;
    char text[2048], err[256];
    snprintf(o.version, sizeof(o.version), "%064d", 7);
    snprintf(o.message, sizeof(o.message),
             "/etc/customsd/rules.yaml:12:5: duplicate key 'x'\n"
             "  (first at line 3 column 5)\n");
    assert_int_equal(reload_outcome_format(&o, text, sizeof(text)), 0);
    assert_string_equal(text, "request 123456789\nresult refused\nversion "
                              "0000000000000000000000000000000000000000000000000000000000000007\n"
                              "message /etc/customsd/rules.yaml:12:5: duplicate key 'x' (first "
                              "at line 3 column 5)\n");
    assert_int_equal(reload_outcome_parse(text, &back, err, sizeof(err)), 0);
    assert_int_equal(back.request, 123456789);
    assert_int_equal(back.live, 0);
    assert_string_equal(back.version, o.version);
    assert_string_equal(
        back.message,
        "/etc/customsd/rules.yaml:12:5: duplicate key 'x' (first at line 3 column 5)");

    o.live = 1;
    o.request = 0;
    snprintf(o.message, sizeof(o.message), "loaded at start");
    assert_int_equal(reload_outcome_format(&o, text, sizeof(text)), 0);
    assert_int_equal(reload_outcome_parse(text, &back, err, sizeof(err)), 0);
    assert_int_equal(back.live, 1);
    assert_int_equal(back.request, 0);
    assert_string_equal(back.message, "loaded at start");

    assert_int_equal(reload_outcome_format(&o, text, 20), -1);
}

static void refused(const char *text, const char *want_err)
{
    struct reload_outcome o;
    char err[256];
    assert_int_equal(reload_outcome_parse(text, &o, err, sizeof(err)), -1);
    assert_string_equal(err, want_err);
}

static void test_parse_refuses(void **state)
{
    (void)state;
    refused("", "line 1 (request) missing");
    refused("request 1\nresult live\nversion v\nmessage m", "line 4 (message) missing");
    refused("request x\nresult live\nversion v\nmessage m\n", "line 1: bad request id 'x'");
    refused("request -3\nresult live\nversion v\nmessage m\n", "line 1: bad request id '-3'");
    refused("request 99999999999\nresult live\nversion v\nmessage m\n",
            "line 1: bad request id '99999999999'");
    refused("request 1\nresult maybe\nversion v\nmessage m\n",
            "line 2: result 'maybe' is not live or refused");
    refused("request 1\nversion v\nresult live\nmessage m\n", "line 2: expected 'result'");
}

static void test_write_and_dir(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_reload.XXXXXX", path[256], got[4096], err[256];
    struct reload_outcome o = {.request = 5, .live = 1, .version = "abc", .message = "ok"};
    assert_non_null(mkdtemp(dir));
    assert_int_equal(reload_outcome_write(dir, &o, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, RELOAD_FILE);
    char *text = read_file(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, "request 5\nresult live\nversion abc\nmessage ok\n");
    free(text);
    snprintf(path, sizeof(path), "%s/.%s.tmp", dir, RELOAD_FILE);
    assert_int_not_equal(access(path, F_OK), 0); /* renamed, not left behind */

    /* a directory that does not exist: the error names the file */
    snprintf(path, sizeof(path), "%s/none", dir);
    assert_int_equal(reload_outcome_write(path, &o, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file or directory"));

    setenv("RUNTIME_DIRECTORY", "/run/customsd:/run/other", 1);
    assert_int_equal(reload_dir(got, sizeof(got)), 0);
    assert_string_equal(got, "/run/customsd");
    assert_int_equal(reload_dir(got, 5), -1);
    setenv("RUNTIME_DIRECTORY", "", 1);
    assert_int_equal(reload_dir(got, sizeof(got)), -1);
    unsetenv("RUNTIME_DIRECTORY");
    assert_int_equal(reload_dir(got, sizeof(got)), -1);

    snprintf(path, sizeof(path), "%s/%s", dir, RELOAD_FILE);
    unlink(path);
    rmdir(dir);
}

/* This process plays customsd: its SIGHUP handler answers the request id it was sent
 * (or, with answer_other, another id) in answer_dir. */
static const char *answer_dir;
static int answer_other;
static volatile sig_atomic_t seen_code;

static void on_hup(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    char err[256];
    struct reload_outcome o = {.live = 1, .version = "v1", .message = "reloaded"};
    seen_code = info->si_code;
    o.request = info->si_value.sival_int + (answer_other ? 1 : 0);
    /* not async-signal-safe in general; this test's main thread only sleeps meanwhile */
    reload_outcome_write(answer_dir, &o, err, sizeof(err));
}

static void test_request(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_reload.XXXXXX", err[512], path[256];
    struct reload_outcome o;
    struct sigaction sa = {0};
    assert_non_null(mkdtemp(dir));
    answer_dir = dir;
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_hup;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGHUP, &sa, NULL), 0);

    answer_other = 0;
    assert_int_equal(reload_request(getpid(), dir, 5000, &o, err, sizeof(err)), 0);
    assert_int_equal(seen_code, SI_QUEUE);
    assert_int_equal(o.live, 1);
    assert_true(o.request > 0);
    assert_string_equal(o.message, "reloaded");

    answer_other = 1; /* an answer to another request is not this one's */
    int64_t t0 = now_ms();
    assert_int_equal(reload_request(getpid(), dir, 300, &o, err, sizeof(err)), -1);
    assert_true(now_ms() - t0 >= 300);
    assert_non_null(strstr(err, "no answer from process"));

    /* no such process (pid_max is at most 2^22) */
    assert_int_equal(reload_request(1 << 23, dir, 300, &o, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot signal process"));

    signal(SIGHUP, SIG_DFL);
    snprintf(path, sizeof(path), "%s/%s", dir, RELOAD_FILE);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_parse),
        cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_write_and_dir),
        cmocka_unit_test(test_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
