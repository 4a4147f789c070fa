/*
 * test_consumer_slot.c - unit tests of consumer_slot_redecide (consumer_slot.c): a
 * declaration decided again by pre-check 19 takes the new decision, and says whether it
 * differs in anything the batch document carries (the consumer then builds the document
 * anew instead of sending the one built while the batch before was applied).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consumer_slot.h"

static const char *const VERSION = "0123abcd";

/* A decision with status `code` and one reason (rule `id`, `message`, `value` or NULL), or
 * none when id is NULL; everything heap-allocated as rules_evaluate does. */
static struct decision decided(int code, const char *id, const char *message, const char *value)
{
    struct decision d = {code, 0, NULL, VERSION};
    if (id) {
        d.reasons = calloc(1, sizeof(*d.reasons));
        assert_non_null(d.reasons);
        d.n_reasons = 1;
        d.reasons[0].rule_id = strdup(id);
        d.reasons[0].action = RULE_REJECT;
        d.reasons[0].message = strdup(message);
        d.reasons[0].severity = RULE_SEVERITY_HIGH;
        d.reasons[0].value = value ? strdup(value) : NULL;
    }
    return d;
}

static void test_same_decision_is_not_a_change(void **state)
{
    (void)state;
    struct consumer_slot s = {0};
    s.decision = decided(399, NULL, NULL, NULL);
    struct decision again = decided(399, NULL, NULL, NULL);
    assert_false(consumer_slot_redecide(&s, &again));
    assert_int_equal(s.decision.status_code, 399);

    decision_clear(&s.decision);
    s.decision = decided(100, "R1", "too heavy", "31 kg");
    again = decided(100, "R1", "too heavy", "31 kg");
    assert_false(consumer_slot_redecide(&s, &again));
    assert_string_equal(s.decision.reasons[0].value, "31 kg");
    consumer_slot_clear(&s);
}

static void test_any_carried_field_is_a_change(void **state)
{
    (void)state;
    struct consumer_slot s = {0};
    struct decision again;

    /* status code: an earlier record of the batch holds the copNo (pre-check 19) */
    s.decision = decided(399, NULL, NULL, NULL);
    again = decided(100, "UNIQUE-COPNO", "copNo held by YL2", NULL);
    assert_true(consumer_slot_redecide(&s, &again));
    assert_int_equal(s.decision.status_code, 100);
    assert_string_equal(s.decision.reasons[0].rule_id, "UNIQUE-COPNO");

    /* same status and rule, another message */
    again = decided(100, "UNIQUE-COPNO", "copNo held by YL3", NULL);
    assert_true(consumer_slot_redecide(&s, &again));
    assert_string_equal(s.decision.reasons[0].message, "copNo held by YL3");

    /* a value where there was none */
    again = decided(100, "UNIQUE-COPNO", "copNo held by YL3", "YL3");
    assert_true(consumer_slot_redecide(&s, &again));

    /* another severity */
    again = decided(100, "UNIQUE-COPNO", "copNo held by YL3", "YL3");
    again.reasons[0].severity = RULE_SEVERITY_LOW;
    assert_true(consumer_slot_redecide(&s, &again));

    /* another rules version */
    again = decided(100, "UNIQUE-COPNO", "copNo held by YL3", "YL3");
    again.reasons[0].severity = RULE_SEVERITY_LOW;
    again.rules_version = "ffff";
    assert_true(consumer_slot_redecide(&s, &again));
    consumer_slot_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_decision_is_not_a_change),
        cmocka_unit_test(test_any_carried_field_is_a_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
