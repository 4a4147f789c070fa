/*
 * unique.c - the keys of pre-check 19 for one batch and who holds them (unique.h). An
 * open-addressing hash table of keys in a canonical text form (each field as
 * "name=LEN:value;", so that no value can pass for another), each with the stored holders
 * the database named and the batch's own claimant.
 */
#include "unique.h"

#include <stdbool.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util.h"

#define UNIQUE_HOLDERS 2 /* stored holders kept per key: see unique.h */

struct unique_entry {
    char *canon;                  /* NULL: free slot */
    struct rules_key key;         /* fields and values point into names/values below */
    char *text;                   /* the key's field names and values, NUL-separated */
    char *stored[UNIQUE_HOLDERS]; /* holders in the database, earliest first */
    char *claimant;               /* the batch's parcel holding it */
    size_t order;                 /* position in the request */
};

struct unique_table {
    struct unique_entry *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
    struct unique_entry **by_order; /* n entries, in the order added */
    size_t order_cap;
};

/* The canonical text of k into a new string. */
static char *canon_of(const struct rules_key *k)
{
    size_t len = 1;
    for (size_t i = 0; i < k->n; i++)
        len += strlen(k->fields[i]) + strlen(k->values[i]) + 24;
    char *s = malloc(len), *w = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < k->n; i++)
        w += sprintf(w, "%s=%zu:%s;", k->fields[i], strlen(k->values[i]), k->values[i]);
    return s;
}

static uint64_t hash_of(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct unique_table *unique_table_new(void)
{
    return calloc(1, sizeof(struct unique_table));
}

static void entry_clear(struct unique_entry *e)
{
    free(e->canon);
    free(e->text);
    for (size_t j = 0; j < UNIQUE_HOLDERS; j++)
        free(e->stored[j]);
    free(e->claimant);
    memset(e, 0, sizeof(*e));
}

void unique_table_reset(struct unique_table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].canon)
            entry_clear(&t->slots[i]);
    }
    t->n = 0;
}

void unique_table_free(struct unique_table *t)
{
    if (!t)
        return;
    unique_table_reset(t);
    free(t->slots);
    free(t->by_order);
    free(t);
}

size_t unique_count(const struct unique_table *t)
{
    return t->n;
}

/* The slot of canon: its entry, or the free slot where it goes. Needs cap > n. */
static struct unique_entry *slot_of(struct unique_entry *slots, size_t cap, const char *canon)
{
    size_t i = (size_t)hash_of(canon) & (cap - 1);
    while (slots[i].canon && strcmp(slots[i].canon, canon) != 0)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(struct unique_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct unique_entry *slots = calloc(cap, sizeof(*slots));
    struct unique_entry **by_order = realloc(t->by_order, cap * sizeof(*by_order));
    if (!slots || !by_order) {
        free(slots);
        if (by_order)
            t->by_order = by_order;
        return -1;
    }
    t->by_order = by_order;
    t->order_cap = cap;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].canon) {
            struct unique_entry *e = slot_of(slots, cap, t->slots[i].canon);
            *e = t->slots[i];
            by_order[e->order] = e;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* The entry of k, or NULL when the table does not have it (or out of memory). */
static struct unique_entry *find(const struct unique_table *t, const struct rules_key *k)
{
    if (!t->n)
        return NULL;
    char *canon = canon_of(k);
    if (!canon)
        return NULL;
    struct unique_entry *e = slot_of(t->slots, t->cap, canon);
    free(canon);
    return e->canon ? e : NULL;
}

int unique_add(struct unique_table *t, const struct rules_key *k)
{
    if (k->n == 0 || k->n > RULES_KEY_FIELDS)
        return -1;
    if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
        return -1;
    char *canon = canon_of(k);
    if (!canon)
        return -1;
    struct unique_entry *e = slot_of(t->slots, t->cap, canon);
    if (e->canon) {
        free(canon);
        return 0;
    }
    size_t len = 0;
    for (size_t i = 0; i < k->n; i++)
        len += strlen(k->fields[i]) + strlen(k->values[i]) + 2;
    char *text = malloc(len), *w = text;
    if (!text) {
        free(canon);
        return -1;
    }
    e->canon = canon;
    e->text = text;
    e->key.n = k->n;
    for (size_t i = 0; i < k->n; i++) {
        e->key.fields[i] = w;
        w = stpcpy(w, k->fields[i]) + 1;
        e->key.values[i] = w;
        w = stpcpy(w, k->values[i]) + 1;
    }
    e->order = t->n;
    t->by_order[t->n++] = e;
    return 0;
}

char *unique_request(const struct unique_table *t)
{
    json_object *root = json_object_new_object(), *keys = json_object_new_array();
    char *text = NULL;
    bool ok = root && keys && json_object_object_add(root, "keys", keys) == 0;

    if (!ok)
        json_object_put(keys);
    for (size_t i = 0; ok && i < t->n; i++) {
        const struct rules_key *k = &t->by_order[i]->key;
        json_object *one = json_object_new_object(), *f = json_object_new_array(),
                    *v = json_object_new_array();
        ok = one && f && v && json_object_array_add(keys, one) == 0;
        if (!ok) {
            json_object_put(one);
            json_object_put(f);
            json_object_put(v);
            break;
        }
        ok = json_object_object_add(one, "f", f) == 0;
        if (!ok) {
            json_object_put(f);
            json_object_put(v);
            break;
        }
        ok = json_object_object_add(one, "v", v) == 0;
        if (!ok) {
            json_object_put(v);
            break;
        }
        for (size_t j = 0; ok && j < k->n; j++) {
            json_object *fs = json_object_new_string(k->fields[j]);
            json_object *vs = json_object_new_string(k->values[j]);
            ok = fs && vs && json_object_array_add(f, fs) == 0;
            if (!ok) {
                json_object_put(fs);
                json_object_put(vs);
                break;
            }
            ok = json_object_array_add(v, vs) == 0;
            if (!ok)
                json_object_put(vs);
        }
    }
    if (ok)
        text = util_strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return text;
}

int unique_answer(struct unique_table *t, const char *answer, char *why, size_t whylen)
{
    json_object *root = answer ? json_tokener_parse(answer) : NULL;
    int rc = -1;

    if (!root || !json_object_is_type(root, json_type_array)) {
        snprintf(why, whylen, "the answer of customs.unique_holders is not a JSON array");
        json_object_put(root);
        return -1;
    }
    size_t n = json_object_array_length(root);
    /* Read it all before recording anything. */
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(root, i), *idx, *h;
        if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "i", &idx) ||
            !json_object_is_type(idx, json_type_int) || !json_object_object_get_ex(e, "h", &h) ||
            !json_object_is_type(h, json_type_array)) {
            snprintf(why, whylen, "entry %zu of the answer is not {\"i\": N, \"h\": [...]}", i);
            goto out;
        }
        int64_t k = json_object_get_int64(idx);
        if (k < 0 || (uint64_t)k >= t->n) {
            snprintf(why, whylen, "entry %zu of the answer: key index %" PRId64 " out of range", i,
                     k);
            goto out;
        }
        for (size_t j = 0; j < json_object_array_length(h); j++) {
            if (!json_object_is_type(json_object_array_get_idx(h, j), json_type_string)) {
                snprintf(why, whylen, "entry %zu of the answer: a holder is not a string", i);
                goto out;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(root, i), *idx, *h;
        json_object_object_get_ex(e, "i", &idx);
        json_object_object_get_ex(e, "h", &h);
        struct unique_entry *x = t->by_order[json_object_get_int64(idx)];
        size_t nh = json_object_array_length(h);
        for (size_t j = 0; j < nh && j < UNIQUE_HOLDERS; j++) {
            free(x->stored[j]);
            x->stored[j] = util_strdup(json_object_get_string(json_object_array_get_idx(h, j)));
            if (!x->stored[j]) {
                snprintf(why, whylen, "out of memory");
                goto out;
            }
        }
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}

int unique_claim(struct unique_table *t, const struct rules_key *k, const char *logistics_no)
{
    struct unique_entry *e = find(t, k);
    if (!e || !logistics_no)
        return -1;
    if (!e->claimant && !(e->claimant = util_strdup(logistics_no)))
        return -1;
    return 0;
}

const char *unique_holder(void *ctx, const struct rules_key *k, const char *logistics_no)
{
    const struct unique_entry *e = find(ctx, k);
    const char *self = logistics_no ? logistics_no : "";

    if (!e)
        return NULL;
    for (size_t j = 0; j < UNIQUE_HOLDERS; j++) {
        if (e->stored[j] && strcmp(e->stored[j], self) != 0)
            return e->stored[j];
    }
    if (e->claimant && strcmp(e->claimant, self) != 0)
        return e->claimant;
    return NULL;
}
