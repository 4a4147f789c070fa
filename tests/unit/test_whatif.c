/*
 * test_whatif.c - unit tests of the pure part of ctl_whatif.c: counting decisions that change
 * (status transitions, rules newly hit and no longer hit, reasons-only changes, skipped
 * rules, bounded examples) and the --max-changed bound (count or percentage, exact).
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

#include "ctl_whatif.h"

/* A decision of status `code` matching the rules ids[0..n). */
static struct decision dec(int code, size_t n, struct reason *r, const char *const *ids)
{
    for (size_t i = 0; i < n; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].rule_id = (char *)ids[i];
        r[i].action = code == 300 ? RULE_REVIEW : RULE_FLAG;
    }
    return (struct decision){.status_code = code, .n_reasons = n, .reasons = r};
}

static void test_unchanged(void **state)
{
    struct whatif_agg a;
    struct reason r1[1], r2[1];
    static const char *const ids[] = {"FLAG-A"};
    (void)state;

    whatif_agg_init(&a, 5);
    struct decision c = dec(399, 1, r1, ids), n = dec(399, 1, r2, ids);
    assert_int_equal(whatif_agg_add(&a, "L1", &c, &n, NULL, 0), 0);
    assert_int_equal(a.total, 1);
    assert_int_equal(a.changed, 0);
    assert_int_equal(a.reasons_changed, 0);
    assert_int_equal(a.n_transitions, 0);
    assert_int_equal(a.n_examples, 0);
    const struct whatif_rule *w = whatif_agg_rule(&a, "FLAG-A");
    assert_non_null(w);
    assert_int_equal(w->hit_current, 1);
    assert_int_equal(w->hit_new, 1);
    assert_int_equal(w->newly + w->no_longer, 0);
    whatif_agg_clear(&a);
}

static void test_transitions_and_rules(void **state)
{
    struct whatif_agg a;
    struct reason rc[2], rn[2];
    static const char *const flag[] = {"EAEU"}, *const review[] = {"EAEU"};
    static const char *const old2[] = {"A", "B"}, *const new2[] = {"B", "C"};
    static const char *const skipped[] = {"UNIQ"};
    (void)state;

    whatif_agg_init(&a, 2);
    /* Three 399 -> 300 (flag became review: same rule id on both sides). */
    for (int i = 0; i < 3; i++) {
        char lno[8];
        snprintf(lno, sizeof(lno), "P%d", i);
        struct decision c = dec(399, 1, rc, flag), n = dec(300, 1, rn, review);
        assert_int_equal(whatif_agg_add(&a, lno, &c, &n, skipped, 1), 0);
    }
    /* One 100 -> 399: no rule any more. */
    struct decision c = dec(100, 1, rc, (const char *const[]){"REJ"}), n = dec(399, 0, rn, NULL);
    assert_int_equal(whatif_agg_add(&a, "Q", &c, &n, NULL, 0), 0);
    /* Same status, other rules: A no longer, C newly. */
    c = dec(399, 2, rc, old2);
    n = dec(399, 2, rn, new2);
    assert_int_equal(whatif_agg_add(&a, "R", &c, &n, NULL, 0), 0);

    assert_int_equal(a.total, 5);
    assert_int_equal(a.changed, 4);
    assert_int_equal(a.reasons_changed, 1);
    assert_int_equal(a.n_transitions, 2);
    assert_int_equal(a.transitions[0].from, 399);
    assert_int_equal(a.transitions[0].to, 300);
    assert_int_equal(a.transitions[0].count, 3);
    assert_int_equal(a.transitions[1].from, 100);
    assert_int_equal(a.transitions[1].to, 399);
    assert_int_equal(a.transitions[1].count, 1);

    const struct whatif_rule *w = whatif_agg_rule(&a, "EAEU");
    assert_int_equal(w->hit_current, 3);
    assert_int_equal(w->hit_new, 3);
    assert_int_equal(w->newly, 0);
    assert_int_equal(w->no_longer, 0);
    assert_int_equal(w->changed_with, 3);
    w = whatif_agg_rule(&a, "REJ");
    assert_int_equal(w->changed_with, 1);
    assert_int_equal(w->no_longer, 1);
    assert_int_equal(w->hit_new, 0);
    assert_int_equal(whatif_agg_rule(&a, "A")->no_longer, 1);
    assert_int_equal(whatif_agg_rule(&a, "C")->newly, 1);
    assert_int_equal(whatif_agg_rule(&a, "C")->changed_with, 0); /* status kept */
    assert_int_equal(whatif_agg_rule(&a, "B")->newly + whatif_agg_rule(&a, "B")->no_longer, 0);
    assert_int_equal(whatif_agg_rule(&a, "UNIQ")->skipped_new, 3);
    assert_null(whatif_agg_rule(&a, "NONE"));

    /* At most 2 examples, the first changed ones. */
    assert_int_equal(a.n_examples, 2);
    assert_string_equal(a.examples[0].logistics_no, "P0");
    assert_int_equal(a.examples[0].from, 399);
    assert_int_equal(a.examples[0].to, 300);
    assert_string_equal(a.examples[0].rules, "EAEU:flag->review");
    whatif_agg_clear(&a);
    assert_int_equal(a.total, 0);
}

static void test_example_rules_text(void **state)
{
    struct whatif_agg a;
    struct reason rc[2], rn[2];
    (void)state;

    whatif_agg_init(&a, 1);
    struct decision c = dec(399, 1, rc, (const char *const[]){"OLD"}),
                    n = dec(100, 2, rn, (const char *const[]){"NEW1", "NEW2"});
    assert_int_equal(whatif_agg_add(&a, "X", &c, &n, NULL, 0), 0);
    assert_string_equal(a.examples[0].rules, "+NEW1 +NEW2 -OLD");
    whatif_agg_clear(&a);
}

static void test_bound(void **state)
{
    struct whatif_bound b;
    char err[256];
    (void)state;

    assert_int_equal(whatif_bound_parse("25", &b, err, sizeof(err)), 0);
    assert_false(b.percent);
    assert_false(whatif_bound_exceeded(&b, 25, 1000));
    assert_true(whatif_bound_exceeded(&b, 26, 1000));

    assert_int_equal(whatif_bound_parse("1%", &b, err, sizeof(err)), 0);
    assert_true(b.percent);
    assert_int_equal(b.milli_pct, 1000);
    assert_false(whatif_bound_exceeded(&b, 10, 1000)); /* exactly 1 % */
    assert_true(whatif_bound_exceeded(&b, 11, 1000));
    assert_false(whatif_bound_exceeded(&b, 0, 0));

    assert_int_equal(whatif_bound_parse("0.125%", &b, err, sizeof(err)), 0);
    assert_int_equal(b.milli_pct, 125);
    assert_false(whatif_bound_exceeded(&b, 1, 800));
    assert_true(whatif_bound_exceeded(&b, 2, 800));

    assert_int_equal(whatif_bound_parse("0", &b, err, sizeof(err)), 0);
    assert_true(whatif_bound_exceeded(&b, 1, 1));
    assert_false(whatif_bound_exceeded(&b, 0, 1));

    memset(&b, 0, sizeof(b));
    assert_false(whatif_bound_exceeded(&b, 100, 100)); /* not set */

    static const char *const bad[] = {"", "x", "-1", "1.5", "101%", "1.%", "0.0001%", "5x", "%"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(whatif_bound_parse(bad[i], &b, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "--max-changed"));
        assert_false(b.set);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged),
        cmocka_unit_test(test_transitions_and_rules),
        cmocka_unit_test(test_example_rules_text),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
