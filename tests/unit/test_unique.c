/*
 * test_unique.c - unit tests of unique.c, the keys of pre-check 19 for one batch: distinct
 * keys, the request sent to customs.unique_holders, reading its answer (and refusing a bad
 * one), and who holds a key for a given parcel: a stored parcel, or one decided earlier in
 * the batch, never the parcel itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unique.h"

static struct rules_key key2(const char *f1, const char *v1, const char *f2, const char *v2)
{
    struct rules_key k = {0};
    k.n = 2;
    k.fields[0] = f1;
    k.values[0] = v1;
    k.fields[1] = f2;
    k.values[1] = v2;
    return k;
}

static int setup(void **state)
{
    *state = unique_table_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    unique_table_free(*state);
    return 0;
}

static void test_request(void **state)
{
    struct unique_table *t = *state;
    struct rules_key a = key2("ebpCode", "E1", "orderNo", "O\"1"),
                     b = key2("agentCode", "A1", "copNo", "C1");

    assert_int_equal(unique_add(t, &a), 0);
    assert_int_equal(unique_add(t, &b), 0);
    assert_int_equal(unique_add(t, &a), 0); /* once */
    assert_int_equal(unique_count(t), 2);
    char *req = unique_request(t);
    assert_non_null(req);
    assert_string_equal(req,
                        "{\"keys\":[{\"f\":[\"ebpCode\",\"orderNo\"],\"v\":[\"E1\",\"O\\\"1\"]},"
                        "{\"f\":[\"agentCode\",\"copNo\"],\"v\":[\"A1\",\"C1\"]}]}");
    free(req);

    /* Values are told apart however they are cut: "a;b" + "c" is not "a" + "b;c". */
    struct rules_key x = key2("f", "a;b", "g", "c"), y = key2("f", "a", "g", "b;c");
    unique_table_reset(t);
    assert_int_equal(unique_count(t), 0);
    assert_int_equal(unique_add(t, &x), 0);
    assert_int_equal(unique_add(t, &y), 0);
    assert_int_equal(unique_count(t), 2);
}

static void test_holders(void **state)
{
    struct unique_table *t = *state;
    struct rules_key a = key2("ebpCode", "E1", "orderNo", "O1"),
                     b = key2("ebpCode", "E1", "orderNo", "O2"),
                     c = key2("ebpCode", "E2", "orderNo", "O1"), unknown = key2("f", "1", "g", "2");
    char why[256];

    assert_int_equal(unique_add(t, &a), 0);
    assert_int_equal(unique_add(t, &b), 0);
    assert_int_equal(unique_add(t, &c), 0);
    assert_int_equal(
        unique_answer(t, "[{\"i\": 0, \"h\": [\"L1\", \"L2\"]}, {\"i\": 2, \"h\": [\"L9\"]}]", why,
                      sizeof(why)),
        0);
    /* a: stored by L1 and L2; the parcel itself is never its own collision. */
    assert_string_equal(unique_holder(t, &a, "L5"), "L1");
    assert_string_equal(unique_holder(t, &a, "L1"), "L2");
    /* c: stored by L9 alone. */
    assert_string_equal(unique_holder(t, &c, "L5"), "L9");
    assert_null(unique_holder(t, &c, "L9"));
    /* b: nobody until a parcel of the batch claims it; the first claimant keeps it. */
    assert_null(unique_holder(t, &b, "L5"));
    assert_int_equal(unique_claim(t, &b, "L5"), 0);
    assert_int_equal(unique_claim(t, &b, "L6"), 0);
    assert_null(unique_holder(t, &b, "L5"));
    assert_string_equal(unique_holder(t, &b, "L6"), "L5");
    /* A key never added: no holder, no claim. */
    assert_null(unique_holder(t, &unknown, "L5"));
    assert_int_equal(unique_claim(t, &unknown, "L5"), -1);
}

static void test_bad_answers(void **state)
{
    struct unique_table *t = *state;
    struct rules_key a = key2("ebpCode", "E1", "orderNo", "O1");
    static const char *const bad[] = {
        NULL,
        "not json",
        "{\"i\": 0}",
        "[{\"i\": 1, \"h\": [\"L1\"]}]",
        "[{\"i\": -1, \"h\": [\"L1\"]}]",
        "[{\"i\": 0, \"h\": [7]}]",
        "[{\"i\": \"0\", \"h\": [\"L1\"]}]",
        "[{\"i\": 0, \"h\": [\"L1\"]}, {\"h\": []}]",
    };
    char why[256];

    assert_int_equal(unique_add(t, &a), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(unique_answer(t, bad[i], why, sizeof(why)), -1);
        assert_true(why[0] != '\0');
        /* Nothing recorded from a refused answer. */
        assert_null(unique_holder(t, &a, "L5"));
    }
    assert_int_equal(unique_answer(t, "[]", why, sizeof(why)), 0);
    assert_null(unique_holder(t, &a, "L5"));
}

/* Many keys: the table grows and still finds every one. */
static void test_many(void **state)
{
    struct unique_table *t = *state;
    char v[2000][16];
    char answer[64];
    char why[128];

    for (int i = 0; i < 2000; i++) {
        snprintf(v[i], sizeof(v[i]), "O%d", i);
        struct rules_key k = key2("ebpCode", "E", "orderNo", v[i]);
        assert_int_equal(unique_add(t, &k), 0);
    }
    assert_int_equal(unique_count(t), 2000);
    snprintf(answer, sizeof(answer), "[{\"i\": 1999, \"h\": [\"L\"]}]");
    assert_int_equal(unique_answer(t, answer, why, sizeof(why)), 0);
    for (int i = 0; i < 2000; i++) {
        struct rules_key k = key2("ebpCode", "E", "orderNo", v[i]);
        if (i == 1999)
            assert_string_equal(unique_holder(t, &k, "X"), "L");
        else
            assert_null(unique_holder(t, &k, "X"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
