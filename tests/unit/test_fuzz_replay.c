/*
 * test_fuzz_replay.c - replays the fuzz targets' seed corpora and regression cases
 * (tests/fuzz/corpus/NAME/, tests/fuzz/regressions/NAME/) without libFuzzer, so that
 * `make check` (and `make asan`, under ASan/UBSan) runs every input a fuzzer ever found
 * interesting or crashing. A target aborts on a broken contract; the crash handler below
 * names the input that did it.
 *
 * The target files are included here with FUZZ_REPLAY defined (no libFuzzer entry point).
 * Paths are relative to the source tree (run from the top of the checkout, or set
 * CUSTOMSD_SRCDIR).
 */
#include <dirent.h>
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

#define FUZZ_REPLAY 1
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_declaration.c"
#include "../fuzz/fuzz_declaration_xml.c"
#include "../fuzz/fuzz_rules.c"
#include "../fuzz/fuzz_order.c"
#include "../fuzz/fuzz_payment.c"
#include "../fuzz/fuzz_scan.c"
#include "../fuzz/fuzz_waybill.c"

/* The input being replayed, for the crash handler. */
static const char *replay_current;

/* On abort, name the input (async-signal-safe), then die as before. */
static void replay_crashed(int sig)
{
    static const char pre[] = "\nfuzz replay: crashed on ";
    const char *p = replay_current ? replay_current : "(none)";
    ssize_t w = write(STDERR_FILENO, pre, sizeof(pre) - 1);
    w = write(STDERR_FILENO, p, strlen(p));
    w = write(STDERR_FILENO, "\n", 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run `target` on every regular file of dir (sorted); returns the number of files run. */
static size_t replay_dir(const char *dir, int (*target)(const uint8_t *, size_t))
{
    char dirpath[4096];
    DIR *dh;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, ran = 0;

    snprintf(dirpath, sizeof(dirpath), "%s", fuzz_src_path(dir));
    dh = opendir(dirpath);
    if (!dh)
        return 0;
    while ((e = readdir(dh)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            assert_non_null(names);
        }
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        size_t len = 0;
        char *data;

        snprintf(path, sizeof(path), "%s/%s", dirpath, names[i]);
        data = read_file(path, &len);
        if (!data)
            fail_msg("%s: cannot read", path);
        replay_current = path;
        target((const uint8_t *)data, len);
        replay_current = NULL;
        free(data);
        free(names[i]);
        ran++;
    }
    free(names);
    return ran;
}

static void replay(const char *name, int (*target)(const uint8_t *, size_t))
{
    char corpus[256], regressions[256];
    size_t seeds, cases;

    snprintf(corpus, sizeof(corpus), "tests/fuzz/corpus/%s", name);
    snprintf(regressions, sizeof(regressions), "tests/fuzz/regressions/%s", name);
    seeds = replay_dir(corpus, target);
    cases = replay_dir(regressions, target);
    print_message("fuzz %s: %zu seed inputs and %zu regression cases replayed\n", name, seeds,
                  cases);
    /* An empty or missing seed corpus means the test ran from the wrong directory. */
    assert_true(seeds > 0);
}

static void test_replay_declaration(void **state)
{
    (void)state;
    replay("declaration", fuzz_declaration);
}

static void test_replay_declaration_xml(void **state)
{
    (void)state;
    replay("declaration_xml", fuzz_declaration_xml);
}

static void test_replay_rules(void **state)
{
    (void)state;
    replay("rules", fuzz_rules);
}

static void test_replay_scan(void **state)
{
    (void)state;
    replay("scan", fuzz_scan);
}

static void test_replay_order(void **state)
{
    (void)state;
    replay("order", fuzz_order);
}

static void test_replay_waybill(void **state)
{
    (void)state;
    replay("waybill", fuzz_waybill);
}

static void test_replay_payment(void **state)
{
    (void)state;
    replay("payment", fuzz_payment);
}

static void test_replay_config(void **state)
{
    (void)state;
    replay("config", fuzz_config);
}

int main(void)
{
    /* Only SIGABRT: the targets abort on a broken contract, and so do the sanitizers
     * (abort_on_error); faults are left to ASan's and cmocka's own handlers. */
    signal(SIGABRT, replay_crashed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_declaration), cmocka_unit_test(test_replay_rules),
        cmocka_unit_test(test_replay_scan),        cmocka_unit_test(test_replay_config),
        cmocka_unit_test(test_replay_order),       cmocka_unit_test(test_replay_waybill),
        cmocka_unit_test(test_replay_payment),     cmocka_unit_test(test_replay_declaration_xml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
