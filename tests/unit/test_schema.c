/*
 * test_schema.c - unit tests of schema.c against schema.h: the comparison of a database's
 * recorded schema release with this customsd's (the same; not migrated; a migration missing;
 * a newer one; one of another release; the baseline recorded under an earlier release's
 * name, with the history below it; the repeatable digest missing or different), the
 * messages naming the migration and the action, and the release the build generated from
 * sql/ (it has the baseline, ascending versions and a 64-digit digest).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"

#define MIGRATE "/opt/customsd/sql/migrate.sh"
#define DIGEST  "6f2242177ffb4d11de15a235dde1b146a7086781a7f1e4261cbf28724676f31a"
#define OTHER   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct schema_migration want_m[] = {
    {"006", "006_baseline.sql"},
    {"007", "007_schema_release.sql"},
    {"008", "008_parcel_weight.sql"},
};
static const struct schema_release want = {
    .migrated = true,
    .baseline = "006",
    .migrations = want_m,
    .n_migrations = 3,
    .repeatable_sha256 = DIGEST,
};

/* A database release of n migrations (copied) and a digest. */
static struct schema_release have_of(const struct schema_migration *m, size_t n, const char *digest)
{
    struct schema_release r = {.migrated = true};
    r.migrations = calloc(n ? n : 1, sizeof(*m));
    assert_non_null(r.migrations);
    memcpy(r.migrations, m, n * sizeof(*m));
    r.n_migrations = n;
    snprintf(r.repeatable_sha256, sizeof(r.repeatable_sha256), "%s", digest);
    return r;
}

/* compare, check the verdict and that err is exactly `msg`. */
static void expect(struct schema_release *have, enum schema_verdict v, const char *msg)
{
    char err[512] = "untouched";
    assert_int_equal(schema_compare(&want, have, MIGRATE, err, sizeof(err)), v);
    if (msg)
        assert_string_equal(err, msg);
    schema_release_clear(have);
    assert_null(have->migrations);
}

static void test_match(void **state)
{
    (void)state;
    struct schema_release h = have_of(want_m, 3, DIGEST);
    expect(&h, SCHEMA_MATCH, "untouched");
}

static void test_not_migrated(void **state)
{
    (void)state;
    struct schema_release h = {0}; /* no customs.schema_migrations */
    expect(&h, SCHEMA_NOT_MIGRATED,
           "database is not migrated (no customs.schema_migrations; this customsd needs "
           "006_baseline.sql to 008_parcel_weight.sql): run " MIGRATE);
    h = have_of(want_m, 0, ""); /* the table, empty */
    expect(&h, SCHEMA_NOT_MIGRATED, NULL);
}

static void test_missing(void **state)
{
    (void)state;
    struct schema_release h = have_of(want_m, 2, DIGEST);
    expect(&h, SCHEMA_MISSING, "database lacks migration 008_parcel_weight.sql: run " MIGRATE);
    h = have_of(want_m, 1, "");
    expect(&h, SCHEMA_MISSING, "database lacks migration 007_schema_release.sql: run " MIGRATE);
    /* a gap: 006 and 008 recorded, 007 not */
    struct schema_migration gap[] = {want_m[0], want_m[2]};
    h = have_of(gap, 2, DIGEST);
    expect(&h, SCHEMA_MISSING, "database lacks migration 007_schema_release.sql: run " MIGRATE);
}

static void test_newer(void **state)
{
    (void)state;
    struct schema_migration m[] = {
        want_m[0], want_m[1], want_m[2], {"009", "009_x.sql"}, {"010", "010_y.sql"}};
    struct schema_release h = have_of(m, 5, OTHER);
    expect(&h, SCHEMA_NEWER,
           "database schema is newer than this customsd (migration 010_y.sql): upgrade customsd");
    /* newer wins over missing: an older customsd must not advise its migrate.sh */
    struct schema_migration m2[] = {want_m[0], {"011", "011_z.sql"}};
    h = have_of(m2, 2, OTHER);
    expect(&h, SCHEMA_NEWER, NULL);
}

static void test_other_release(void **state)
{
    (void)state;
    struct schema_migration m[] = {want_m[0], {"007", "007_something_else.sql"}, want_m[2]};
    struct schema_release h = have_of(m, 3, DIGEST);
    expect(&h, SCHEMA_OTHER,
           "database recorded migration 007_something_else.sql where this customsd has "
           "007_schema_release.sql: it was migrated by another release; run that release's "
           "customsd");
}

static void test_baseline_history(void **state)
{
    (void)state;
    /* Migrated by the releases before the baseline: 001-006 under their old names. */
    struct schema_migration m[] = {{"001", "001_schema.sql"},
                                   {"002", "002_x.sql"},
                                   {"003", "003_y.sql"},
                                   {"004", "004_z.sql"},
                                   {"005", "005_w.sql"},
                                   {"006", "006_officers.sql"},
                                   want_m[1],
                                   want_m[2]};
    struct schema_release h = have_of(m, 8, DIGEST);
    expect(&h, SCHEMA_MATCH, "untouched");
    /* ... but without the baseline's version it lacks the baseline */
    struct schema_migration m2[] = {{"001", "001_schema.sql"}, want_m[1], want_m[2]};
    h = have_of(m2, 3, DIGEST);
    expect(&h, SCHEMA_MISSING, "database lacks migration 006_baseline.sql: run " MIGRATE);
}

static void test_functions(void **state)
{
    (void)state;
    struct schema_release h = have_of(want_m, 3, OTHER);
    expect(&h, SCHEMA_FUNCTIONS,
           "database functions are from another release (sql/repeatable digest 0123456789ab, "
           "this customsd has 6f2242177ffb): run " MIGRATE);
    h = have_of(want_m, 3, "");
    expect(&h, SCHEMA_FUNCTIONS,
           "database functions are from another release (no sql/repeatable digest recorded): "
           "run " MIGRATE);
}

static void test_truncated_err(void **state)
{
    (void)state;
    char err[16];
    struct schema_release h = have_of(want_m, 2, DIGEST);
    assert_int_equal(schema_compare(&want, &h, MIGRATE, err, sizeof(err)), SCHEMA_MISSING);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    schema_release_clear(&h);
    schema_release_clear(NULL);
}

/* The release the build generated from sql/ (daemon/schema_release.sh). */
static void test_expected(void **state)
{
    (void)state;
    const struct schema_release *e = schema_expected();
    assert_true(e->migrated);
    assert_true(e->n_migrations >= 2);
    assert_string_equal(e->baseline, "006");
    assert_string_equal(e->migrations[0].name, "006_baseline.sql");
    assert_string_equal(e->migrations[1].name, "007_schema_release.sql");
    for (size_t i = 1; i < e->n_migrations; i++)
        assert_true(strcmp(e->migrations[i - 1].version, e->migrations[i].version) < 0);
    assert_int_equal(strlen(e->repeatable_sha256), 64);
    assert_int_equal(strspn(e->repeatable_sha256, "0123456789abcdef"), 64);
    assert_non_null(strstr(schema_migrate_path(), "/sql/migrate.sh"));
    /* it matches itself */
    char err[256];
    assert_int_equal(schema_compare(e, e, schema_migrate_path(), err, sizeof(err)), SCHEMA_MATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),         cmocka_unit_test(test_not_migrated),
        cmocka_unit_test(test_missing),       cmocka_unit_test(test_newer),
        cmocka_unit_test(test_other_release), cmocka_unit_test(test_baseline_history),
        cmocka_unit_test(test_functions),     cmocka_unit_test(test_truncated_err),
        cmocka_unit_test(test_expected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
