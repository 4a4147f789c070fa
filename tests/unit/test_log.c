/*
 * test_log.c - unit tests of log.c against log.h: folding a message to one line (libpq's
 * multi-line errors, control characters, a hostile key), the journal fields of a line with
 * and without a record (names, order, values, the ones left out, values cut on a UTF-8
 * boundary, a buffer too small), whether $JOURNAL_STREAM names stderr, and the lines
 * written to stderr when the journal is not there: the timestamped format without
 * $JOURNAL_STREAM, the "<N>" priority prefix when it names another file, and the same
 * prefix as the fallback when it names stderr but no journal takes the fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <regex.h>

#include "log.h"

static void fold_is(const char *in, const char *want)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", in);
    log_fold(buf);
    assert_string_equal(buf, want);
}

static void test_fold(void **state)
{
    (void)state;
    /* libpq: a primary message, DETAIL and HINT lines, a final newline */
    fold_is("ERROR:  new row violates check constraint \"c\"\nDETAIL:  Failing row contains "
            "(1).\nHINT:  look\n",
            "ERROR:  new row violates check constraint \"c\" DETAIL:  Failing row contains (1). "
            "HINT:  look");
    fold_is("connection to server failed:\r\n\tConnection refused\n\n",
            "connection to server failed: Connection refused");
    fold_is("\nleading", "leading");
    fold_is("a\x01"
            "b\x1b[31mc\x7f",
            "a?b?[31mc?");
    fold_is("tab\tkept", "tab\tkept");
    fold_is("包裹 YL2024 \xe2\x80\x94 ok", "包裹 YL2024 \xe2\x80\x94 ok");
    fold_is("", "");
    fold_is("\n\n", "");
    fold_is("trailing   ", "trailing");
}

/* The iov entries as NUL-separated strings, for comparison. */
static void fields_are(const struct iovec *iov, int n, const char *const *want, int nwant)
{
    assert_int_equal(n, nwant);
    for (int i = 0; i < n; i++) {
        assert_int_equal(iov[i].iov_len, strlen(want[i]));
        assert_memory_equal(iov[i].iov_base, want[i], iov[i].iov_len);
    }
}

static void test_fields_plain(void **state)
{
    (void)state;
    char buf[LOG_FIELDS_BUF + 64];
    struct iovec iov[LOG_MAX_FIELDS];
    static const char *const want[] = {"MESSAGE=database available again", "PRIORITY=6",
                                       "SYSLOG_IDENTIFIER=customsd"};
    int n = log_journal_fields(LOG_LEVEL_INFO, "customsd", NULL, "database available again", buf,
                               sizeof(buf), iov);
    fields_are(iov, n, want, 3);

    /* a record with nothing set adds nothing */
    struct log_record none = LOG_RECORD_NONE;
    n = log_journal_fields(LOG_LEVEL_ERROR, "customsd", &none, "x", buf, sizeof(buf), iov);
    static const char *const want3[] = {"MESSAGE=x", "PRIORITY=3", "SYSLOG_IDENTIFIER=customsd"};
    fields_are(iov, n, want3, 3);
}

static void test_fields_record(void **state)
{
    (void)state;
    char buf[LOG_FIELDS_BUF + 128];
    struct iovec iov[LOG_MAX_FIELDS];
    struct log_record r = {"customs.declarations", 3,  123456789012LL, "YL20240512000042",
                           "R-HS-001,R-VALUE-002", 100};
    const char *msg = "parcel YL20240512000042 (customs.declarations [3] offset 123456789012): "
                      "recorded 100 rejected by R-HS-001,R-VALUE-002";
    static const char *const want[] = {
        "MESSAGE=parcel YL20240512000042 (customs.declarations [3] offset 123456789012): "
        "recorded 100 rejected by R-HS-001,R-VALUE-002",
        "PRIORITY=4",
        "SYSLOG_IDENTIFIER=customsd",
        "TOPIC=customs.declarations",
        "PARTITION=3",
        "OFFSET=123456789012",
        "LOGISTICS_NO=YL20240512000042",
        "RULE_IDS=R-HS-001,R-VALUE-002",
        "STATUS_CODE=100"};
    int n = log_journal_fields(LOG_LEVEL_WARN, "customsd", &r, msg, buf, sizeof(buf), iov);
    fields_are(iov, n, want, 9);
    assert_true(n <= LOG_MAX_FIELDS);

    /* zero is a value (partition 0, offset 0, status 0 would be printed); "" is not */
    struct log_record z = {"", 0, 0, "", "", -1};
    n = log_journal_fields(LOG_LEVEL_DEBUG, "t", &z, "m", buf, sizeof(buf), iov);
    static const char *const wantz[] = {"MESSAGE=m", "PRIORITY=7", "SYSLOG_IDENTIFIER=t",
                                        "PARTITION=0", "OFFSET=0"};
    fields_are(iov, n, wantz, 5);
}

static void test_fields_hostile_key(void **state)
{
    (void)state;
    char key[400 * 3 + 1], buf[LOG_FIELDS_BUF + 64];
    struct iovec iov[LOG_MAX_FIELDS];

    /* a key with a line break and an escape: one line, no injected field */
    struct log_record r = LOG_RECORD_NONE;
    r.logistics_no = "YL1\nPRIORITY=0\x1b";
    int n = log_journal_fields(LOG_LEVEL_INFO, "customsd", &r, "m", buf, sizeof(buf), iov);
    assert_int_equal(n, 4);
    assert_int_equal(iov[3].iov_len, strlen("LOGISTICS_NO=YL1 PRIORITY=0?"));
    assert_memory_equal(iov[3].iov_base, "LOGISTICS_NO=YL1 PRIORITY=0?", iov[3].iov_len);

    /* 400 three-byte characters: cut at LOG_FIELD_MAX bytes, on a character boundary */
    key[0] = '\0';
    for (int i = 0; i < 400; i++)
        strcat(key, "\xe5\x8c\x85"); /* 包 */
    r.logistics_no = key;
    n = log_journal_fields(LOG_LEVEL_INFO, "customsd", &r, "m", buf, sizeof(buf), iov);
    assert_int_equal(n, 4);
    size_t vlen = iov[3].iov_len - strlen("LOGISTICS_NO=");
    assert_true(vlen <= LOG_FIELD_MAX);
    assert_true(vlen > LOG_FIELD_MAX - 3);
    assert_int_equal(vlen % 3, 0);

    /* the longest record fields fit in LOG_FIELDS_BUF besides the message */
    static char msg[4000];
    memset(msg, 'm', sizeof(msg) - 1);
    struct log_record big = {key, INT32_MAX, INT64_MAX, key, key, 999};
    static char bigbuf[sizeof(msg) + LOG_FIELDS_BUF];
    n = log_journal_fields(LOG_LEVEL_INFO, "customsd", &big, msg, bigbuf, sizeof(bigbuf), iov);
    assert_int_equal(n, 9);

    /* a buffer too small */
    n = log_journal_fields(LOG_LEVEL_INFO, "customsd", &big, msg, bigbuf, 100, iov);
    assert_int_equal(n, -1);
}

static void test_stream_is_journal(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    struct stat st;
    char js[64];
    assert_non_null(f);
    assert_int_equal(fstat(fileno(f), &st), 0);

    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    assert_int_equal(log_stream_is_journal(js, fileno(f)), 1);
    snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + 1);
    assert_int_equal(log_stream_is_journal(js, fileno(f)), 0);
    snprintf(js, sizeof(js), "%llu:%llux", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    assert_int_equal(log_stream_is_journal(js, fileno(f)), 0);
    assert_int_equal(log_stream_is_journal("", fileno(f)), 0);
    assert_int_equal(log_stream_is_journal("12", fileno(f)), 0);
    assert_int_equal(log_stream_is_journal(NULL, fileno(f)), 0);
    fclose(f);
}

/* Run log_record_line with stderr on a temporary file under JOURNAL_STREAM js (NULL:
 * unset); the line written into out. */
static void logged_line(const char *js, int stream_is_stderr, char *out, size_t outlen)
{
    FILE *f = tmpfile();
    struct stat st;
    char jsbuf[64];
    assert_non_null(f);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(f), 2) >= 0);
    if (stream_is_stderr) {
        assert_int_equal(fstat(2, &st), 0);
        snprintf(jsbuf, sizeof(jsbuf), "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        js = jsbuf;
    }
    if (js)
        setenv("JOURNAL_STREAM", js, 1);
    else
        unsetenv("JOURNAL_STREAM");
    log_init("test", LOG_LEVEL_INFO);
    struct log_record r = {"customs.declarations", 1, 7, "YL1", "R-1", 100};
    log_record_line(LOG_LEVEL_WARN, &r, "parcel %s: %s", "YL1", "refused:\nDETAIL:  why\n");
    log_record_line(LOG_LEVEL_DEBUG, &r, "not printed at info");
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    rewind(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_stderr_lines(void **state)
{
    (void)state;
    char out[1024];
    regex_t re;

    logged_line(NULL, 0, out, sizeof(out));
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "test\\[warn\\] parcel YL1: refused: DETAIL:  why\n$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, out, 0, NULL, 0), 0);
    regfree(&re);

    logged_line("1:1", 0, out, sizeof(out));
    assert_string_equal(out, "<4>parcel YL1: refused: DETAIL:  why\n");

    /* stderr is the journal's stream but no journal takes the fields (none runs here):
     * the line still goes out, with its priority */
    if (access("/run/systemd/journal/socket", F_OK) == 0) {
        print_message("a journal runs here: the fallback is not exercised\n");
        return;
    }
    logged_line(NULL, 1, out, sizeof(out));
    assert_string_equal(out, "<4>parcel YL1: refused: DETAIL:  why\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fields_plain),
        cmocka_unit_test(test_fields_record),
        cmocka_unit_test(test_fields_hostile_key),
        cmocka_unit_test(test_stream_is_journal),
        cmocka_unit_test(test_stderr_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
