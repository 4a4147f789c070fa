/*
 * positions.h - where the consumer stands in each assigned Kafka partition: pure
 * bookkeeping, no librdkafka, no libpq (consumer.c makes the calls and asks this module).
 *
 * For every assigned (topic, partition) we keep `next`, the next offset stored in
 * PostgreSQL (the offset of record, loaded on assignment), and `batch_last`, the highest
 * offset taken into the batch being built. A polled record below `next` was applied
 * already (redelivery) and is skipped, so is one at or below `batch_last`; a batch carries
 * `expected = next` per partition as its fence, so if another instance has moved the stored
 * offset meanwhile the whole batch is refused by the database. After a commit the fences'
 * `next` become the partitions' `next`.
 *
 * Offsets are Kafka offsets (int64, >= 0); -1 means "none". Topic names are copied.
 */
#ifndef CUSTOMSD_POSITIONS_H
#define CUSTOMSD_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h" /* struct batch_offset, the fence a batch carries (a type only) */

/* The position of one assigned partition. */
struct positions_partition {
    char *topic; /* owned copy */
    int32_t partition;
    bool loaded;        /* `next` came from the database (until then nothing is taken) */
    int64_t next;       /* stored next offset, -1 = none stored yet */
    int64_t batch_last; /* highest offset in the batch being built, -1 = none */
};

struct positions;

/* An empty set of positions, or NULL when out of memory. */
struct positions *positions_new(void);

/* Forget everything and free it. Accepts NULL. */
void positions_free(struct positions *ps);

/*
 * Track a newly assigned partition: not loaded, next -1, batch_last -1. A partition that is
 * already tracked keeps its state (a cooperative rebalance only hands over what moves).
 * Returns 0, or -1 when out of memory.
 */
int positions_add(struct positions *ps, const char *topic, int32_t partition)
    __attribute__((warn_unused_result));

/* Stop tracking one partition (revoked). Unknown partitions are ignored. */
void positions_remove(struct positions *ps, const char *topic, int32_t partition);

/* Stop tracking every partition (an eager rebalance revokes the whole assignment). */
void positions_clear(struct positions *ps);

/* Number of tracked partitions. */
size_t positions_count(const struct positions *ps);

/* The state of (topic, partition), or NULL when it is not tracked. Valid until the next
 * add, remove or clear. */
const struct positions_partition *positions_find(const struct positions *ps, const char *topic,
                                                 int32_t partition);

/*
 * The database answered for (topic, partition): `next` is its stored next offset (-1 when
 * none is stored, so the consumer starts at the earliest offset). Marks it loaded and
 * forgets any batch in progress. Ignored when the partition is not tracked.
 */
void positions_set_stored(struct positions *ps, const char *topic, int32_t partition, int64_t next);

/*
 * Decide about one polled record. Returns true when it belongs in the batch being built
 * (and records it as the partition's batch_last), false when it is skipped: its partition
 * is not tracked or not loaded yet, or the offset was applied already (below `next`) or
 * taken already (at or below batch_last).
 * *gap_from (may be NULL) is set to `next` when the record is the first of the batch on its
 * partition and lies past `next` (offsets next..offset-1 are no longer in the log: removed
 * by retention or compaction), else to -1.
 */
bool positions_take(struct positions *ps, const char *topic, int32_t partition, int64_t offset,
                    int64_t *gap_from);

/* Forget the batch being built: every batch_last back to -1 (the batch was applied or
 * dropped). */
void positions_batch_reset(struct positions *ps);

/*
 * Add one record of a range to the range's fences: fences[0..*n) holds one entry per
 * partition touched so far, in the order first touched; the record's partition gets an
 * entry with expected = its stored next offset and next = offset + 1, or its entry's next
 * is raised to offset + 1. `fences` must have room for one more entry than *n. An entry's
 * topic is borrowed from the partition's state: valid while the partition is assigned.
 * Returns 0, or -1 when the partition is not tracked (nothing added).
 */
int positions_fence_add(const struct positions *ps, struct batch_offset *fences, size_t *n,
                        const char *topic, int32_t partition, int64_t offset)
    __attribute__((warn_unused_result));

/*
 * The range fenced by fences[0..n) was committed: each partition that is still tracked
 * now has next = its fence's next. Partitions revoked meanwhile are ignored.
 */
void positions_commit(struct positions *ps, const struct batch_offset *fences, size_t n);

#endif
