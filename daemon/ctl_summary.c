/*
 * ctl_summary.c - `customsctl summary` (ctl_summary.h): the monthly summary declaration
 * read from customs.summary_lines (and filed with customs.file_summary), printed for
 * people, as CSV, as JSON (json-c) or as a CEB701 message (libxml2's xmlTextWriter).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlwriter.h>
#include <openssl/rand.h>

#include "config.h"
#include "ctl_db.h"
#include "ctl_ops.h"
#include "ctl_summary.h"
#include "util.h"

/* The columns of customs.summary_lines, in this order. */
enum {
    C_SUMMARY_ID,
    C_FILED_AT,
    C_EBC,
    C_TRAF,
    C_OWNER,
    C_COUNTRY,
    C_PORT,
    C_GCODE,
    C_CURRENCY,
    C_UNIT,
    C_QTY,
    C_TOTAL,
    C_INVENTORIES,
    C_INVT_NOS,
    C_COUNT,
    C_EBC_TOTAL = C_COUNT, /* the enterprise's: sum of totalPrice */
    C_EBC_INVENTORIES      /* the enterprise's: distinct inventories */
};
static const char *const col_names[C_COUNT] = {
    "summary_id", "filed_at", "ebcCode", "trafMode", "ownerCode",  "country",     "portCode",
    "gcode",      "currency", "unit",    "qty",      "totalPrice", "inventories", "invtNos"};
/* How many invtNos a line shows in the text format. */
#define TEXT_INVT_NOS 3

/* The lines in summary_lines' order (ebcCode first), with each enterprise's totals. */
static const char *const line_sql =
    "WITH l AS (SELECT row_number() OVER () AS n, * FROM customs.summary_lines($1::date, $2)), "
    "t AS (SELECT ebc_code, sum(total_price) AS total FROM l GROUP BY 1), "
    "i AS (SELECT ebc_code, count(DISTINCT x) AS invts FROM l, unnest(invt_nos) x GROUP BY 1) "
    "SELECT summary_id, to_char(filed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "ebc_code, traf_mode, owner_code, country, port_code, gcode, currency, unit, "
    "qty::text, total_price::text, inventory_count, array_to_string(invt_nos, ' '), "
    "t.total::text, i.invts FROM l JOIN t USING (ebc_code) JOIN i USING (ebc_code) ORDER BY n";

struct summary_args {
    const char *config, *month, *ebc, *format;
    bool file;
    char first_day[16]; /* YYYY-MM-01 */
};

static void summary_usage(void)
{
    fprintf(stderr, "usage: customsctl summary %s\n", CTL_SUMMARY_ARGS);
}

static int parse_args(struct summary_args *a, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"month", required_argument, NULL, 'm'},
        {"ebc", required_argument, NULL, 'e'},    {"format", required_argument, NULL, 'F'},
        {"file", no_argument, NULL, 'f'},         {NULL, 0, NULL, 0},
    };
    char *args[64];
    int argc = 1, opt, y, m;
    char tail;

    args[0] = (char *)"customsctl summary";
    for (; argv[argc - 1]; argc++) {
        if (argc >= (int)ARRAY_SIZE(args) - 1) {
            fprintf(stderr, "customsctl summary: too many arguments\n");
            return CTL_OPS_EXIT_USAGE;
        }
        args[argc] = argv[argc - 1];
    }
    args[argc] = NULL;
    a->config = CTL_OPS_DEFAULT_CONFIG;
    a->format = "text";
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, args, "c:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            a->config = optarg;
            break;
        case 'm':
            a->month = optarg;
            break;
        case 'e':
            a->ebc = optarg;
            break;
        case 'F':
            a->format = optarg;
            break;
        case 'f':
            a->file = true;
            break;
        default:
            fprintf(stderr, "customsctl summary: unknown option or missing value '%s'\n",
                    args[optind - 1]);
            summary_usage();
            return CTL_OPS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "customsctl summary: unexpected argument '%s'\n", args[optind]);
        summary_usage();
        return CTL_OPS_EXIT_USAGE;
    }
    if (!a->month || sscanf(a->month, "%4d-%2d%c", &y, &m, &tail) != 2 || strlen(a->month) != 7 ||
        y < 2000 || y > 9999 || m < 1 || m > 12) {
        fprintf(stderr, "customsctl summary: --month: expected YYYY-MM, got '%s'\n",
                a->month ? a->month : "");
        summary_usage();
        return CTL_OPS_EXIT_USAGE;
    }
    snprintf(a->first_day, sizeof(a->first_day), "%04d-%02d-01", y, m);
    if (strcmp(a->format, "text") && strcmp(a->format, "csv") && strcmp(a->format, "json") &&
        strcmp(a->format, "xml")) {
        fprintf(stderr, "customsctl summary: --format: text, csv, json or xml, not '%s'\n",
                a->format);
        summary_usage();
        return CTL_OPS_EXIT_USAGE;
    }
    return 0;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_field(const char *v, bool last)
{
    if (strpbrk(v, ",\"\r\n")) {
        putchar('"');
        for (; *v; v++) {
            if (*v == '"')
                putchar('"');
            putchar(*v);
        }
        putchar('"');
    } else {
        fputs(v, stdout);
    }
    putchar(last ? '\n' : ',');
}

static void print_csv(const PGresult *res)
{
    for (int k = 0; k < C_COUNT; k++)
        csv_field(col_names[k], k == C_COUNT - 1);
    for (int r = 0; r < PQntuples(res); r++) {
        for (int k = 0; k < C_COUNT; k++)
            csv_field(PQgetvalue(res, r, k), k == C_COUNT - 1);
    }
}

/* Rows of one enterprise: [lo, *hi). summary_lines orders by ebcCode first. */
static int ebc_end(const PGresult *res, int lo)
{
    int hi = lo + 1;
    while (hi < PQntuples(res) &&
           strcmp(PQgetvalue(res, hi, C_EBC), PQgetvalue(res, lo, C_EBC)) == 0)
        hi++;
    return hi;
}

static void print_text(const PGresult *res, const struct summary_args *a)
{
    printf("monthly summary declaration (CEB701), %s, 9610 inventories closed (899) in the month "
           "(Asia/Shanghai)\n",
           a->month);
    for (int lo = 0; lo < PQntuples(res);) {
        int hi = ebc_end(res, lo);
        printf("\nebcCode %s: %s; %d lines, %s inventories, totalPrice %s\n",
               PQgetvalue(res, lo, C_EBC),
               PQgetisnull(res, lo, C_SUMMARY_ID) ? "not filed (computed now)" : "filed", hi - lo,
               PQgetvalue(res, lo, C_EBC_INVENTORIES), PQgetvalue(res, lo, C_EBC_TOTAL));
        if (!PQgetisnull(res, lo, C_SUMMARY_ID))
            printf("  summary %s, filed %s\n", PQgetvalue(res, lo, C_SUMMARY_ID),
                   PQgetvalue(res, lo, C_FILED_AT));
        printf("  %-4s %-5s %-10s %-7s %-5s %-10s %-4s %-4s %14s %16s %5s  %s\n", "LINE", "TRAF",
               "OWNER", "COUNTRY", "PORT", "GCODE", "CURR", "UNIT", "QTY", "TOTALPRICE", "INVTS",
               "INVTNOS");
        for (int r = lo; r < hi; r++) {
            /* People get the first invtNos of a line; csv, json and xml give them all. */
            const char *list = PQgetvalue(res, r, C_INVT_NOS), *p = list;
            int shown = 0, total = atoi(PQgetvalue(res, r, C_INVENTORIES));
            while (*p && shown < TEXT_INVT_NOS) {
                p += strcspn(p, " ");
                p += *p == ' ';
                shown++;
            }
            printf("  %-4d %-5s %-10s %-7s %-5s %-10s %-4s %-4s %14s %16s %5s  %.*s%s", r - lo + 1,
                   PQgetvalue(res, r, C_TRAF), PQgetvalue(res, r, C_OWNER),
                   PQgetvalue(res, r, C_COUNTRY), PQgetvalue(res, r, C_PORT),
                   PQgetvalue(res, r, C_GCODE), PQgetvalue(res, r, C_CURRENCY),
                   PQgetvalue(res, r, C_UNIT), PQgetvalue(res, r, C_QTY),
                   PQgetvalue(res, r, C_TOTAL), PQgetvalue(res, r, C_INVENTORIES),
                   (int)(p - list - (*p ? 1 : 0)), list, *p ? " ..." : "");
            if (*p)
                printf(" (+%d)", total - shown);
            putchar('\n');
        }
        lo = hi;
    }
}

static int print_json(const PGresult *res, const struct summary_args *a)
{
    json_object *o = json_object_new_object(), *ebcs = json_object_new_array();
    json_object_object_add(o, "month", json_object_new_string(a->month));
    for (int lo = 0; lo < PQntuples(res);) {
        int hi = ebc_end(res, lo);
        json_object *e = json_object_new_object(), *lines = json_object_new_array();
        json_object_object_add(e, "ebcCode", json_object_new_string(PQgetvalue(res, lo, C_EBC)));
        json_object_object_add(
            e, "summary_id",
            PQgetisnull(res, lo, C_SUMMARY_ID)
                ? NULL
                : json_object_new_int64(atoll(PQgetvalue(res, lo, C_SUMMARY_ID))));
        json_object_object_add(e, "filed_at",
                               PQgetisnull(res, lo, C_FILED_AT)
                                   ? NULL
                                   : json_object_new_string(PQgetvalue(res, lo, C_FILED_AT)));
        json_object_object_add(e, "inventories",
                               json_object_new_int(atoi(PQgetvalue(res, lo, C_EBC_INVENTORIES))));
        json_object_object_add(e, "totalPrice",
                               json_object_new_string(PQgetvalue(res, lo, C_EBC_TOTAL)));
        for (int r = lo; r < hi; r++) {
            json_object *l = json_object_new_object(), *inv = json_object_new_array();
            json_object_object_add(l, "gNo", json_object_new_int(r - lo + 1));
            for (int k = C_TRAF; k <= C_TOTAL; k++)
                json_object_object_add(l, col_names[k],
                                       json_object_new_string(PQgetvalue(res, r, k)));
            json_object_object_add(l, "inventories",
                                   json_object_new_int(atoi(PQgetvalue(res, r, C_INVENTORIES))));
            for (const char *p = PQgetvalue(res, r, C_INVT_NOS); *p;) {
                size_t w = strcspn(p, " ");
                json_object_array_add(inv, json_object_new_string_len(p, (int)w));
                p += w + (p[w] == ' ');
            }
            json_object_object_add(l, "invtNos", inv);
            json_object_array_add(lines, l);
        }
        json_object_object_add(e, "lines", lines);
        json_object_array_add(ebcs, e);
        lo = hi;
    }
    json_object_object_add(o, "enterprises", ebcs);
    return ctl_db_print_json(o);
}

/* A GUID as the E-Port writes them: 36 characters, upper-case hex, version 4. */
static void new_guid(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof(b)) != 1)
        memset(b, 0, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

#define CEB "ceb"
static int el(xmlTextWriterPtr w, const char *name, const char *value)
{
    return xmlTextWriterWriteElementNS(w, BAD_CAST CEB, BAD_CAST name, NULL, BAD_CAST value);
}

/* The month's first and last second as CEB times (YYYYMMDDhhmmss, the port's time). */
static void month_bounds(const char *first_day, char start[15], char end[15])
{
    int y = atoi(first_day), m = atoi(first_day + 5);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    snprintf(start, 15, "%04d%02d01000000", y, m);
    snprintf(end, 15, "%04d%02d%02d235959", y, m, last);
}

static int print_xml(const PGresult *res, const struct summary_args *a)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    char guid[37], start[15], end[15], now[15], count[16];
    time_t t = time(NULL) + 8 * 3600; /* appTime in the port's time, UTC+8 all year */
    struct tm tm;
    int rc = 0;

    if (!w) {
        xmlBufferFree(buf);
        fprintf(stderr, "customsctl: out of memory\n");
        return CTL_OPS_EXIT_UNREACHABLE;
    }
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y%m%d%H%M%S", &tm);
    month_bounds(a->first_day, start, end);
    new_guid(guid);
    xmlTextWriterSetIndent(w, 1);
    rc |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
    rc |= xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "CEB701Message",
                                      BAD_CAST "http://www.chinaport.gov.cn/ceb") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "guid", BAD_CAST guid) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "1.0") < 0;
    for (int lo = 0; !rc && lo < PQntuples(res);) {
        int hi = ebc_end(res, lo);
        char head_guid[37];
        new_guid(head_guid);
        rc |= xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "SummaryApply", NULL) < 0;
        rc |= xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "SummaryApplyHead", NULL) < 0;
        rc |= el(w, "guid", head_guid) < 0;
        rc |= el(w, "appType", "1") < 0;
        rc |= el(w, "appTime", now) < 0;
        rc |= el(w, "appStatus", "2") < 0;
        rc |= el(w, "ebcCode", PQgetvalue(res, lo, C_EBC)) < 0;
        rc |= el(w, "startTime", start) < 0;
        rc |= el(w, "endTime", end) < 0;
        rc |= el(w, "invtCount", PQgetvalue(res, lo, C_EBC_INVENTORIES)) < 0;
        rc |= el(w, "totalPrice", PQgetvalue(res, lo, C_EBC_TOTAL)) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
        for (int r = lo; !rc && r < hi; r++) {
            snprintf(count, sizeof(count), "%d", r - lo + 1);
            rc |=
                xmlTextWriterStartElementNS(w, BAD_CAST CEB, BAD_CAST "SummaryApplyList", NULL) < 0;
            rc |= el(w, "gNo", count) < 0;
            for (int k = C_TRAF; k <= C_TOTAL; k++)
                rc |= el(w, col_names[k], PQgetvalue(res, r, k)) < 0;
            rc |= el(w, "invtCount", PQgetvalue(res, r, C_INVENTORIES)) < 0;
            for (const char *p = PQgetvalue(res, r, C_INVT_NOS); !rc && *p;) {
                size_t wd = strcspn(p, " ");
                char one[64];
                snprintf(one, sizeof(one), "%.*s", (int)wd, p);
                rc |= el(w, "invtNo", one) < 0;
                p += wd + (p[wd] == ' ');
            }
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        rc |= xmlTextWriterEndElement(w) < 0;
        lo = hi;
    }
    rc |= xmlTextWriterEndDocument(w) < 0;
    xmlFreeTextWriter(w);
    if (!rc)
        fputs((const char *)xmlBufferContent(buf), stdout);
    xmlBufferFree(buf);
    if (rc) {
        fprintf(stderr, "customsctl summary: could not write the XML\n");
        return CTL_OPS_EXIT_UNREACHABLE;
    }
    return CTL_OPS_EXIT_OK;
}

int ctl_summary(char **argv)
{
    struct summary_args a = {0};
    struct config *cfg = NULL;
    PGconn *db = NULL;
    PGresult *res = NULL;
    const char *params[2];
    int rc;

    if ((rc = parse_args(&a, argv)) != 0)
        return rc;
    rc = CTL_OPS_EXIT_UNREACHABLE;
    if (ctl_db_open(a.config, &cfg, &db) < 0)
        goto out;
    params[0] = a.first_day;
    params[1] = a.ebc;
    if (a.file) {
        PGresult *f = PQexecParams(db, "SELECT customs.file_summary($1::date, $2)", 2, NULL, params,
                                   NULL, NULL, 0);
        if (PQresultStatus(f) != PGRES_TUPLES_OK) {
            const char *m = PQresultErrorMessage(f);
            const char *state = PQresultErrorField(f, PG_DIAG_SQLSTATE);
            fprintf(stderr, "customsctl summary: not filed: %.*s\n", (int)strcspn(m, "\n"), m);
            rc = state && strcmp(state, "22023") == 0 ? CTL_OPS_EXIT_NOT_FOUND
                                                      : CTL_OPS_EXIT_UNREACHABLE;
            PQclear(f);
            goto out;
        }
        PQclear(f);
    }
    if (!(res = ctl_db_query(db, line_sql, 2, params, 0)))
        goto out;
    if (PQntuples(res) == 0) {
        fprintf(stderr, "customsctl summary: no 9610 inventory closed in %s%s%s\n", a.month,
                a.ebc ? " for ebcCode " : "", a.ebc ? a.ebc : "");
        rc = CTL_OPS_EXIT_NOT_FOUND;
        goto out;
    }
    if (strcmp(a.format, "csv") == 0) {
        print_csv(res);
        rc = CTL_OPS_EXIT_OK;
    } else if (strcmp(a.format, "json") == 0) {
        rc = print_json(res, &a) < 0 ? CTL_OPS_EXIT_UNREACHABLE : CTL_OPS_EXIT_OK;
    } else if (strcmp(a.format, "xml") == 0) {
        rc = print_xml(res, &a);
    } else {
        print_text(res, &a);
        rc = CTL_OPS_EXIT_OK;
    }
out:
    PQclear(res);
    if (db)
        PQfinish(db);
    config_free(cfg);
    return rc;
}
