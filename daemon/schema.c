/*
 * schema.c - this customsd's schema release and the comparison with a database's, see
 * schema.h. The release itself comes from schema_release.h, which the Makefile generates
 * in the build directory from sql/ (daemon/schema_release.sh).
 */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_release.h"

static struct schema_migration schema_migrations_built[] = {SCHEMA_RELEASE_MIGRATIONS};

static const struct schema_release schema_built = {
    .migrated = true,
    .baseline = SCHEMA_RELEASE_BASELINE,
    .migrations = schema_migrations_built,
    .n_migrations = sizeof(schema_migrations_built) / sizeof(schema_migrations_built[0]),
    .repeatable_sha256 = SCHEMA_RELEASE_REPEATABLE,
};

const struct schema_release *schema_expected(void)
{
    return &schema_built;
}

const char *schema_migrate_path(void)
{
    return SCHEMA_MIGRATE_PATH;
}

/* A version as a number ("007" -> 7); -1 when it is not digits. */
static long schema_version_num(const char *v)
{
    char *end;
    if (!v || !*v)
        return -1;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= 0 ? n : -1;
}

static const struct schema_migration *schema_find(const struct schema_release *r, long version)
{
    for (size_t i = 0; i < r->n_migrations; i++)
        if (schema_version_num(r->migrations[i].version) == version)
            return &r->migrations[i];
    return NULL;
}

enum schema_verdict schema_compare(const struct schema_release *want,
                                   const struct schema_release *have, const char *migrate,
                                   char *err, size_t errlen)
{
    long baseline = schema_version_num(want->baseline);
    long last = want->n_migrations
                    ? schema_version_num(want->migrations[want->n_migrations - 1].version)
                    : -1;

    if (!have->migrated || have->n_migrations == 0) {
        const char *first = want->n_migrations ? want->migrations[0].name : "?";
        const char *lastname =
            want->n_migrations ? want->migrations[want->n_migrations - 1].name : "?";
        snprintf(err, errlen,
                 "database is not migrated (no customs.schema_migrations; this customsd needs "
                 "%s to %s): run %s",
                 first, lastname, migrate);
        return SCHEMA_NOT_MIGRATED;
    }
    /* Newer first: an older customsd must not advise running its migrate.sh. */
    const struct schema_migration *newest = NULL;
    for (size_t i = 0; i < have->n_migrations; i++) {
        long v = schema_version_num(have->migrations[i].version);
        if (v > last && (!newest || v > schema_version_num(newest->version)))
            newest = &have->migrations[i];
    }
    if (newest) {
        snprintf(err, errlen,
                 "database schema is newer than this customsd (migration %s): upgrade customsd",
                 newest->name);
        return SCHEMA_NEWER;
    }
    for (size_t i = 0; i < want->n_migrations; i++) {
        const struct schema_migration *w = &want->migrations[i];
        long v = schema_version_num(w->version);
        const struct schema_migration *h = schema_find(have, v);
        if (!h) {
            snprintf(err, errlen, "database lacks migration %s: run %s", w->name, migrate);
            return SCHEMA_MISSING;
        }
        if (v != baseline && strcmp(h->name, w->name) != 0) {
            snprintf(err, errlen,
                     "database recorded migration %s where this customsd has %s: it was "
                     "migrated by another release; run that release's customsd",
                     h->name, w->name);
            return SCHEMA_OTHER;
        }
    }
    for (size_t i = 0; i < have->n_migrations; i++) {
        long v = schema_version_num(have->migrations[i].version);
        if ((baseline < 0 || v > baseline) && !schema_find(want, v)) {
            snprintf(err, errlen,
                     "database recorded migration %s, which this customsd does not have: it "
                     "was migrated by another release; run that release's customsd",
                     have->migrations[i].name);
            return SCHEMA_OTHER;
        }
    }
    if (!have->repeatable_sha256[0]) {
        snprintf(err, errlen,
                 "database functions are from another release (no sql/repeatable digest "
                 "recorded): run %s",
                 migrate);
        return SCHEMA_FUNCTIONS;
    }
    if (strcmp(have->repeatable_sha256, want->repeatable_sha256) != 0) {
        snprintf(err, errlen,
                 "database functions are from another release (sql/repeatable digest %.12s, "
                 "this customsd has %.12s): run %s",
                 have->repeatable_sha256, want->repeatable_sha256, migrate);
        return SCHEMA_FUNCTIONS;
    }
    return SCHEMA_MATCH;
}

void schema_release_clear(struct schema_release *r)
{
    if (!r)
        return;
    free(r->migrations);
    memset(r, 0, sizeof(*r));
}
