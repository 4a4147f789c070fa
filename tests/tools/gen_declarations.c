/*
 * gen_declarations.c - test tool: write realistic CEB603 export declarations (docs/DESIGN.md
 * "Declaration message", docs/DOMAIN.md section 1) as framed Kafka records for kafka_produce.
 *
 *   gen_declarations -n COUNT [-s SEED] [-m MALFORMED] [-d PER_MILLE] [-w PER_MILLE]
 *                    [-e EXPECT_FILE] [-j] [-x] -o FILE|-
 *
 * Framing, one record after another:  "<key_len> <value_len>\n" key value "\n"
 * (key_len -1 = null key). The key is the declaration's logisticsNo.
 *
 * Parcels go by road (trafMode 4) from Mishan to Russia (country 344), declared by
 * e-commerce companies of the Jixi area (customs codes 2303…). The companies and their
 * codes are made up; HS codes, unit, country and currency codes are real table values.
 * About 1 declaration in 10 (-d, per mille) carries exactly one real CEB603 defect that a
 * pre-check must catch (docs/DOMAIN.md section 4), some of them a field breaking the CEB603
 * format (a price "1,234.00", 101 items, ...: rejected by CEB603-FORMAT, not quarantined);
 * about 3 % (-w) hold an item on the inspection watch list (graphite, UAV). Then MALFORMED
 * extra records that cannot be read as declarations at all (truncated JSON, arrays,
 * invalid UTF-8, no usable logisticsNo, ...) are interleaved at evenly spaced positions.
 *
 * Everything derives from SEED through splitmix64, and each declaration from (SEED, index)
 * alone, so a record's content does not depend on COUNT. Amounts are integers (cents,
 * grams, thousandths) and printed as exact decimals; no floating point anywhere.
 *
 * -e writes one tab-separated line per record: position, key ("-" if null), class
 * (ok | defect | malformed), detail (defect or malformed kind, "-" for ok), watch (0/1),
 * item count. A summary goes to stderr. -j prints the first declaration's JSON to stdout.
 *
 * -x writes every record in the XML form instead (a CEB603Message, daemon/declaration_xml.h):
 * the same declarations from the same seed, field for field, so that both forms must decode
 * to the same struct and decision (tests/unit/test_xml_forms.sh). Two format defects XML
 * cannot carry are written as their nearest XML: a NUL in gname as markup in gname, the
 * boolean grossWeight as the text "true" (both still faults of that field). Malformed
 * records are their XML counterparts (truncated, two Inventory elements, XXE, billion
 * laughs, nesting 20 deep, ...: malformed_xml_names), -j prints the first one's XML.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ITEMS    5

/* ------------------------------------------------------------------------------------ */
/* PRNG: splitmix64, so that output is the same on every libc (rand() is not).           */

struct rng {
    uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
    r->s += 0x9E3779B97F4A7C15ULL;
    return mix64(r->s);
}

/* Uniform in [lo, hi] (inclusive); the modulo bias is far below what tests can see. */
static long long rng_range(struct rng *r, long long lo, long long hi)
{
    return lo + (long long)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static bool rng_per_mille(struct rng *r, unsigned per_mille)
{
    return rng_next(r) % 1000 < per_mille;
}

/* An independent stream for one record: (seed, stream, index) -> state. */
static struct rng rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
    struct rng r = {mix64(seed ^ mix64(stream * 0x100000001B3ULL + index + 1))};
    return r;
}

/* ------------------------------------------------------------------------------------ */
/* Growable byte buffer with JSON helpers.                                              */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < b->len + more + 1)
        ncap *= 2;
    char *np = realloc(b->p, ncap);
    if (!np) {
        fprintf(stderr, "gen_declarations: out of memory\n");
        exit(1);
    }
    b->p = np;
    b->cap = ncap;
}

static void buf_add(struct buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* A JSON string literal. Bytes >= 0x80 pass through (the inputs are UTF-8 already). */
static void buf_json_str(struct buf *b, const char *s)
{
    buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            buf_printf(b, "\\u%04x", ch);
        else
            buf_add(b, s, 1);
    }
    buf_puts(b, "\"");
}

/* JSON object writer: tracks the comma between members. */
struct jobj {
    struct buf *b;
    bool first;
};

static void jobj_open(struct jobj *o, struct buf *b)
{
    o->b = b;
    o->first = true;
    buf_puts(b, "{");
}

static void jobj_key(struct jobj *o, const char *key)
{
    if (!o->first)
        buf_puts(o->b, ",");
    o->first = false;
    buf_json_str(o->b, key);
    buf_puts(o->b, ":");
}

static void jobj_str(struct jobj *o, const char *key, const char *val)
{
    jobj_key(o, key);
    buf_json_str(o->b, val);
}

/* A decimal as a JSON string, or as a bare JSON number (both are allowed by docs/DESIGN.md). */
static void jobj_dec(struct jobj *o, const char *key, const char *val, bool as_number)
{
    jobj_key(o, key);
    if (as_number)
        buf_puts(o->b, val);
    else
        buf_json_str(o->b, val);
}

static void jobj_int(struct jobj *o, const char *key, long long v)
{
    jobj_key(o, key);
    buf_printf(o->b, "%lld", v);
}

static void jobj_close(struct jobj *o)
{
    buf_puts(o->b, "}");
}

/*
 * v / 10^scale as an exact decimal, trailing zeros dropped down to min_frac digits after
 * the point (min_frac 0 also drops the point): (135000, 5, 2) -> "1.35".
 */
static void fmt_decimal(char *out, size_t outlen, long long v, int scale, int min_frac)
{
    long long div = 1, ip, fp;
    char frac[24];
    int n;

    for (int i = 0; i < scale; i++)
        div *= 10;
    ip = v / div;
    fp = v % div;
    if (fp < 0)
        fp = -fp;
    snprintf(frac, sizeof(frac), "%0*lld", scale, fp);
    n = scale;
    while (n > min_frac && frac[n - 1] == '0')
        n--;
    if (n == 0)
        snprintf(out, outlen, "%s%lld", v < 0 && ip == 0 ? "-" : "", ip);
    else
        snprintf(out, outlen, "%s%lld.%.*s", v < 0 && ip == 0 ? "-" : "", ip, n, frac);
}

/* ------------------------------------------------------------------------------------ */
/* Reference data.                                                                       */

struct company {
    const char *code; /* 10-character customs registration code, Jixi area prefix 2303 */
    const char *name;
};

/* Made-up companies of Jixi / Mishan; plausible names, not real registrations. */
static const struct company ebc_companies[] = {
    {"2303960001", "鸡西市兴凯湖跨境电子商务有限公司"},
    {"2303960002", "密山市中俄跨境电子商务有限公司"},
    {"2303960003", "鸡西市石墨新材料电子商务有限公司"},
    {"2303960004", "鸡西市北货通电子商务有限公司"},
    {"2303960005", "密山市当壁镇边贸电子商务有限公司"},
    {"2303960006", "鸡西市龙江云仓电子商务有限公司"},
};
static const struct company ebp_companies[] = {
    {"2303960101", "鸡西市跨境通电子商务平台有限公司"},
    {"2303960102", "密山市口岸e购网络科技有限公司"},
};
static const struct company logistics_companies[] = {
    {"2303960201", "密山市中俄国际物流有限公司"},
    {"2303960202", "鸡西市龙运跨境物流有限公司"},
    {"2303960203", "密山市兴凯湖国际货运代理有限公司"},
};
static const struct company agent_companies[] = {
    {"2303980301", "密山市口岸报关有限公司"},
    {"2303980302", "鸡西市通达报关服务有限公司"},
};
static const char *const owner_factories[] = {"鸡西市恒山区乐器加工厂", "鸡西市麻山区石墨制品厂",
                                              "密山市服装加工厂", "鸡西市鸡冠区电子配件厂"};

/*
 * Russia-bound destination ports (POD, C3..4). The 3-letter city codes of Vladivostok,
 * Khabarovsk, Moscow and Novosibirsk stand in for the customs port table, which is not at
 * hand; they have the right length.
 */
static const char *const pods[] = {"VVO", "KHV", "MOW", "OVB"};

/*
 * customsCode / portCode: 1900 is the Harbin customs district (docs/DOMAIN.md section 3, V).
 * The Mishan office code is not known, so only the district code is used.
 */
#define CUSTOMS_CODE "1900"
#define PORT_CODE    "1900"

struct product {
    const char *gcode; /* 10-digit HS code */
    const char *gname;
    const char *item_prefix; /* itemNo prefix */
    const char *brand;
    const char *models[3];
    const char *unit;  /* declared unit: 001 台, 007 个, 011 件, 015 条, 025 双, 035 千克 */
    const char *unit1; /* first legal unit */
    const char *unit2; /* second legal unit (千克) or NULL */
    bool by_weight;    /* qty is kilograms with up to 3 decimals */
    int price_lo, price_hi;   /* yuan per unit */
    int weight_lo, weight_hi; /* grams per unit (by_weight: grams of qty) */
    int qty_max;              /* units per item line (not by_weight) */
    bool watch;               /* on the inspection watch list */
};

/* One product per line reads as a table, hence no clang-format here. */
/* clang-format off */
static const struct product products[] = {
    /* gcode       gname             item     brand     models                                  unit   unit1  unit2  kg     yuan lo..hi  g lo..hi     qty watch */
    {"9207900000", "电吉他",         "EG-ST", "兴凯",   {"ST-100", "TL-200", "LP-300"},          "011", "011", NULL,  false, 699, 3999,  3000, 4500,  1, false},
    {"6815190000", "石墨坩埚",       "GR-CR", "鸡石",   {"Φ80×100", "Φ100×120", "Φ60×80"},       "035", "035", NULL,  true,  80, 300,    500, 5000,   0, false},
    {"8545110000", "石墨电极",       "GR-EL", "鸡石",   {"Φ10×150", "Φ20×200", "Φ30×300"},       "035", "035", NULL,  true,  30, 60,     1000, 10000, 0, false},
    {"6109100000", "棉制针织T恤衫",  "TS-CO", "北疆",   {"M", "L", "XL"},                        "011", "011", "035", false, 39, 129,    150, 250,    5, false},
    {"6110200000", "棉制针织套头衫", "SW-CO", "北疆",   {"M", "L", "XXL"},                       "011", "011", "035", false, 89, 299,    350, 600,    3, false},
    {"6203420000", "棉制男式长裤",   "PT-CO", "北疆",   {"30", "32", "34"},                      "015", "015", "035", false, 99, 399,    400, 700,    3, false},
    {"6404199000", "纺织面运动鞋",   "SH-SP", "雪原",   {"40", "42", "44"},                      "025", "025", NULL,  false, 129, 599,   600, 1200,   2, false},
    {"8517130000", "智能手机",       "PH-SM", "龙芯通", {"X5 128GB", "X7 256GB", "X9 512GB"},    "001", "001", NULL,  false, 999, 5999,  180, 240,    2, false},
    {"8471300000", "笔记本电脑",     "NB-LT", "龙芯通", {"Book 14", "Book 15 Pro", "Air 13"},    "001", "001", NULL,  false, 2999, 8999, 1200, 2500,  1, false},
    {"8518300000", "蓝牙耳机",       "EP-BT", "龙芯通", {"Buds 2", "Buds 3", "Pods Lite"},       "007", "007", "035", false, 59, 499,    40, 300,     3, false},
    {"9503006000", "智力玩具(积木)", "TY-BK", "小兴凯", {"城堡", "卡车", "火箭"},                "007", "035", NULL,  false, 29, 399,    200, 1500,   4, false},
    /* Inspection watch list: graphite (export control) and unmanned aircraft. */
    {"3801100000", "人造石墨",       "GR-AR", "鸡石",   {"粒度-100目", "粒度-200目", "块状"},    "035", "035", NULL,  true,  20, 80,     1000, 20000, 0, true},
    {"2504101000", "天然鳞片石墨",   "GR-NF", "鸡石",   {"固定碳94%", "固定碳96%", "固定碳99%"}, "035", "035", NULL,  true,  5, 30,     1000, 20000, 0, true},
    {"8806100000", "无人驾驶航空器", "UAV",   "兴凯飞", {"F1", "F2 Pro", "F3"},                  "001", "001", NULL,  false, 1999, 9999, 800, 3000,   1, true},
};
/* clang-format on */

#define N_REGULAR_PRODUCTS 11 /* products[0 .. 10]; the rest are watch-list items */

/* ------------------------------------------------------------------------------------ */
/* One declaration in memory, before serialisation (so a defect can be applied to it).   */

enum defect {
    DEF_NONE,
    DEF_GCODE_8_DIGITS,
    DEF_TOTAL_PRICE_MISMATCH,
    DEF_GROSS_BELOW_NET,
    DEF_TRADE_MODE_0101,
    DEF_IE_FLAG_I,
    DEF_GNUM_GAP,
    DEF_MISSING_EBC_CODE,
    DEF_EMPTY_GNAME,
    DEF_COUNTRY_001,
    DEF_UNIT_AAA,
    DEF_GUID_LOWERCASE,
    DEF_IE_DATE_INVALID,
    /* A field breaking the CEB603 format: readable, rejected by CEB603-FORMAT (issue 10). */
    DEF_FMT_PRICE_COMMA,
    DEF_FMT_PRICE_7_DECIMALS,
    DEF_FMT_PRICE_EXPONENT,
    DEF_FMT_ITEMS_101,
    DEF_FMT_NUL_IN_GNAME,
    DEF_FMT_GROSS_WEIGHT_BOOL,
    DEF_COUNT
};

static const char *const defect_names[DEF_COUNT] = {
    "-",
    "gcode_8_digits",
    "total_price_mismatch",
    "gross_below_net",
    "trade_mode_0101",
    "ie_flag_I",
    "gnum_gap",
    "missing_ebcCode",
    "empty_gname",
    "country_001",
    "unit_aaa",
    "guid_lowercase",
    "ie_date_invalid",
    "fmt_price_comma",
    "fmt_price_7_decimals",
    "fmt_price_exponent",
    "fmt_items_101",
    "fmt_nul_in_gname",
    "fmt_gross_weight_bool",
};

struct gen_item {
    int gnum;
    const struct product *p;
    char item_no[21];
    char gcode[11];
    char gname[64];
    char gmodel[96];
    char bar_code[14];
    char unit[4];
    long long qty_milli;  /* declared quantity in thousandths */
    long long qty1_milli; /* legal quantity in thousandths */
    long long net_g;      /* net weight of the line, grams */
    long long price_cents;
    long long total_e5; /* totalPrice in 1e-5 yuan: qty x price rounded half up to fen */
};

struct gen_decl {
    char guid[37];
    char app_time[15];
    char ie_date[9];
    char logistics_no[96], order_no[48], cop_no[48];
    const struct company *ebc, *ebp, *logistics, *agent;
    const char *owner_code, *owner_name;
    const char *ie_flag, *trade_mode, *country, *pod;
    long long freight_cents;
    long long gross_g, net_g;
    int n_items;
    struct gen_item items[MAX_ITEMS];
    bool omit_ebc_code;
    bool numbers; /* decimals as bare JSON numbers */
    bool watch;
    enum defect defect;
};

static const int month_days_2024[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* Day of year 1..366 in 2024 -> "2024MMDD". */
static void date_2024(int doy, char out[9])
{
    int m = 0;

    while (doy > month_days_2024[m]) {
        doy -= month_days_2024[m];
        m++;
    }
    out[0] = '2', out[1] = '0', out[2] = '2', out[3] = '4';
    out[4] = (char)('0' + (m + 1) / 10);
    out[5] = (char)('0' + (m + 1) % 10);
    out[6] = (char)('0' + doy / 10);
    out[7] = (char)('0' + doy % 10);
    out[8] = '\0';
}

static void make_guid(struct rng *r, char out[37])
{
    uint64_t a = rng_next(r), b = rng_next(r);

    /* version 4, variant 10xx, uppercase as CEB603 asks */
    a = (a & ~0xF000ULL) | 0x4000ULL;
    b = (b & ~(3ULL << 62)) | (2ULL << 62);
    snprintf(out, 37, "%08" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%04" PRIX64 "-%012" PRIX64,
             a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48, (uint64_t)(b & 0xFFFFFFFFFFFFULL));
}

/* An EAN-13 in the China GS1 range (690-699) with a correct check digit. */
static void make_ean13(struct rng *r, char out[14])
{
    int sum = 0;

    snprintf(out, 14, "69%d%09lld", (int)rng_range(r, 0, 9), rng_range(r, 0, 999999999));
    for (int i = 0; i < 12; i++)
        sum += (out[i] - '0') * (i % 2 ? 3 : 1);
    out[12] = (char)('0' + (10 - sum % 10) % 10);
    out[13] = '\0';
}

static void make_item(struct rng *r, struct gen_item *it, int gnum, const struct product *p)
{
    long long cents;

    memset(it, 0, sizeof(*it));
    it->gnum = gnum;
    it->p = p;
    snprintf(it->item_no, sizeof(it->item_no), "%s-%03d", p->item_prefix,
             (int)rng_range(r, 1, 120));
    snprintf(it->gcode, sizeof(it->gcode), "%s", p->gcode);
    snprintf(it->gname, sizeof(it->gname), "%s", p->gname);
    snprintf(it->gmodel, sizeof(it->gmodel), "品牌:%s|型号:%s", p->brand,
             p->models[rng_range(r, 0, 2)]);
    if (rng_per_mille(r, 300))
        snprintf(it->bar_code, sizeof(it->bar_code), "无");
    else
        make_ean13(r, it->bar_code);
    snprintf(it->unit, sizeof(it->unit), "%s", p->unit);

    /* Shop prices: whole yuan, .90, .99 or .50 mostly, sometimes any cent value. */
    static const int endings[] = {0, 0, 90, 99, 50, -1};
    int end = endings[rng_range(r, 0, (long long)ARRAY_LEN(endings) - 1)];
    cents = rng_range(r, p->price_lo, p->price_hi) * 100;
    cents += end >= 0 ? end : rng_range(r, 1, 99);
    it->price_cents = cents;

    if (p->by_weight) {
        /* kilograms with up to 3 decimals, in steps of 10 g */
        it->qty_milli = rng_range(r, p->weight_lo / 10, p->weight_hi / 10) * 10;
        it->net_g = it->qty_milli;
    } else {
        long long n = rng_per_mille(r, 700) ? 1 : rng_range(r, 1, p->qty_max);
        it->qty_milli = n * 1000;
        it->net_g = n * rng_range(r, p->weight_lo, p->weight_hi);
    }
    /* The first legal unit is the declared one, except 千克 where the unit is a count. */
    it->qty1_milli = strcmp(p->unit1, p->unit) == 0 ? it->qty_milli : it->net_g;
    /* qty_milli * price_cents is the exact product in 1e-5 yuan; CEB603 declares it rounded
     * half up to fen (the CEB603-TOTALPRICE rule). */
    it->total_e5 = (it->qty_milli * it->price_cents + 500) / 1000 * 1000;
}

static void make_declaration(uint64_t seed, uint64_t index, unsigned defect_pm, unsigned watch_pm,
                             struct gen_decl *d)
{
    struct rng r = rng_for(seed, 1, index);
    bool used[ARRAY_LEN(products)] = {false};
    int doy, hh, mi, ss;
    char date[9];

    memset(d, 0, sizeof(*d));
    make_guid(&r, d->guid);
    doy = (int)rng_range(&r, 1, 365); /* +1 day for ieDate stays in 2024 */
    date_2024(doy, date);
    hh = (int)rng_range(&r, 7, 21);
    mi = (int)rng_range(&r, 0, 59);
    ss = (int)rng_range(&r, 0, 59);
    snprintf(d->app_time, sizeof(d->app_time), "%s%02d%02d%02d", date, hh, mi, ss);
    /* Export date: the declaration day, or the next day for late declarations. */
    date_2024(hh >= 18 ? doy + 1 : doy, d->ie_date);

    /* Unique per (seed, index): seed tag (6 digits) + index (9 digits). */
    snprintf(d->logistics_no, sizeof(d->logistics_no), "YL%s%06" PRIu64 "%09" PRIu64, date,
             seed % 1000000, index);
    snprintf(d->order_no, sizeof(d->order_no), "ORD%s%06" PRIu64 "%09" PRIu64, date, seed % 1000000,
             index);
    snprintf(d->cop_no, sizeof(d->cop_no), "COP%s%06" PRIu64 "%09" PRIu64, date, seed % 1000000,
             index);

    d->ebc = &ebc_companies[rng_range(&r, 0, ARRAY_LEN(ebc_companies) - 1)];
    d->ebp = &ebp_companies[rng_range(&r, 0, ARRAY_LEN(ebp_companies) - 1)];
    d->logistics = &logistics_companies[rng_range(&r, 0, ARRAY_LEN(logistics_companies) - 1)];
    d->agent = &agent_companies[rng_range(&r, 0, ARRAY_LEN(agent_companies) - 1)];
    if (rng_per_mille(&r, 700)) {
        d->owner_code = d->ebc->code;
        d->owner_name = d->ebc->name;
    } else {
        d->owner_code = "NO"; /* producer not registered with customs */
        d->owner_name = owner_factories[rng_range(&r, 0, ARRAY_LEN(owner_factories) - 1)];
    }
    d->ie_flag = "E";
    d->trade_mode = rng_per_mille(&r, 50) ? "9710" : "9610";
    d->country = "344";
    d->pod = pods[rng_range(&r, 0, ARRAY_LEN(pods) - 1)];
    d->freight_cents = rng_per_mille(&r, 300) ? rng_range(&r, 10, 60) * 100 : 0;
    d->numbers = rng_per_mille(&r, 50);

    /* 1..5 items, mostly 1 or 2; distinct products. */
    static const int item_counts[] = {1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5};
    d->n_items = item_counts[rng_range(&r, 0, ARRAY_LEN(item_counts) - 1)];
    d->watch = rng_per_mille(&r, watch_pm);
    for (int i = 0; i < d->n_items; i++) {
        size_t pi;
        if (i == 0 && d->watch)
            pi = (size_t)rng_range(&r, N_REGULAR_PRODUCTS, ARRAY_LEN(products) - 1);
        else
            do
                pi = (size_t)rng_range(&r, 0, N_REGULAR_PRODUCTS - 1);
            while (used[pi]);
        used[pi] = true;
        make_item(&r, &d->items[i], i + 1, &products[pi]);
        d->net_g += d->items[i].net_g;
    }
    /* 9710 on an inventory list only up to CNY 5,000 a ticket (GACC 2020 No.75, rule
     * CEB603-B2B-LIST-VALUE): a larger B2B order is declared as retail 9610 here. */
    if (strcmp(d->trade_mode, "9710") == 0) {
        long long value_e5 = 0;
        for (int i = 0; i < d->n_items; i++)
            value_e5 += d->items[i].total_e5;
        if (value_e5 > 5000LL * 100000)
            d->trade_mode = "9610";
    }
    /* Packaging: carton and filler, 50-400 g plus 5 %; gross > net always. */
    d->gross_g = d->net_g + d->net_g / 20 + rng_range(&r, 50, 400);

    d->defect =
        rng_per_mille(&r, defect_pm) ? (enum defect)rng_range(&r, 1, DEF_COUNT - 1) : DEF_NONE;
    struct gen_item *victim = &d->items[rng_range(&r, 0, d->n_items - 1)];
    switch (d->defect) {
    case DEF_NONE:
    case DEF_COUNT:
        break;
    case DEF_GCODE_8_DIGITS:
        victim->gcode[8] = '\0';
        break;
    case DEF_TOTAL_PRICE_MISMATCH:
        victim->total_e5 += 100000; /* one yuan more than qty * price */
        break;
    case DEF_GROSS_BELOW_NET: {
        long long t = d->gross_g;
        d->gross_g = d->net_g;
        d->net_g = t;
        break;
    }
    case DEF_TRADE_MODE_0101:
        d->trade_mode = "0101"; /* the official sample's placeholder value */
        break;
    case DEF_IE_FLAG_I:
        d->ie_flag = "I";
        break;
    case DEF_GNUM_GAP:
        /* 1, 3, 4 ... (or a lone item numbered 2): not consecutive from 1 */
        for (int i = d->n_items == 1 ? 0 : 1; i < d->n_items; i++)
            d->items[i].gnum++;
        break;
    case DEF_MISSING_EBC_CODE:
        d->omit_ebc_code = true;
        break;
    case DEF_EMPTY_GNAME:
        victim->gname[0] = '\0';
        break;
    case DEF_COUNTRY_001:
        d->country = "001";
        break;
    case DEF_UNIT_AAA:
        snprintf(victim->unit, sizeof(victim->unit), "aaa");
        break;
    case DEF_GUID_LOWERCASE:
        for (char *p = d->guid; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        break;
    case DEF_IE_DATE_INVALID:
        memcpy(d->ie_date, "20240230", 9); /* February 30th */
        break;
    case DEF_FMT_PRICE_COMMA:
    case DEF_FMT_PRICE_7_DECIMALS:
    case DEF_FMT_PRICE_EXPONENT:
    case DEF_FMT_ITEMS_101:
    case DEF_FMT_NUL_IN_GNAME:
    case DEF_FMT_GROSS_WEIGHT_BOOL:
        break; /* written by decl_to_json (defect_opts) */
    }
}

/*
 * Serialise d as one-line JSON. Hooks for the malformed kinds: price_override replaces the
 * first item's price text, extra_items repeats the last item, key_as_number writes
 * logisticsNo as a JSON number, dup_key repeats grossWeight, gname_override replaces the
 * first gname with raw bytes (may be invalid UTF-8; written without escaping).
 */
struct json_opts {
    const char *price_override;
    int extra_items;
    bool key_as_number;
    bool key_omit;          /* no logisticsNo */
    const char *key_suffix; /* JSON text written after logisticsNo inside its string */
    bool dup_key;
    const char *gname_raw;
    const char *gross_raw; /* JSON text written as the value of grossWeight */
};

static void decl_to_json(const struct gen_decl *d, const struct json_opts *jo, struct buf *b)
{
    static const struct json_opts none;
    struct jobj o;
    char v[40];
    bool num = d->numbers;

    if (!jo)
        jo = &none;
    jobj_open(&o, b);
    jobj_str(&o, "guid", d->guid);
    jobj_str(&o, "appType", "1");
    jobj_str(&o, "appTime", d->app_time);
    jobj_str(&o, "appStatus", "2");
    jobj_str(&o, "customsCode", CUSTOMS_CODE);
    jobj_str(&o, "portCode", PORT_CODE);
    jobj_str(&o, "ieFlag", d->ie_flag);
    jobj_str(&o, "ieDate", d->ie_date);
    jobj_str(&o, "ebpCode", d->ebp->code);
    jobj_str(&o, "ebpName", d->ebp->name);
    jobj_str(&o, "orderNo", d->order_no);
    if (!d->omit_ebc_code)
        jobj_str(&o, "ebcCode", d->ebc->code);
    jobj_str(&o, "ebcName", d->ebc->name);
    jobj_str(&o, "logisticsCode", d->logistics->code);
    jobj_str(&o, "logisticsName", d->logistics->name);
    if (jo->key_omit) {
        /* no key: the record cannot be a parcel's declaration */
    } else if (jo->key_suffix) {
        jobj_key(&o, "logisticsNo");
        buf_printf(b, "\"%s%s\"", d->logistics_no, jo->key_suffix);
    } else if (jo->key_as_number) {
        jobj_key(&o, "logisticsNo");
        /* the digits of the real number without its letters, led by 8 (no leading 0) */
        buf_printf(b, "8%s", d->logistics_no + strcspn(d->logistics_no, "0123456789"));
    } else {
        jobj_str(&o, "logisticsNo", d->logistics_no);
    }
    jobj_str(&o, "copNo", d->cop_no);
    jobj_str(&o, "agentCode", d->agent->code);
    jobj_str(&o, "agentName", d->agent->name);
    jobj_str(&o, "ownerCode", d->owner_code);
    jobj_str(&o, "ownerName", d->owner_name);
    jobj_str(&o, "tradeMode", d->trade_mode);
    jobj_str(&o, "statisticsFlag", "A");
    jobj_str(&o, "trafMode", "4");
    jobj_str(&o, "country", d->country);
    jobj_str(&o, "POD", d->pod);
    fmt_decimal(v, sizeof(v), d->freight_cents, 2, d->freight_cents ? 2 : 0);
    jobj_dec(&o, "freight", v, num);
    jobj_str(&o, "fCurrency", "142");
    jobj_str(&o, "fFlag", "3");
    jobj_dec(&o, "insuredFee", "0", num);
    jobj_str(&o, "iCurrency", "142");
    jobj_str(&o, "iFlag", "3");
    jobj_str(&o, "wrapType", "2");
    jobj_int(&o, "packNo", 1);
    fmt_decimal(v, sizeof(v), d->gross_g, 3, 0);
    if (jo->gross_raw) {
        jobj_key(&o, "grossWeight");
        buf_puts(b, jo->gross_raw);
    } else {
        jobj_dec(&o, "grossWeight", v, num);
    }
    if (jo->dup_key)
        jobj_dec(&o, "grossWeight", v, num);
    fmt_decimal(v, sizeof(v), d->net_g, 3, 0);
    jobj_dec(&o, "netWeight", v, num);
    jobj_str(&o, "note", "");

    jobj_key(&o, "items");
    buf_puts(b, "[");
    for (int i = 0; i < d->n_items + jo->extra_items; i++) {
        const struct gen_item *it = &d->items[i < d->n_items ? i : d->n_items - 1];
        struct jobj io;

        if (i > 0)
            buf_puts(b, ",");
        jobj_open(&io, b);
        jobj_int(&io, "gnum", i < d->n_items ? it->gnum : i + 1);
        jobj_str(&io, "itemNo", it->item_no);
        jobj_str(&io, "itemName", it->p->gname);
        jobj_str(&io, "gcode", it->gcode);
        if (i == 0 && jo->gname_raw) {
            jobj_key(&io, "gname");
            buf_puts(b, "\"");
            buf_puts(b, jo->gname_raw);
            buf_puts(b, "\"");
        } else {
            jobj_str(&io, "gname", it->gname);
        }
        jobj_str(&io, "gmodel", it->gmodel);
        jobj_str(&io, "barCode", it->bar_code);
        jobj_str(&io, "country", d->country);
        jobj_str(&io, "currency", "142");
        fmt_decimal(v, sizeof(v), it->qty_milli, 3, 0);
        jobj_dec(&io, "qty", v, num);
        jobj_str(&io, "unit", it->unit);
        fmt_decimal(v, sizeof(v), it->qty1_milli, 3, 0);
        jobj_dec(&io, "qty1", v, num);
        jobj_str(&io, "unit1", it->p->unit1);
        if (it->p->unit2) {
            fmt_decimal(v, sizeof(v), it->net_g, 3, 0);
            jobj_dec(&io, "qty2", v, num);
            jobj_str(&io, "unit2", it->p->unit2);
        }
        if (i == 0 && jo->price_override) {
            jobj_dec(&io, "price", jo->price_override, false);
        } else {
            fmt_decimal(v, sizeof(v), it->price_cents, 2, 2);
            jobj_dec(&io, "price", v, num);
        }
        fmt_decimal(v, sizeof(v), it->total_e5, 5, 2);
        jobj_dec(&io, "totalPrice", v, num);
        jobj_close(&io);
    }
    buf_puts(b, "]");
    jobj_close(&o);
}

/* The serialisation hooks of a format defect (DEF_FMT_*): the first item's price or
 * gname, 101 items, grossWeight as a boolean. */
static void defect_opts(const struct gen_decl *d, struct json_opts *jo)
{
    memset(jo, 0, sizeof(*jo));
    switch (d->defect) {
    case DEF_FMT_PRICE_COMMA:
        jo->price_override = "1,234.00";
        break;
    case DEF_FMT_PRICE_7_DECIMALS:
        jo->price_override = "12.3456789";
        break;
    case DEF_FMT_PRICE_EXPONENT:
        jo->price_override = "1e3";
        break;
    case DEF_FMT_ITEMS_101:
        jo->extra_items = 101 - d->n_items;
        break;
    case DEF_FMT_NUL_IN_GNAME:
        jo->gname_raw = "电吉他\\u0000<script>";
        break;
    case DEF_FMT_GROSS_WEIGHT_BOOL:
        jo->gross_raw = "true";
        break;
    default:
        break;
    }
}

/* ------------------------------------------------------------------------------------ */
/* The same declaration as a CEB603Message (-x; daemon/declaration_xml.h).               */

/* Text content: & < > escaped; bytes >= 0x80 pass through (the inputs are UTF-8). */
static void buf_xml_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            buf_puts(b, "&amp;");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else
            buf_add(b, s, 1);
    }
}

/* <ceb:NAME>text</ceb:NAME>; raw: text written as is (markup, invalid bytes). */
static void xml_el(struct buf *b, const char *name, const char *text, bool raw)
{
    buf_printf(b, "<ceb:%s>", name);
    if (raw)
        buf_puts(b, text);
    else
        buf_xml_text(b, text);
    buf_printf(b, "</ceb:%s>", name);
}

/*
 * Options of the XML form, as json_opts are of the JSON form: the declaration's format
 * defects (price_override, extra_items, gname_raw, gross_raw) say the same in XML, except
 * where XML cannot say it (no NUL character, no boolean: defect_xml_opts); the malformed
 * kinds have XML counterparts (make_malformed_xml).
 */
struct xml_opts {
    const char *price_override;
    int extra_items;
    const char *gname_raw; /* markup or bytes written as gname's content */
    const char *gross_raw; /* text written as grossWeight's content */
    bool key_omit;
    const char *key_raw; /* written as logisticsNo's content instead of the key */
    bool dup_key;        /* grossWeight twice */
    int inventories;     /* Inventory elements (0 = 1) */
    const char *doctype; /* written before the root */
    const char *note_raw;
    int deep; /* unknown elements nested this deep in InventoryHead */
};

static void decl_to_xml(const struct gen_decl *d, const struct xml_opts *xo, struct buf *b)
{
    static const struct xml_opts none;
    char v[40];

    if (!xo)
        xo = &none;
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (xo->doctype)
        buf_puts(b, xo->doctype);
    buf_printf(b,
               "<ceb:CEB603Message guid=\"%s\" version=\"1.0\" "
               "xmlns:ceb=\"http://www.chinaport.gov.cn/ceb\" "
               "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
               d->guid);
    for (int inv = 0; inv < (xo->inventories ? xo->inventories : 1); inv++) {
        buf_puts(b, "<ceb:Inventory><ceb:InventoryHead>");
        xml_el(b, "guid", d->guid, false);
        xml_el(b, "appType", "1", false);
        xml_el(b, "appTime", d->app_time, false);
        xml_el(b, "appStatus", "2", false);
        xml_el(b, "customsCode", CUSTOMS_CODE, false);
        xml_el(b, "ebpCode", d->ebp->code, false);
        xml_el(b, "ebpName", d->ebp->name, false);
        xml_el(b, "orderNo", d->order_no, false);
        xml_el(b, "logisticsCode", d->logistics->code, false);
        xml_el(b, "logisticsName", d->logistics->name, false);
        if (xo->key_raw)
            xml_el(b, "logisticsNo", xo->key_raw, true);
        else if (!xo->key_omit)
            xml_el(b, "logisticsNo", d->logistics_no, false);
        xml_el(b, "copNo", d->cop_no, false);
        xml_el(b, "ieFlag", d->ie_flag, false);
        xml_el(b, "portCode", PORT_CODE, false);
        xml_el(b, "ieDate", d->ie_date, false);
        xml_el(b, "statisticsFlag", "A", false);
        xml_el(b, "agentCode", d->agent->code, false);
        xml_el(b, "agentName", d->agent->name, false);
        if (!d->omit_ebc_code)
            xml_el(b, "ebcCode", d->ebc->code, false);
        xml_el(b, "ebcName", d->ebc->name, false);
        xml_el(b, "ownerCode", d->owner_code, false);
        xml_el(b, "ownerName", d->owner_name, false);
        xml_el(b, "tradeMode", d->trade_mode, false);
        xml_el(b, "trafMode", "4", false);
        xml_el(b, "country", d->country, false);
        xml_el(b, "POD", d->pod, false);
        fmt_decimal(v, sizeof(v), d->freight_cents, 2, d->freight_cents ? 2 : 0);
        xml_el(b, "freight", v, false);
        xml_el(b, "fCurrency", "142", false);
        xml_el(b, "fFlag", "3", false);
        xml_el(b, "insuredFee", "0", false);
        xml_el(b, "iCurrency", "142", false);
        xml_el(b, "iFlag", "3", false);
        xml_el(b, "wrapType", "2", false);
        xml_el(b, "packNo", "1", false);
        fmt_decimal(v, sizeof(v), d->gross_g, 3, 0);
        xml_el(b, "grossWeight", xo->gross_raw ? xo->gross_raw : v, xo->gross_raw != NULL);
        if (xo->dup_key)
            xml_el(b, "grossWeight", v, false);
        fmt_decimal(v, sizeof(v), d->net_g, 3, 0);
        xml_el(b, "netWeight", v, false);
        xml_el(b, "note", xo->note_raw ? xo->note_raw : "", xo->note_raw != NULL);
        for (int k = 0; k < xo->deep; k++)
            buf_puts(b, "<ceb:ext>");
        for (int k = 0; k < xo->deep; k++)
            buf_puts(b, "</ceb:ext>");
        buf_puts(b, "</ceb:InventoryHead>\n");

        for (int i = 0; i < d->n_items + xo->extra_items; i++) {
            const struct gen_item *it = &d->items[i < d->n_items ? i : d->n_items - 1];

            buf_puts(b, "<ceb:InventoryList>");
            buf_printf(b, "<ceb:gnum>%d</ceb:gnum>", i < d->n_items ? it->gnum : i + 1);
            xml_el(b, "itemNo", it->item_no, false);
            xml_el(b, "itemName", it->p->gname, false);
            xml_el(b, "gcode", it->gcode, false);
            if (i == 0 && xo->gname_raw)
                xml_el(b, "gname", xo->gname_raw, true);
            else
                xml_el(b, "gname", it->gname, false);
            xml_el(b, "gmodel", it->gmodel, false);
            xml_el(b, "barCode", it->bar_code, false);
            xml_el(b, "country", d->country, false);
            xml_el(b, "currency", "142", false);
            fmt_decimal(v, sizeof(v), it->qty_milli, 3, 0);
            xml_el(b, "qty", v, false);
            fmt_decimal(v, sizeof(v), it->qty1_milli, 3, 0);
            xml_el(b, "qty1", v, false);
            if (it->p->unit2) {
                fmt_decimal(v, sizeof(v), it->net_g, 3, 0);
                xml_el(b, "qty2", v, false);
            }
            xml_el(b, "unit", it->unit, false);
            xml_el(b, "unit1", it->p->unit1, false);
            if (it->p->unit2)
                xml_el(b, "unit2", it->p->unit2, false);
            if (i == 0 && xo->price_override) {
                xml_el(b, "price", xo->price_override, false);
            } else {
                fmt_decimal(v, sizeof(v), it->price_cents, 2, 2);
                xml_el(b, "price", v, false);
            }
            fmt_decimal(v, sizeof(v), it->total_e5, 5, 2);
            xml_el(b, "totalPrice", v, false);
            buf_puts(b, "</ceb:InventoryList>\n");
        }
        buf_puts(b, "</ceb:Inventory>\n");
    }
    buf_printf(b, "<ceb:BaseTransfer><ceb:copCode>%s</ceb:copCode><ceb:copName>", d->agent->code);
    buf_xml_text(b, d->agent->name);
    buf_puts(b, "</ceb:copName><ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>DXPENT0000000001"
                "</ceb:dxpId><ceb:note></ceb:note></ceb:BaseTransfer>\n"
                "</ceb:CEB603Message>\n");
}

/* The format defects in XML: the same text where a JSON string says it; the two XML cannot
 * carry (a NUL character, a boolean) as their nearest XML: markup inside gname, the text
 * "true" as grossWeight (still a CEB603-FORMAT rejection of the same field, in other words). */
static void defect_xml_opts(const struct gen_decl *d, struct xml_opts *xo)
{
    struct json_opts jo;

    defect_opts(d, &jo);
    memset(xo, 0, sizeof(*xo));
    xo->price_override = jo.price_override;
    xo->extra_items = jo.extra_items;
    if (jo.gname_raw)
        xo->gname_raw = "电吉他<script>alert(1)</script>";
    if (jo.gross_raw)
        xo->gross_raw = "true";
}

/* ------------------------------------------------------------------------------------ */
/* Malformed records: none can be read as a declaration (-> quarantine).               */

enum malformed {
    MAL_TRUNCATED_JSON,
    MAL_JSON_ARRAY,
    MAL_INVALID_UTF8,
    MAL_LOGISTICSNO_MISSING,
    MAL_LOGISTICSNO_81,
    MAL_LOGISTICSNO_NUMBER,
    MAL_EMPTY_VALUE,
    MAL_DUPLICATE_KEY,
    MAL_NUL_IN_LOGISTICSNO,
    MAL_TOO_DEEP,
    MAL_BINARY_GARBAGE,
    MAL_COUNT
};

static const char *const malformed_names[MAL_COUNT] = {
    "truncated_json",     "json_array",         "invalid_utf8",   "logisticsNo_missing",
    "logisticsNo_81",     "logisticsNo_number", "empty_value",    "duplicate_key",
    "nul_in_logisticsNo", "too_deep",           "binary_garbage",
};

/* Build malformed record j into value (and key, "" for a null key). */
static void make_malformed(uint64_t seed, uint64_t j, enum malformed kind, struct buf *value,
                           char *key, size_t keylen)
{
    struct gen_decl d;
    struct json_opts jo = {0};
    struct rng r = rng_for(seed, 2, j);

    /* A clean base declaration from its own stream, keyed apart from the regular ones. */
    make_declaration(seed, (1ULL << 40) + j, 0, 0, &d);
    snprintf(d.logistics_no, sizeof(d.logistics_no), "YLBAD%06" PRIu64 "%09" PRIu64, seed % 1000000,
             j);
    snprintf(key, keylen, "%s", d.logistics_no);

    switch (kind) {
    case MAL_TRUNCATED_JSON:
        decl_to_json(&d, NULL, value);
        value->len = value->len * 3 / 5; /* cut in the middle */
        /* Do not leave a split UTF-8 sequence: the defect is the truncation only. */
        while (value->len > 0 && ((unsigned char)value->p[value->len] & 0xC0) == 0x80)
            value->len--;
        value->p[value->len] = '\0';
        break;
    case MAL_JSON_ARRAY:
        buf_puts(value, "[");
        decl_to_json(&d, NULL, value);
        buf_puts(value, "]");
        break;
    case MAL_INVALID_UTF8:
        /* an overlong '/', a lone continuation byte, 0xFF, and a truncated 3-byte seq */
        jo.gname_raw = "\xC0\xAF\x80 \xFF\xFE \xE7\x94";
        decl_to_json(&d, &jo, value);
        break;
    case MAL_LOGISTICSNO_MISSING:
        jo.key_omit = true;
        decl_to_json(&d, &jo, value);
        break;
    case MAL_LOGISTICSNO_81:
        /* CEB603 logisticsNo is C..80: 81 characters cannot key a parcel */
        snprintf(d.logistics_no + strlen(d.logistics_no),
                 sizeof(d.logistics_no) - strlen(d.logistics_no), "%0*d",
                 (int)(81 - strlen(d.logistics_no)), 0);
        decl_to_json(&d, NULL, value);
        break;
    case MAL_LOGISTICSNO_NUMBER:
        jo.key_as_number = true;
        decl_to_json(&d, &jo, value);
        break;
    case MAL_EMPTY_VALUE:
        break;
    case MAL_DUPLICATE_KEY:
        jo.dup_key = true;
        decl_to_json(&d, &jo, value);
        break;
    case MAL_NUL_IN_LOGISTICSNO:
        jo.key_suffix = "\\u0000";
        decl_to_json(&d, &jo, value);
        break;
    case MAL_TOO_DEEP:
        /* an unknown key nested 12 levels deep: ignored keys still count for depth */
        buf_puts(value, "{\"logisticsNo\":");
        buf_json_str(value, d.logistics_no);
        buf_puts(value, ",\"ext\":");
        for (int i = 0; i < 12; i++)
            buf_puts(value, "{\"a\":");
        buf_puts(value, "1");
        for (int i = 0; i < 12; i++)
            buf_puts(value, "}");
        buf_puts(value, "}");
        break;
    case MAL_BINARY_GARBAGE: {
        /* not JSON at all: random bytes with NULs and newlines; no key */
        int n = (int)rng_range(&r, 64, 512);
        key[0] = '\0';
        for (int i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)rng_next(&r);
            if (i % 17 == 3)
                ch = '\n';
            else if (i % 13 == 5)
                ch = '\0';
            buf_add(value, &ch, 1);
        }
        break;
    }
    case MAL_COUNT:
        break;
    }
}

/* The XML counterpart of each malformed kind (-x): none can be read as a declaration. */
static const char *const malformed_xml_names[MAL_COUNT] = {
    "truncated_xml",
    "two_inventories",
    "invalid_utf8",
    "logisticsNo_missing",
    "logisticsNo_81",
    "logisticsNo_markup",
    "empty_value",
    "duplicate_element",
    "xxe",
    "too_deep",
    "billion_laughs",
};

/* Build malformed XML record j into value (and key, "" for a null key). */
static void make_malformed_xml(uint64_t seed, uint64_t j, enum malformed kind, struct buf *value,
                               char *key, size_t keylen)
{
    struct gen_decl d;
    struct xml_opts xo = {0};

    make_declaration(seed, (1ULL << 40) + j, 0, 0, &d);
    snprintf(d.logistics_no, sizeof(d.logistics_no), "YLBAD%06" PRIu64 "%09" PRIu64, seed % 1000000,
             j);
    snprintf(key, keylen, "%s", d.logistics_no);

    switch (kind) {
    case MAL_TRUNCATED_JSON:
        decl_to_xml(&d, NULL, value);
        value->len = value->len * 3 / 5;
        while (value->len > 0 && ((unsigned char)value->p[value->len] & 0xC0) == 0x80)
            value->len--;
        value->p[value->len] = '\0';
        break;
    case MAL_JSON_ARRAY:
        xo.inventories = 2; /* one record is one parcel */
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_INVALID_UTF8:
        xo.gname_raw = "\xC0\xAF\x80 \xFF\xFE \xE7\x94";
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_LOGISTICSNO_MISSING:
        xo.key_omit = true;
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_LOGISTICSNO_81:
        snprintf(d.logistics_no + strlen(d.logistics_no),
                 sizeof(d.logistics_no) - strlen(d.logistics_no), "%0*d",
                 (int)(81 - strlen(d.logistics_no)), 0);
        decl_to_xml(&d, NULL, value);
        break;
    case MAL_LOGISTICSNO_NUMBER:
        xo.key_raw = "<ceb:no>8</ceb:no>"; /* markup, not text */
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_EMPTY_VALUE:
        break;
    case MAL_DUPLICATE_KEY:
        xo.dup_key = true;
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_NUL_IN_LOGISTICSNO:
        /* XXE: an external entity naming a local file, used in the note */
        xo.doctype = "<!DOCTYPE ceb:CEB603Message [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n";
        xo.note_raw = "&xxe;";
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_TOO_DEEP:
        xo.deep = 20; /* unknown elements still count for depth */
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_BINARY_GARBAGE:
        /* billion laughs: 10^9 "lol"s if entities were expanded */
        xo.doctype = "<!DOCTYPE ceb:CEB603Message [<!ENTITY l \"lol\">"
                     "<!ENTITY l1 \"&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;\">"
                     "<!ENTITY l2 \"&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;\">"
                     "<!ENTITY l3 \"&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;\">"
                     "<!ENTITY l4 \"&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;\">"
                     "<!ENTITY l5 \"&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;\">"
                     "<!ENTITY l6 \"&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;\">"
                     "<!ENTITY l7 \"&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;\">"
                     "<!ENTITY l8 \"&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;&l7;\">"
                     "<!ENTITY l9 \"&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;&l8;\">]>\n";
        xo.note_raw = "&l9;";
        decl_to_xml(&d, &xo, value);
        break;
    case MAL_COUNT:
        break;
    }
}

/* ------------------------------------------------------------------------------------ */

struct counts {
    uint64_t records, declarations, defective, watch, malformed, bytes, max_bytes;
    uint64_t by_defect[DEF_COUNT];
    uint64_t by_malformed[MAL_COUNT];
};

/* Write one framed record; key NULL = null key. Returns 0 or -1 (errno). */
static int write_record(FILE *out, const char *key, const char *val, size_t vlen)
{
    if (key)
        fprintf(out, "%zu %zu\n%s", strlen(key), vlen, key);
    else
        fprintf(out, "-1 %zu\n", vlen);
    if (vlen && fwrite(val, 1, vlen, out) != vlen)
        return -1;
    return putc('\n', out) == EOF ? -1 : 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: gen_declarations -n COUNT [-s SEED] [-m MALFORMED] [-d DEFECT_PER_MILLE=100]\n"
        "                        [-w WATCH_PER_MILLE=30] [-e EXPECT_FILE] [-j] [-x] -o FILE|-\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t count = 0, seed = 1, n_malformed = 0, defect_pm = 100, watch_pm = 30;
    const char *out_path = NULL, *expect_path = NULL;
    bool show_first = false, have_count = false, xml = false;
    FILE *out = NULL, *expect = NULL;
    struct counts cnt = {0};
    struct buf value = {0};
    uint64_t j = 0;
    int c, rc = 1;

    while ((c = getopt(argc, argv, "n:s:m:d:w:e:o:jxh")) != -1) {
        uint64_t *target = NULL, max = UINT64_MAX;
        switch (c) {
        case 'n':
            target = &count;
            max = 999999999; /* 9 index digits in logisticsNo */
            have_count = true;
            break;
        case 's':
            target = &seed;
            break;
        case 'm':
            target = &n_malformed;
            max = 999999999;
            break;
        case 'd':
            target = &defect_pm;
            max = 1000;
            break;
        case 'w':
            target = &watch_pm;
            max = 1000;
            break;
        case 'e':
            expect_path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'j':
            show_first = true;
            break;
        case 'x':
            xml = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (target && parse_u64(optarg, max, target) < 0) {
            fprintf(stderr, "gen_declarations: bad number for -%c: %s\n", c, optarg);
            return 2;
        }
    }
    if (!have_count || !out_path || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(out_path, "-") == 0) {
        if (show_first) {
            fprintf(stderr, "gen_declarations: -j prints to stdout; give -o a file\n");
            return 2;
        }
        out = stdout;
    } else if (!(out = fopen(out_path, "wb"))) {
        fprintf(stderr, "gen_declarations: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    if (expect_path && !(expect = fopen(expect_path, "w"))) {
        fprintf(stderr, "gen_declarations: %s: %s\n", expect_path, strerror(errno));
        goto done;
    }

    /*
     * Malformed record j goes right after declaration (j+1)*COUNT/(MALFORMED+1) has been
     * written: evenly spread, deterministic, and all at the start when COUNT is 0.
     */
    for (uint64_t i = 0; i <= count; i++) {
        while (j < n_malformed && (j + 1) * count / (n_malformed + 1) == i) {
            enum malformed kind = (enum malformed)(j % MAL_COUNT);
            char key[128];

            value.len = 0;
            buf_reserve(&value, 0);
            if (xml)
                make_malformed_xml(seed, j, kind, &value, key, sizeof(key));
            else
                make_malformed(seed, j, kind, &value, key, sizeof(key));
            if (write_record(out, key[0] ? key : NULL, value.p, value.len) < 0)
                goto write_error;
            if (expect)
                fprintf(expect, "%" PRIu64 "\t%s\tmalformed\t%s\t0\t0\n", cnt.records,
                        key[0] ? key : "-",
                        xml ? malformed_xml_names[kind] : malformed_names[kind]);
            cnt.records++;
            cnt.malformed++;
            cnt.by_malformed[kind]++;
            cnt.bytes += value.len;
            j++;
        }
        if (i == count)
            break;

        struct gen_decl d;
        make_declaration(seed, i, (unsigned)defect_pm, (unsigned)watch_pm, &d);
        value.len = 0;
        if (xml) {
            struct xml_opts xo;
            defect_xml_opts(&d, &xo);
            decl_to_xml(&d, &xo, &value);
        } else {
            struct json_opts jo;
            defect_opts(&d, &jo);
            decl_to_json(&d, &jo, &value);
        }
        if (write_record(out, d.logistics_no, value.p, value.len) < 0)
            goto write_error;
        if (expect)
            fprintf(expect, "%" PRIu64 "\t%s\t%s\t%s\t%d\t%d\n", cnt.records, d.logistics_no,
                    d.defect ? "defect" : "ok", defect_names[d.defect], d.watch ? 1 : 0, d.n_items);
        if (show_first && i == 0)
            printf("%s\n", value.p);
        cnt.records++;
        cnt.declarations++;
        cnt.defective += d.defect != DEF_NONE;
        cnt.by_defect[d.defect]++;
        cnt.watch += d.watch;
        cnt.bytes += value.len;
        if (value.len > cnt.max_bytes)
            cnt.max_bytes = value.len;
    }
    if (fflush(out) != 0 || ferror(out))
        goto write_error;
    if (expect && (fflush(expect) != 0 || ferror(expect)))
        goto write_error;

    fprintf(stderr,
            "gen_declarations: %" PRIu64 " records (seed %" PRIu64 "): %" PRIu64
            " declarations, %" PRIu64 " defective, %" PRIu64 " watchlist, %" PRIu64
            " malformed; %" PRIu64 " value bytes (avg %" PRIu64 ", largest declaration %" PRIu64
            ")\n",
            cnt.records, seed, cnt.declarations, cnt.defective, cnt.watch, cnt.malformed, cnt.bytes,
            cnt.records ? cnt.bytes / cnt.records : 0, cnt.max_bytes);
    if (cnt.defective) {
        fprintf(stderr, "gen_declarations: defects:");
        for (int k = 1; k < DEF_COUNT; k++)
            if (cnt.by_defect[k])
                fprintf(stderr, " %s=%" PRIu64, defect_names[k], cnt.by_defect[k]);
        fprintf(stderr, "\n");
    }
    if (cnt.malformed) {
        fprintf(stderr, "gen_declarations: malformed:");
        for (int k = 0; k < MAL_COUNT; k++)
            if (cnt.by_malformed[k])
                fprintf(stderr, " %s=%" PRIu64, xml ? malformed_xml_names[k] : malformed_names[k],
                        cnt.by_malformed[k]);
        fprintf(stderr, "\n");
    }
    rc = 0;
    goto done;

write_error:
    fprintf(stderr, "gen_declarations: write failed: %s\n", strerror(errno));
done:
    if (out && out != stdout && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "gen_declarations: %s: %s\n", out_path, strerror(errno));
        rc = 1;
    }
    if (expect && fclose(expect) != 0 && rc == 0)
        rc = 1;
    free(value.p);
    return rc;
}
