/*
 * test_status.c - the status codes of daemon/status.c against the database's
 * (sql/repeatable/10_status.sql, the CHECK on customs.declarations.status_code,
 * customs.status_transitions): the same codes on both sides, with the same English names.
 * Fails when either side gains a code the other lacks.
 *
 * Server: the PG* environment variables (tests/run-tests.sh points them at the local
 * stack's database, migrated with sql/migrate.sh); with none set, every test is skipped.
 * Reads only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "status.h"

/* Codes probed on both sides for names: every three-digit code and a margin around. */
#define PROBE_MIN (-1000)
#define PROBE_MAX 1999

static int group_setup(void **state)
{
    *state = NULL;
    if (!getenv("PGHOST") && !getenv("PGPORT") && !getenv("PGDATABASE") && !getenv("PGSERVICE") &&
        !getenv("PGUSER")) {
        fprintf(stderr, "test_status: no PostgreSQL configured (PG* variables); skipping\n");
        return 0;
    }
    PGconn *c = PQconnectdb("");
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "test_status: cannot connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    *state = c;
    return 0;
}

static int group_teardown(void **state)
{
    PQfinish(*state);
    return 0;
}

#define CONN(state)                                                                                \
    PGconn *c = *(state);                                                                          \
    if (!c)                                                                                        \
        skip();

/* Run a query that must succeed; PQclear the result. */
static PGresult *query(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(res));
    return res;
}

static int c_knows(int code)
{
    for (size_t i = 0; i < status_codes_count; i++)
        if (status_codes[i] == code)
            return 1;
    return 0;
}

/* The codes of a one-column integer result, compared with C's list: every row a known
 * code; with `all`, every C code present too (the rows in ascending order, no repeats). */
static void check_codes(PGresult *res, const char *what, int all)
{
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        int code = atoi(PQgetvalue(res, i, 0));
        if (!c_knows(code))
            fail_msg("%s has code %d, which daemon/status.c does not know", what, code);
    }
    if (!all)
        return;
    for (size_t k = 0; k < status_codes_count; k++) {
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = atoi(PQgetvalue(res, i, 0)) == status_codes[k];
        if (!found)
            fail_msg("%s lacks code %d of daemon/status.c", what, status_codes[k]);
    }
    assert_int_equal(n, (int)status_codes_count);
}

/* C's own list: ascending, no repeats, and exactly the codes status_name() knows. */
static void test_c_list(void **state)
{
    (void)state;
    assert_true(status_codes_count > 0);
    for (size_t i = 1; i < status_codes_count; i++)
        assert_true(status_codes[i - 1] < status_codes[i]);
    for (int code = PROBE_MIN; code <= PROBE_MAX; code++) {
        int named = strcmp(status_name(code), "unknown") != 0;
        if (named != c_knows(code))
            fail_msg("code %d: status_name() %s it but status_codes %s", code,
                     named ? "names" : "does not name", c_knows(code) ? "lists it" : "does not");
    }
}

/* customs.status_name(code) = status_name(code) for every code C knows, and SQL names,
 * labels or maps to an event no other code. */
static void test_names(void **state)
{
    CONN(state);
    for (size_t i = 0; i < status_codes_count; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT customs.status_name(%d), customs.status_label(%d) <> '未知'",
                 status_codes[i], status_codes[i]);
        PGresult *res = query(c, sql);
        if (strcmp(PQgetvalue(res, 0, 0), status_name(status_codes[i])) != 0)
            fail_msg("code %d: customs.status_name() says '%s', daemon/status.c '%s'",
                     status_codes[i], PQgetvalue(res, 0, 0), status_name(status_codes[i]));
        if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
            fail_msg("code %d: customs.status_label() has no wording for it", status_codes[i]);
        PQclear(res);
    }
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT c FROM generate_series(%d, %d) AS c"
             " WHERE customs.status_name(c) <> 'unknown' ORDER BY c",
             PROBE_MIN, PROBE_MAX);
    PGresult *res = query(c, sql);
    check_codes(res, "customs.status_name()", 1);
    PQclear(res);
    snprintf(sql, sizeof(sql),
             "SELECT c FROM generate_series(%d, %d) AS c"
             " WHERE customs.status_label(c) <> '未知' ORDER BY c",
             PROBE_MIN, PROBE_MAX);
    res = query(c, sql);
    check_codes(res, "customs.status_label()", 1);
    PQclear(res);
    snprintf(sql, sizeof(sql),
             "SELECT c FROM generate_series(%d, %d) AS c"
             " WHERE customs.event_type_for(c) IS NOT NULL ORDER BY c",
             PROBE_MIN, PROBE_MAX);
    res = query(c, sql);
    assert_true(PQntuples(res) > 0);
    check_codes(res, "customs.event_type_for()", 0);
    PQclear(res);
}

/* The CHECK on customs.declarations.status_code admits exactly C's codes. */
static void test_declarations_check(void **state)
{
    CONN(state);
    PGresult *res = query(
        c, "SELECT DISTINCT m[1]::integer AS code"
           "  FROM pg_constraint k"
           "  CROSS JOIN LATERAL regexp_matches(pg_get_constraintdef(k.oid), '(-?[0-9]+)', 'g') m"
           " WHERE k.conrelid = 'customs.declarations'::regclass AND k.contype = 'c'"
           "   AND pg_get_constraintdef(k.oid) LIKE '%status_code%'"
           " ORDER BY code");
    check_codes(res, "the CHECK on customs.declarations.status_code", 1);
    PQclear(res);
}

/* Every code customs.status_transitions leads from or to is known to C. */
static void test_transitions(void **state)
{
    CONN(state);
    PGresult *res = query(c, "SELECT from_code FROM customs.status_transitions"
                             " UNION SELECT to_code FROM customs.status_transitions ORDER BY 1");
    assert_true(PQntuples(res) > 0);
    check_codes(res, "customs.status_transitions", 0);
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_list),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_declarations_check),
        cmocka_unit_test(test_transitions),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
