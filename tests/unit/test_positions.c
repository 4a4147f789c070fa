/*
 * test_positions.c - unit tests of positions.c, the consumer's partition bookkeeping:
 * tracking assigned partitions, skipping records applied or taken already, the gap left by
 * retention, the fences and next offsets of a range of records across partitions and
 * topics, commits, and what a rebalance (eager or cooperative) leaves behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "positions.h"

#define DECL  "customs.declarations"
#define SCANS "mishan.warehouse.scans"

static int setup(void **state)
{
    *state = positions_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    positions_free(*state);
    return 0;
}

/* Track (topic, partition) and load `next` as the database would. */
static void assign(struct positions *ps, const char *topic, int32_t partition, int64_t next)
{
    assert_int_equal(positions_add(ps, topic, partition), 0);
    positions_set_stored(ps, topic, partition, next);
}

static void test_add_find_remove(void **state)
{
    struct positions *ps = *state;
    const struct positions_partition *pp;

    assert_int_equal(positions_count(ps), 0);
    assert_null(positions_find(ps, DECL, 0));
    assert_int_equal(positions_add(ps, DECL, 0), 0);
    assert_int_equal(positions_add(ps, DECL, 1), 0);
    assert_int_equal(positions_add(ps, SCANS, 0), 0);
    assert_int_equal(positions_count(ps), 3);

    pp = positions_find(ps, DECL, 1);
    assert_non_null(pp);
    assert_string_equal(pp->topic, DECL);
    assert_int_equal(pp->partition, 1);
    assert_false(pp->loaded);
    assert_int_equal(pp->next, -1);
    assert_int_equal(pp->batch_last, -1);
    /* Same partition number, other topic: a different partition. */
    assert_ptr_not_equal(positions_find(ps, SCANS, 0), positions_find(ps, DECL, 0));
    assert_null(positions_find(ps, SCANS, 1));
    assert_null(positions_find(ps, "customs.declaration", 0)); /* exact topic names */

    positions_remove(ps, DECL, 0);
    assert_int_equal(positions_count(ps), 2);
    assert_null(positions_find(ps, DECL, 0));
    assert_non_null(positions_find(ps, DECL, 1));
    assert_non_null(positions_find(ps, SCANS, 0));
    positions_remove(ps, DECL, 7); /* unknown: ignored */
    assert_int_equal(positions_count(ps), 2);

    positions_clear(ps);
    assert_int_equal(positions_count(ps), 0);
    assert_null(positions_find(ps, DECL, 1));
    positions_free(NULL);
}

/* Many partitions: the array grows and every one stays findable. */
static void test_many_partitions(void **state)
{
    struct positions *ps = *state;

    for (int32_t i = 0; i < 100; i++)
        assign(ps, i % 2 ? SCANS : DECL, i, 1000 + i);
    assert_int_equal(positions_count(ps), 100);
    for (int32_t i = 0; i < 100; i++) {
        const struct positions_partition *pp = positions_find(ps, i % 2 ? SCANS : DECL, i);
        assert_non_null(pp);
        assert_int_equal(pp->next, 1000 + i);
        assert_null(positions_find(ps, i % 2 ? DECL : SCANS, i));
    }
}

/* Nothing is taken from a partition before the database has said where it stands. */
static void test_unloaded_and_unknown_skipped(void **state)
{
    struct positions *ps = *state;
    int64_t gap = 42;

    assert_false(positions_take(ps, DECL, 0, 5, &gap)); /* not assigned */
    assert_int_equal(gap, -1);
    assert_int_equal(positions_add(ps, DECL, 0), 0);
    assert_false(positions_take(ps, DECL, 0, 5, &gap)); /* assigned, not loaded */
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, -1);

    positions_set_stored(ps, DECL, 0, -1); /* nothing stored: start at the earliest */
    assert_true(positions_find(ps, DECL, 0)->loaded);
    assert_true(positions_take(ps, DECL, 0, 0, &gap));
    assert_int_equal(gap, -1);
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, 0);

    positions_set_stored(ps, DECL, 9, 3); /* not tracked: ignored */
    assert_null(positions_find(ps, DECL, 9));
}

/* Redelivered records below the stored offset, and repeats within a batch, are skipped. */
static void test_skip_applied_offsets(void **state)
{
    struct positions *ps = *state;
    int64_t gap;

    assign(ps, DECL, 0, 100);
    assert_false(positions_take(ps, DECL, 0, 0, &gap));
    assert_false(positions_take(ps, DECL, 0, 99, &gap));
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, -1);
    assert_true(positions_take(ps, DECL, 0, 100, &gap));
    assert_int_equal(gap, -1);
    assert_true(positions_take(ps, DECL, 0, 101, NULL));
    assert_false(positions_take(ps, DECL, 0, 101, &gap)); /* taken already */
    assert_false(positions_take(ps, DECL, 0, 100, &gap));
    assert_true(positions_take(ps, DECL, 0, 102, &gap));
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, 102);

    /* The batch is dropped (a rebalance in poll): the same records may be taken again. */
    positions_batch_reset(ps);
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, -1);
    assert_true(positions_take(ps, DECL, 0, 100, &gap));
    assert_int_equal(positions_find(ps, DECL, 0)->next, 100);
}

/* A first record past the stored offset reports the gap once; later ones do not. */
static void test_gap_after_retention(void **state)
{
    struct positions *ps = *state;
    int64_t gap = -7;

    assign(ps, DECL, 3, 50);
    assert_true(positions_take(ps, DECL, 3, 80, &gap));
    assert_int_equal(gap, 50); /* offsets 50..79 are gone */
    assert_true(positions_take(ps, DECL, 3, 85, &gap));
    assert_int_equal(gap, -1); /* within the batch: Kafka offsets need not be dense */

    /* No stored offset: whatever comes first is the start, never a gap. */
    assign(ps, SCANS, 3, -1);
    assert_true(positions_take(ps, SCANS, 3, 1234, &gap));
    assert_int_equal(gap, -1);
}

/* Fences of a range across partitions and topics: expected = stored, next = max + 1. */
static void test_fences_of_a_range(void **state)
{
    struct positions *ps = *state;
    static const struct {
        const char *topic;
        int32_t partition;
        int64_t offset;
    } recs[] = {{DECL, 0, 10}, {DECL, 1, 5},  {SCANS, 0, 7}, {DECL, 0, 11},
                {DECL, 0, 14}, {SCANS, 0, 8}, {DECL, 1, 6}};
    struct batch_offset fences[8];
    size_t n = 0;

    assign(ps, DECL, 0, 10);
    assign(ps, DECL, 1, -1);
    assign(ps, SCANS, 0, 7);
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
        assert_int_equal(
            positions_fence_add(ps, fences, &n, recs[i].topic, recs[i].partition, recs[i].offset),
            0);
    assert_int_equal(n, 3);
    /* In the order first touched. */
    assert_string_equal(fences[0].topic, DECL);
    assert_int_equal(fences[0].partition, 0);
    assert_int_equal(fences[0].expected, 10);
    assert_int_equal(fences[0].next, 15);
    assert_string_equal(fences[1].topic, DECL);
    assert_int_equal(fences[1].partition, 1);
    assert_int_equal(fences[1].expected, -1); /* no row yet */
    assert_int_equal(fences[1].next, 7);
    assert_string_equal(fences[2].topic, SCANS);
    assert_int_equal(fences[2].partition, 0);
    assert_int_equal(fences[2].expected, 7);
    assert_int_equal(fences[2].next, 9);

    /* A partition nobody tracks gets no fence. */
    assert_int_equal(positions_fence_add(ps, fences, &n, SCANS, 5, 1), -1);
    assert_int_equal(n, 3);

    /* Nothing moves until the range is committed. */
    assert_int_equal(positions_find(ps, DECL, 0)->next, 10);
    positions_commit(ps, fences, n);
    assert_int_equal(positions_find(ps, DECL, 0)->next, 15);
    assert_int_equal(positions_find(ps, DECL, 1)->next, 7);
    assert_int_equal(positions_find(ps, SCANS, 0)->next, 9);
}

/*
 * The documents topics (orders, waybills, payments) share partition numbers with the
 * declarations: positions and fences are per (topic, partition), so partition 0 of each
 * is fenced and committed on its own.
 */
static void test_document_topics(void **state)
{
    struct positions *ps = *state;
    static const char *const topics[] = {DECL, "customs.orders", "customs.waybills",
                                         "customs.payments"};
    struct batch_offset fences[8];
    size_t n = 0;

    for (int64_t t = 0; t < 4; t++)
        assign(ps, topics[t], 0, t == 1 ? -1 : 10 * t);
    for (int64_t t = 0; t < 4; t++)
        assert_int_equal(positions_fence_add(ps, fences, &n, topics[t], 0, 10 * t + 2), 0);
    assert_int_equal(n, 4);
    for (int64_t t = 0; t < 4; t++) {
        assert_string_equal(fences[t].topic, topics[t]);
        assert_int_equal(fences[t].partition, 0);
        assert_int_equal(fences[t].expected, t == 1 ? -1 : 10 * t);
        assert_int_equal(fences[t].next, 10 * t + 3);
    }
    positions_commit(ps, fences, n);
    assert_int_equal(positions_find(ps, "customs.orders", 0)->next, 13);
    assert_int_equal(positions_find(ps, "customs.waybills", 0)->next, 23);
    /* a record of the orders topic at an offset already applied is skipped; waybills' not */
    int64_t gap = -1;
    assert_false(positions_take(ps, "customs.orders", 0, 12, &gap));
    assert_true(positions_take(ps, "customs.waybills", 0, 23, &gap));
}

/*
 * A batch split in halves: the second half's fences expect what the first half
 * committed, and a redelivery of the first half is skipped afterwards.
 */
static void test_split_ranges(void **state)
{
    struct positions *ps = *state;
    struct batch_offset fences[2];
    size_t n = 0;

    assign(ps, DECL, 0, 0);
    for (int64_t o = 0; o < 4; o++)
        assert_true(positions_take(ps, DECL, 0, o, NULL));
    assert_int_equal(positions_fence_add(ps, fences, &n, DECL, 0, 0), 0);
    assert_int_equal(positions_fence_add(ps, fences, &n, DECL, 0, 1), 0);
    assert_int_equal(fences[0].expected, 0);
    assert_int_equal(fences[0].next, 2);
    positions_commit(ps, fences, n);

    n = 0;
    assert_int_equal(positions_fence_add(ps, fences, &n, DECL, 0, 2), 0);
    assert_int_equal(positions_fence_add(ps, fences, &n, DECL, 0, 3), 0);
    assert_int_equal(n, 1);
    assert_int_equal(fences[0].expected, 2);
    assert_int_equal(fences[0].next, 4);
    positions_commit(ps, fences, n);
    positions_batch_reset(ps);

    assert_false(positions_take(ps, DECL, 0, 1, NULL));
    assert_false(positions_take(ps, DECL, 0, 3, NULL));
    assert_true(positions_take(ps, DECL, 0, 4, NULL));
}

/*
 * Cooperative rebalance: a kept partition keeps its position (adding it again changes
 * nothing), a revoked one is forgotten and skipped, a newly assigned one waits for the
 * database. A commit whose partition was revoked meanwhile is ignored.
 */
static void test_cooperative_rebalance(void **state)
{
    struct positions *ps = *state;
    struct batch_offset fences[2];
    size_t n = 0;

    assign(ps, DECL, 0, 20);
    assign(ps, DECL, 1, 30);
    assert_true(positions_take(ps, DECL, 0, 20, NULL));
    assert_int_equal(positions_fence_add(ps, fences, &n, DECL, 1, 30), 0);

    assert_int_equal(positions_add(ps, DECL, 0), 0); /* kept across the rebalance */
    positions_remove(ps, DECL, 1);                   /* moved to another instance */
    assert_int_equal(positions_add(ps, DECL, 2), 0); /* newly ours */

    const struct positions_partition *kept = positions_find(ps, DECL, 0);
    assert_non_null(kept);
    assert_true(kept->loaded);
    assert_int_equal(kept->next, 20);
    assert_int_equal(kept->batch_last, 20);
    assert_false(positions_take(ps, DECL, 1, 31, NULL));
    assert_false(positions_take(ps, DECL, 2, 0, NULL)); /* not loaded yet */

    /* Re-positioning reloads the stored offsets and forgets the dropped batch. */
    positions_set_stored(ps, DECL, 0, 20);
    positions_set_stored(ps, DECL, 2, -1);
    assert_int_equal(positions_find(ps, DECL, 0)->batch_last, -1);
    assert_true(positions_take(ps, DECL, 0, 20, NULL));
    assert_true(positions_take(ps, DECL, 2, 0, NULL));

    /* The fence built for partition 1 before it was revoked commits nothing now. */
    struct batch_offset stale = {.topic = DECL, .partition = 1, .expected = 30, .next = 31};
    positions_commit(ps, &stale, 1);
    assert_null(positions_find(ps, DECL, 1));
    assert_int_equal(positions_count(ps), 2);
}

/*
 * Eager rebalance: the whole assignment is revoked, then handed out again; positions
 * start over from what the database says, whatever was known before.
 */
static void test_eager_rebalance(void **state)
{
    struct positions *ps = *state;
    int64_t gap;

    assign(ps, DECL, 0, 100);
    assign(ps, SCANS, 0, 200);
    assert_true(positions_take(ps, DECL, 0, 100, NULL));
    positions_clear(ps);
    assert_int_equal(positions_count(ps), 0);
    assert_false(positions_take(ps, DECL, 0, 101, NULL));

    assert_int_equal(positions_add(ps, DECL, 0), 0);
    assert_false(positions_find(ps, DECL, 0)->loaded);
    assert_int_equal(positions_find(ps, DECL, 0)->next, -1);
    assert_false(positions_take(ps, DECL, 0, 101, NULL));
    /* Another instance committed up to 150 meanwhile. */
    positions_set_stored(ps, DECL, 0, 150);
    assert_false(positions_take(ps, DECL, 0, 149, &gap));
    assert_true(positions_take(ps, DECL, 0, 150, &gap));
    assert_int_equal(gap, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_find_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unloaded_and_unknown_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_applied_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_after_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fences_of_a_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cooperative_rebalance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eager_rebalance, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
