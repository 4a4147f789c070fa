/*
 * positions.c - the consumer's position in each assigned partition. See positions.h.
 *
 * A consumer is assigned a handful of partitions (tens at most), so a flat array searched
 * linearly is the simplest thing that is fast enough.
 */
#include "positions.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

struct positions {
    struct positions_partition *parts;
    size_t n, cap;
};

struct positions *positions_new(void)
{
    return calloc(1, sizeof(struct positions));
}

void positions_clear(struct positions *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->parts[i].topic);
    ps->n = 0;
}

void positions_free(struct positions *ps)
{
    if (!ps)
        return;
    positions_clear(ps);
    free(ps->parts);
    free(ps);
}

static struct positions_partition *positions_lookup(const struct positions *ps, const char *topic,
                                                    int32_t partition)
{
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->parts[i].partition == partition && strcmp(ps->parts[i].topic, topic) == 0)
            return &ps->parts[i];
    }
    return NULL;
}

const struct positions_partition *positions_find(const struct positions *ps, const char *topic,
                                                 int32_t partition)
{
    return positions_lookup(ps, topic, partition);
}

size_t positions_count(const struct positions *ps)
{
    return ps->n;
}

int positions_add(struct positions *ps, const char *topic, int32_t partition)
{
    if (positions_lookup(ps, topic, partition))
        return 0;
    if (ps->n == ps->cap) {
        size_t ncap = ps->cap ? ps->cap * 2 : 16;
        struct positions_partition *n = realloc(ps->parts, ncap * sizeof(*n));
        if (!n)
            return -1;
        ps->parts = n;
        ps->cap = ncap;
    }
    struct positions_partition *pp = &ps->parts[ps->n];
    pp->topic = util_strdup(topic);
    if (!pp->topic)
        return -1;
    pp->partition = partition;
    pp->loaded = false;
    pp->next = -1;
    pp->batch_last = -1;
    ps->n++;
    return 0;
}

void positions_remove(struct positions *ps, const char *topic, int32_t partition)
{
    struct positions_partition *pp = positions_lookup(ps, topic, partition);

    if (!pp)
        return;
    free(pp->topic);
    *pp = ps->parts[--ps->n];
}

void positions_set_stored(struct positions *ps, const char *topic, int32_t partition, int64_t next)
{
    struct positions_partition *pp = positions_lookup(ps, topic, partition);

    if (!pp)
        return;
    pp->loaded = true;
    pp->next = next;
    pp->batch_last = -1;
}

bool positions_take(struct positions *ps, const char *topic, int32_t partition, int64_t offset,
                    int64_t *gap_from)
{
    struct positions_partition *pp = positions_lookup(ps, topic, partition);

    if (gap_from)
        *gap_from = -1;
    if (!pp || !pp->loaded || (pp->next >= 0 && offset < pp->next) || offset <= pp->batch_last)
        return false; /* not ours, position unknown, or applied already (redelivery) */
    if (gap_from && pp->batch_last < 0 && pp->next >= 0 && offset > pp->next)
        *gap_from = pp->next;
    pp->batch_last = offset;
    return true;
}

void positions_batch_reset(struct positions *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        ps->parts[i].batch_last = -1;
}

int positions_fence_add(const struct positions *ps, struct batch_offset *fences, size_t *n,
                        const char *topic, int32_t partition, int64_t offset)
{
    size_t k = 0;

    while (k < *n && !(fences[k].partition == partition && strcmp(fences[k].topic, topic) == 0))
        k++;
    if (k < *n) {
        if (offset + 1 > fences[k].next)
            fences[k].next = offset + 1;
        return 0;
    }
    const struct positions_partition *pp = positions_lookup(ps, topic, partition);
    if (!pp)
        return -1;
    fences[(*n)++] = (struct batch_offset){
        .topic = pp->topic, .partition = partition, .expected = pp->next, .next = offset + 1};
    return 0;
}

void positions_commit(struct positions *ps, const struct batch_offset *fences, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct positions_partition *pp = positions_lookup(ps, fences[i].topic, fences[i].partition);
        if (pp)
            pp->next = fences[i].next;
    }
}
