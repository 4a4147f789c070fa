/*
 * test_ceb603.c - the CEB603 columns of C (daemon/declaration.h: the COLUMN fields of
 * DECL_HEAD_FIELDS and DECL_ITEM_FIELDS, sent in the staged rows' "decl" column by
 * daemon/batch.c) against the database's mapping of them (sql/repeatable/40_ceb603.sql:
 * customs.ceb603_head, customs.ceb603_items) and the sites that store it (apply_batch,
 * apply_change_record). A declaration with a distinct value in every field goes through
 * batch_stage_rows(); its "decl" object goes through the two functions, and every value must
 * come out in the column of its field (the CEB603 name in snake_case: orderNo -> order_no,
 * POD -> pod; the key, logisticsNo, is the sites' own column logistics_no). The same
 * declaration, then an amendment of it with other values, staged by COPY as customsd does
 * and through customs.apply_batch_staged (in a
 * transaction rolled back): every value in its column of customs.declarations and
 * customs.declaration_items. Fails when a column is swapped (in a function or in a site's
 * column list), when a C COLUMN field has no column, or when a function column is neither a
 * field's nor one the function derives. The functions' columns are also columns of the
 * tables they fill, of the same types, in the tables' order (ceb603_items: all of
 * customs.declaration_items after logistics_no).
 *
 * Server: the PG* environment variables (tests/run-tests.sh points them at the local
 * stack's database, migrated with sql/migrate.sh); with none set, every test is skipped.
 * Leaves nothing behind (test_stored rolls back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "batch.h"
#include "declaration.h"

#define N_ITEMS 2

/* A test declaration with its items. */
struct tdecl {
    struct declaration d;
    struct decl_item items[N_ITEMS];
};

/* The two declarations (a new one, then an amendment of it: appType "2", other values),
 * the new one's decl object (JSON text) and the batches that carry them: staged rows and
 * fences. */
struct batch_text {
    char *rows;
    size_t len;
    char *fences;
};

struct fixture {
    PGconn *c;
    struct tdecl decl, amend;
    char *inventory; /* the staged customs.ceb603_inventory, as text */
    struct batch_text doc_decl, doc_amend;
};

/* Expected text of field f of record base, as PostgreSQL prints the column; NULL absent. */
static const char *expected(const void *base, const struct decl_field *f, char *buf, size_t len)
{
    switch (f->kind) {
    case DECL_STRING:
        return decl_get_string(base, f);
    case DECL_DECIMAL: {
        const struct decl_decimal *v = decl_get_decimal(base, f);
        if (!v->present)
            return NULL;
        decimal_format(v->value, buf, len);
        return buf;
    }
    case DECL_INTEGER: {
        const struct decl_integer *v = decl_get_integer(base, f);
        if (!v->present)
            return NULL;
        snprintf(buf, len, "%lld", v->value);
        return buf;
    }
    }
    return NULL;
}

/* Give field f of record base (struct declaration or decl_item) the distinct value `n`:
 * strings "<prefix><n>", decimals n + 0.25, integers n. */
static void set_field(void *base, const struct decl_field *f, const char *prefix, int n)
{
    char text[64];
    char err[128];
    switch (f->kind) {
    case DECL_STRING:
        snprintf(text, sizeof(text), "%s%d", prefix, n);
        *(char **)((char *)base + f->offset) = strdup(text);
        break;
    case DECL_DECIMAL: {
        struct decl_decimal *v = (struct decl_decimal *)((char *)base + f->offset);
        snprintf(text, sizeof(text), "%d.25", n);
        if (decimal_parse(text, strlen(text), &v->value, err, sizeof(err)) != 0)
            fail_msg("decimal_parse(%s): %s", text, err);
        v->present = true;
        break;
    }
    case DECL_INTEGER: {
        struct decl_integer *v = (struct decl_integer *)((char *)base + f->offset);
        v->value = n;
        v->present = true;
        break;
    }
    }
}

static void free_strings(void *base, const struct decl_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].kind == DECL_STRING)
            free(*(char **)((char *)base + fields[i].offset));
}

static void fill(struct tdecl *t, const char *prefix, int base)
{
    for (size_t i = 0; i < decl_head_field_count; i++)
        set_field(&t->d, &decl_head_fields[i], prefix, base + (int)i);
    for (int k = 0; k < N_ITEMS; k++)
        for (size_t i = 0; i < decl_item_field_count; i++)
            set_field(&t->items[k], &decl_item_fields[i], prefix, base + 1000 * (k + 1) + (int)i);
    t->d.n_items = N_ITEMS;
    t->d.items = t->items;
}

static void free_tdecl(struct tdecl *t)
{
    free_strings(&t->d, decl_head_fields, decl_head_field_count);
    for (int k = 0; k < N_ITEMS; k++)
        free_strings(&t->items[k], decl_item_fields, decl_item_field_count);
}

#define T_TOPIC "test_ceb603.declarations"

/* The batch of one declaration record at `offset` of partition 0 of T_TOPIC (the fence:
 * expected offset, next offset + 1; -1 for the first), decided 399, as customsd builds it.
 * 0, or -1 with a message. */
static int document(const struct tdecl *t, int64_t offset, struct batch_text *out)
{
    /* The raw value only needs other bytes per record (its SHA-256 tells duplicates). */
    const char *value = offset ? "{\"n\":2}" : "{\"n\":1}";
    struct decision decision = {.status_code = 399, .rules_version = "test"};
    struct batch_record rec = {
        .kind = BATCH_DECLARATION,
        .topic = T_TOPIC,
        .offset = offset,
        .timestamp_ms = -1,
        .value = value,
        .value_len = strlen(value),
        .key = t->d.logisticsNo,
        .decl = &t->d,
        .decision = &decision,
    };
    struct batch_offset fence = {
        .topic = T_TOPIC, .partition = 0, .expected = offset ? offset : -1, .next = offset + 1};
    char err[256] = "";
    if (batch_stage_rows(&rec, 1, &out->rows, &out->len, err, sizeof(err)) < 0 ||
        !(out->fences = batch_fences(&fence, 1, "test_ceb603.events", "test_ceb603.receipts", err,
                                     sizeof(err)))) {
        fprintf(stderr, "test_ceb603: building the batch: %s\n", err);
        return -1;
    }
    return 0;
}

/* Stage b's rows as customsd does (store.c), in the open transaction: 0, or -1 with a
 * message. */
static int stage(PGconn *c, const struct batch_text *b)
{
    PGresult *res = PQexec(c, "SELECT customs.apply_batch_stage_open(); COPY " BATCH_STAGE_TABLE
                              " (" BATCH_STAGE_COLUMNS ") FROM STDIN");
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        fprintf(stderr, "test_ceb603: staging: %s", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok)
        return -1;
    ok = PQputCopyData(c, b->rows, (int)b->len) == 1 && PQputCopyEnd(c, NULL) == 1;
    for (PGresult *r; (r = PQgetResult(c));) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "test_ceb603: COPY: %s", PQresultErrorMessage(r));
            ok = 0;
        }
        PQclear(r);
    }
    return ok ? 0 : -1;
}

static int group_setup(void **state)
{
    *state = NULL;
    if (!getenv("PGHOST") && !getenv("PGPORT") && !getenv("PGDATABASE") && !getenv("PGSERVICE") &&
        !getenv("PGUSER")) {
        fprintf(stderr, "test_ceb603: no PostgreSQL configured (PG* variables); skipping\n");
        return 0;
    }
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->c = PQconnectdb("");
    if (PQstatus(f->c) != CONNECTION_OK) {
        fprintf(stderr, "test_ceb603: cannot connect: %s", PQerrorMessage(f->c));
        PQfinish(f->c);
        free(f);
        return -1;
    }

    /* Every field (COLUMN or not) a distinct value: head fields 100.., items 1000*(k+1)..;
     * the amendment's likewise with other numbers (and appType 2, the same logisticsNo). */
    fill(&f->decl, "H", 100);
    fill(&f->amend, "A", 500);
    free(f->amend.d.appType);
    f->amend.d.appType = strdup("2");
    free(f->amend.d.logisticsNo);
    f->amend.d.logisticsNo = strdup(f->decl.d.logisticsNo);

    /* The batches exactly as customsd builds them (batch_stage_rows), one record each; the
     * decl object as the database reads it from the staged row. */
    if (document(&f->decl, 0, &f->doc_decl) < 0 || document(&f->amend, 1, &f->doc_amend) < 0)
        return -1;
    PQclear(PQexec(f->c, "BEGIN"));
    PGresult *res = NULL;
    if (stage(f->c, &f->doc_decl) == 0)
        res = PQexec(f->c, "SELECT inventory::text FROM " BATCH_STAGE_TABLE);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "test_ceb603: no inventory staged: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    f->inventory = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQclear(PQexec(f->c, "ROLLBACK"));
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    PQfinish(f->c);
    free_tdecl(&f->decl);
    free_tdecl(&f->amend);
    free(f->doc_decl.rows);
    free(f->doc_decl.fences);
    free(f->doc_amend.rows);
    free(f->doc_amend.fences);
    free(f->inventory);
    free(f);
    return 0;
}

#define FIXTURE(state)                                                                             \
    struct fixture *f = *(state);                                                                  \
    if (!f)                                                                                        \
        skip();

/* The column a CEB603 name lands in: snake_case (an upper-case letter after a lower-case
 * one or a digit starts a new word), lower case. */
static void column_name(const char *field, char *out, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; field[i] && o + 2 < len; i++) {
        unsigned char ch = (unsigned char)field[i];
        if (i > 0 && isupper(ch) &&
            (islower((unsigned char)field[i - 1]) || isdigit((unsigned char)field[i - 1])))
            out[o++] = '_';
        out[o++] = (char)tolower(ch);
    }
    out[o] = '\0';
}

/* SELECT t.* FROM customs.FN($1) t ORDER BY 1 with the staged inventory; must succeed. */
static PGresult *call(struct fixture *f, const char *fn)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT t.* FROM customs.%s($1::customs.ceb603_inventory) t ORDER BY 1", fn);
    const char *params[1] = {f->inventory};
    PGresult *res = PQexecParams(f->c, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s failed: %s", sql, PQresultErrorMessage(res));
    return res;
}

/* The head field the sites store themselves, as the first table column, logistics_no: the
 * record's key (batch.h "logisticsNo"), which the functions do not return. */
#define KEY_FIELD "logisticsNo"

/* Row `row` of `res` (of function or table `fn`) holds every COLUMN field of `base` in its
 * column (but KEY_FIELD; decimals compared as numbers: a numeric(19,5) column prints
 * "1.25000"); with `derived` (NULL-terminated), every column of `res` is a COLUMN field's
 * or one of those. */
static void check_fields(PGresult *res, int row, const char *fn, const void *base,
                         const struct decl_field *fields, size_t n_fields,
                         const char *const *derived)
{
    for (size_t i = 0; i < n_fields; i++) {
        if (!fields[i].column || strcmp(fields[i].name, KEY_FIELD) == 0)
            continue;
        char col[128];
        char buf[DECIMAL_TEXT_MAX + 32];
        column_name(fields[i].name, col, sizeof(col));
        int k = PQfnumber(res, col);
        if (k < 0)
            fail_msg("daemon/declaration.h COLUMN field %s has no column %s in customs.%s",
                     fields[i].name, col, fn);
        const char *want = expected(base, &fields[i], buf, sizeof(buf));
        assert_non_null(want);
        if (PQgetisnull(res, row, k))
            fail_msg("customs.%s row %d: %s is NULL, field %s sent %s", fn, row, col,
                     fields[i].name, want);
        const char *got = PQgetvalue(res, row, k);
        int same = strcmp(got, want) == 0;
        if (fields[i].kind == DECL_DECIMAL) {
            struct decimal g;
            char err[128];
            same = decimal_parse(got, strlen(got), &g, err, sizeof(err)) == 0 &&
                   decimal_cmp(g, decl_get_decimal(base, &fields[i])->value) == 0;
        }
        if (!same)
            fail_msg("customs.%s row %d: column %s has %s, but field %s sent %s", fn, row, col,
                     PQgetvalue(res, row, k), fields[i].name, want);
    }
    for (int k = 0; derived && k < PQnfields(res); k++) {
        const char *name = PQfname(res, k);
        int known = 0;
        for (size_t i = 0; i < n_fields && !known; i++) {
            char col[128];
            column_name(fields[i].name, col, sizeof(col));
            known = fields[i].column && strcmp(fields[i].name, KEY_FIELD) != 0 &&
                    strcmp(col, name) == 0;
        }
        for (size_t i = 0; derived[i] && !known; i++)
            known = strcmp(derived[i], name) == 0;
        if (!known)
            fail_msg("customs.%s column %s is no COLUMN field of daemon/declaration.h", fn, name);
    }
}

/* The columns of `res` are columns of customs.TABLE, of the same types, in the table's
 * order (the sites insert h.* / i.* under their column lists: test_stored checks where the
 * values land); with `all`, every table column after logistics_no, its first. */
static void check_table_columns(struct fixture *f, PGresult *res, const char *fn, const char *table,
                                int all)
{
    const char *params[1] = {table};
    PGresult *cols = PQexecParams(f->c,
                                  "SELECT attname, atttypid FROM pg_attribute"
                                  " WHERE attrelid = ('customs.' || $1)::regclass AND attnum > 0"
                                  "   AND NOT attisdropped ORDER BY attnum",
                                  1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(cols), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(cols, 0, 0), "logistics_no");
    int last = 0;
    for (int k = 0; k < PQnfields(res); k++) {
        int t = 1;
        while (t < PQntuples(cols) && strcmp(PQgetvalue(cols, t, 0), PQfname(res, k)) != 0)
            t++;
        if (t == PQntuples(cols))
            fail_msg("customs.%s column %s is no column of customs.%s", fn, PQfname(res, k), table);
        if (t <= last)
            fail_msg("customs.%s column %s comes after %s, customs.%s has it before", fn,
                     PQfname(res, k), PQfname(res, k - 1), table);
        if ((unsigned long)PQftype(res, k) != strtoul(PQgetvalue(cols, t, 1), NULL, 10))
            fail_msg("customs.%s column %s: type %u, customs.%s has type %s", fn, PQfname(res, k),
                     PQftype(res, k), table, PQgetvalue(cols, t, 1));
        last = t;
    }
    if (all)
        assert_int_equal(PQntuples(cols), PQnfields(res) + 1);
    PQclear(cols);
}

/* Run `sql` with parameters; must return rows (or succeed, for a command). */
static PGresult *exec(struct fixture *f, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(f->c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
        fail_msg("%s failed: %s", sql, PQresultErrorMessage(res));
    return res;
}

/* The stored declaration and items of t's logisticsNo hold t's values, field by field. */
static void check_stored(struct fixture *f, const struct tdecl *t)
{
    const char *key[1] = {t->d.logisticsNo};
    PGresult *res =
        exec(f, "SELECT d.* FROM customs.declarations d WHERE d.logistics_no = $1", 1, key);
    assert_int_equal(PQntuples(res), 1);
    check_fields(res, 0, "declarations", &t->d, decl_head_fields, decl_head_field_count, NULL);
    PQclear(res);
    res = exec(f,
               "SELECT i.* FROM customs.declaration_items i WHERE i.logistics_no = $1"
               " ORDER BY i.line_no",
               1, key);
    assert_int_equal(PQntuples(res), N_ITEMS);
    for (int k = 0; k < N_ITEMS; k++)
        check_fields(res, k, "declaration_items", &t->items[k], decl_item_fields,
                     decl_item_field_count, NULL);
    PQclear(res);
}

/* Staged and through customs.apply_batch_staged (in a transaction rolled back): a new
 * declaration, then its
 * amendment, each field's value in its column of customs.declarations and
 * customs.declaration_items (the column lists of apply_batch and apply_change_record). */
static void test_stored(void **state)
{
    FIXTURE(state);
    PQclear(exec(f, "BEGIN", 0, NULL));
    const char *p1[2] = {"test_ceb603", f->doc_decl.fences};
    assert_int_equal(stage(f->c, &f->doc_decl), 0);
    PGresult *res = exec(f, "SELECT customs.apply_batch_staged($1, $2::jsonb)", 2, p1);
    struct batch_result r;
    assert_int_equal(batch_result_parse(PQgetvalue(res, 0, 0), &r), 0);
    assert_int_equal(r.declarations, 1);
    PQclear(res);
    check_stored(f, &f->decl);

    const char *p2[2] = {"test_ceb603", f->doc_amend.fences};
    assert_int_equal(stage(f->c, &f->doc_amend), 0);
    res = exec(f, "SELECT customs.apply_batch_staged($1, $2::jsonb)", 2, p2);
    assert_int_equal(batch_result_parse(PQgetvalue(res, 0, 0), &r), 0);
    if (r.amendments != 1)
        fail_msg("the amendment was not applied: %s", PQgetvalue(res, 0, 0));
    PQclear(res);
    check_stored(f, &f->amend);
    PQclear(exec(f, "ROLLBACK", 0, NULL));
}

/* customs.ceb603_head: one row, every head COLUMN field in its column, then what the items
 * add up to (total_price, currency: NULL as the items' currencies differ, item_count). */
static void test_head(void **state)
{
    FIXTURE(state);
    PGresult *res = call(f, "ceb603_head");
    assert_int_equal(PQntuples(res), 1);
    static const char *const derived[] = {"total_price", "currency", "item_count", NULL};
    check_fields(res, 0, "ceb603_head", &f->decl.d, decl_head_fields, decl_head_field_count,
                 derived);

    const struct decl_field *tp = decl_field_find(true, "totalPrice");
    assert_non_null(tp);
    struct decimal sum = decimal_from_int(0);
    for (int k = 0; k < N_ITEMS; k++)
        assert_int_equal(decimal_add(sum, decl_get_decimal(&f->decl.items[k], tp)->value, &sum), 0);
    const char *total = PQgetvalue(res, 0, PQfnumber(res, "total_price")); /* numeric: "3034.50" */
    struct decimal got;
    char err[128];
    assert_int_equal(decimal_parse(total, strlen(total), &got, err, sizeof(err)), 0);
    assert_int_equal(decimal_cmp(got, sum), 0);
    assert_true(PQgetisnull(res, 0, PQfnumber(res, "currency")));
    assert_string_equal(PQgetvalue(res, 0, PQfnumber(res, "item_count")), "2");
    PQclear(res);
}

/* customs.ceb603_items: a row per item in declared order, line_no = position, every item
 * COLUMN field in its column. */
static void test_items(void **state)
{
    FIXTURE(state);
    PGresult *res = call(f, "ceb603_items");
    assert_int_equal(PQntuples(res), N_ITEMS);
    static const char *const derived[] = {"line_no", NULL};
    for (int k = 0; k < N_ITEMS; k++) {
        char want[16];
        snprintf(want, sizeof(want), "%d", k + 1);
        assert_string_equal(PQgetvalue(res, k, PQfnumber(res, "line_no")), want);
        check_fields(res, k, "ceb603_items", &f->decl.items[k], decl_item_fields,
                     decl_item_field_count, derived);
    }
    PQclear(res);
}

/* The key is a COLUMN field, sent in the decl object; customs.declarations starts with its
 * column (checked by check_table_columns). */
static void test_key(void **state)
{
    FIXTURE(state);
    const struct decl_field *key = decl_field_find(false, KEY_FIELD);
    assert_non_null(key);
    assert_true(key->column);
    const char *params[1] = {f->inventory};
    PGresult *res = PQexecParams(f->c, "SELECT ($1::customs.ceb603_inventory).\"" KEY_FIELD "\"", 1,
                                 NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), f->decl.d.logisticsNo);
    PQclear(res);
}

/* The attributes of customs.ceb603_inventory (and of its items' type) are the COLUMN fields
 * of declaration.h, by name, in order, of the type of their kind (STRING text, DECIMAL
 * numeric, INTEGER bigint), the items last: what batch.c's row literal relies on. */
static void check_type(struct fixture *f, const char *type, const struct decl_field *t, size_t n,
                       bool items_last)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
             "WHERE a.attrelid = (SELECT typrelid FROM pg_type WHERE oid = '%s'::regtype) "
             "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
             type);
    PGresult *res = PQexec(f->c, sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!t[i].column)
            continue;
        assert_true(k < PQntuples(res));
        assert_string_equal(PQgetvalue(res, k, 0), t[i].name);
        assert_string_equal(PQgetvalue(res, k, 1), t[i].kind == DECL_STRING    ? "text"
                                                   : t[i].kind == DECL_DECIMAL ? "numeric"
                                                                               : "bigint");
        k++;
    }
    if (items_last) {
        assert_true(k < PQntuples(res));
        assert_string_equal(PQgetvalue(res, k, 0), "items");
        assert_string_equal(PQgetvalue(res, k, 1), "customs.ceb603_inventory_item[]");
        k++;
    }
    assert_int_equal(PQntuples(res), k);
    PQclear(res);
}

static void test_inventory_type(void **state)
{
    FIXTURE(state);
    check_type(f, "customs.ceb603_inventory", decl_head_fields, decl_head_field_count, true);
    check_type(f, "customs.ceb603_inventory_item", decl_item_fields, decl_item_field_count, false);
    /* The JSON form (a batch document's "decl", customs.ceb603_inventory_of) reads every
     * attribute back: the staged value as JSON is the same value. */
    const char *params[1] = {f->inventory};
    PGresult *res =
        PQexecParams(f->c,
                     "SELECT customs.ceb603_inventory_of(jsonb_strip_nulls(to_jsonb($1::customs."
                     "ceb603_inventory))) IS NOT DISTINCT FROM $1::customs.ceb603_inventory",
                     1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
}

static void test_head_columns(void **state)
{
    FIXTURE(state);
    PGresult *res = call(f, "ceb603_head");
    check_table_columns(f, res, "ceb603_head", "declarations", 0);
    PQclear(res);
}

static void test_items_columns(void **state)
{
    FIXTURE(state);
    PGresult *res = call(f, "ceb603_items");
    check_table_columns(f, res, "ceb603_items", "declaration_items", 1);
    PQclear(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_items),
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_stored),
        cmocka_unit_test(test_head_columns),
        cmocka_unit_test(test_items_columns),
        cmocka_unit_test(test_inventory_type),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
