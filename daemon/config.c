/*
 * config.c - customsd configuration: the YAML file (config/customsd.yaml documents every
 * key) parsed with libyaml into struct config.
 *
 * The file is first turned into a small tree by the shared safe reader (yamlread.h),
 * refusing what a configuration never needs and what makes YAML surprising: anchors and
 * aliases (no expansion bombs), explicit tags, several documents, duplicate keys and
 * nesting deeper than a configuration needs. Scalars are taken exactly as written ("no"
 * stays the string "no", "007" stays "007"): the key decides the type, not YAML 1.1
 * resolution. The tree is then read against a table of keys (PgBouncer style): each key
 * has a dotted path, a kind, where it lands in struct config, its default and its range.
 * Every error names the position of the offending node as "file:line:column: what".
 *
 * No client library is linked in here: kafka.properties and postgresql.conninfo are kept
 * as text with their positions, and config_check asks the adapters' checks about them.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "yamlread.h"

#define CONFIG_MAX_BYTES (1024 * 1024) /* a configuration file is a few KiB */
#define YTREE_MAX_DEPTH  16            /* kafka.topics.x is depth 3; leave room, stop bombs */

/* ------------------------------------------------------------------------------------ */
/* Key table                                                                            */
/* ------------------------------------------------------------------------------------ */

enum config_kind {
    CK_STRING,     /* any text, may be empty */
    CK_NONEMPTY,   /* text, must not be empty */
    CK_UNSIGNED,   /* unsigned int within [min, max] */
    CK_SIZE,       /* size_t within [min, max] */
    CK_LOG_LEVEL,  /* error | warn | info | debug */
    CK_PATH,       /* non-empty; relative to the configuration file's directory */
    CK_PROPERTIES, /* mapping of librdkafka properties, text values (config_check) */
    CK_TOPIC,      /* a Kafka topic name: [A-Za-z0-9._-], 1..249 characters */
    CK_TOPIC_OPT,  /* a Kafka topic name, or empty: not consumed */
    CK_CONNINFO,   /* a libpq connection string or URI, may be empty (config_check) */
    CK_LISTEN,     /* "" (off) or HOST:PORT, an IPv6 HOST in brackets, PORT 1..65535 */
    CK_FORMAT,     /* json | xml */
};

struct config_key {
    const char *path; /* dotted position in the file */
    enum config_kind kind;
    size_t offset;   /* into struct config */
    const char *def; /* default as text, applied through the same code as file values */
    unsigned long long min, max;
};

#define CFG(field) offsetof(struct config, field)

static const struct config_key config_keys[] = {
    {"kafka.bootstrap_servers", CK_NONEMPTY, CFG(bootstrap_servers), "127.0.0.1:9092", 0, 0},
    {"kafka.group_id", CK_NONEMPTY, CFG(group_id), "customsd", 0, 0},
    {"kafka.topics.declarations", CK_TOPIC, CFG(topic_declarations), "customs.declarations", 0, 0},
    {"kafka.topics.scans", CK_TOPIC, CFG(topic_scans), "mishan.warehouse.scans", 0, 0},
    {"kafka.topics.events", CK_TOPIC, CFG(topic_events), "mishan.warehouse.events", 0, 0},
    {"kafka.topics.receipts", CK_TOPIC, CFG(topic_receipts), "customs.receipts", 0, 0},
    {"kafka.topics.orders", CK_TOPIC, CFG(topic_orders), "customs.orders", 0, 0},
    {"kafka.topics.waybills", CK_TOPIC, CFG(topic_waybills), "customs.waybills", 0, 0},
    {"kafka.topics.payments", CK_TOPIC_OPT, CFG(topic_payments), "", 0, 0},
    {"kafka.properties", CK_PROPERTIES, 0, NULL, 0, 0},
    {"postgresql.conninfo", CK_CONNINFO, CFG(pg_conninfo), "", 0, 0},
    {"postgresql.connect_timeout_s", CK_UNSIGNED, CFG(pg_connect_timeout_s), "5", 1, 3600},
    {"postgresql.statement_timeout_ms", CK_UNSIGNED, CFG(pg_statement_timeout_ms), "10000", 0,
     3600000},
    {"postgresql.lock_timeout_ms", CK_UNSIGNED, CFG(pg_lock_timeout_ms), "5000", 0, 3600000},
    {"rules.path", CK_PATH, CFG(rules_path), "/etc/customsd/rules.yaml", 0, 0},
    {"batch.max_messages", CK_UNSIGNED, CFG(batch_max_messages), "1000", 1, 100000},
    {"batch.max_wait_ms", CK_UNSIGNED, CFG(batch_max_wait_ms), "200", 1, 60000},
    {"batch.max_message_bytes", CK_SIZE, CFG(max_message_bytes), "1048576", 1024, 104857600},
    {"relay.batch", CK_UNSIGNED, CFG(relay_batch), "1000", 1, 100000},
    {"relay.retention_days", CK_UNSIGNED, CFG(relay_retention_days), "7", 0, 36500},
    {"log.level", CK_LOG_LEVEL, CFG(log_level), "info", 0, 0},
    {"metrics.listen", CK_LISTEN, CFG(metrics_listen), "", 0, 0},
    {"alerts.unknown_parcel_hours", CK_UNSIGNED, CFG(alerts_unknown_parcel_hours), "24", 0, 8760},
    {"receipts.format", CK_FORMAT, CFG(receipts_format), "json", 0, 0},
};

/*
 * Properties that have their own key: accepting them here too would let two places
 * disagree, and the passthrough would silently win.
 */
static const struct {
    const char *property, *key;
} config_owned_properties[] = {
    {"bootstrap.servers", "kafka.bootstrap_servers"},
    {"metadata.broker.list", "kafka.bootstrap_servers"},
    {"group.id", "kafka.group_id"},
};

/* Where an error points: the node, or the top of the file when the value is a default. */
struct config_pos {
    const char *file;
    size_t line, column;
};

static int config_error(const struct config_pos *pos, char *err, size_t errlen, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static int config_error(const struct config_pos *pos, char *err, size_t errlen, const char *fmt,
                        ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return util_errf(err, errlen, "%s:%zu:%zu: %s", pos->file, pos->line, pos->column, what);
}

/* Parse an unsigned decimal integer: digits only (no sign, no spaces, no 0x, no 1e3). */
static int config_parse_unsigned(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;

    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (~0ULL - 9) / 10)
            return -1;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *out = v;
    return 0;
}

static int config_set_string(char **slot, const char *value)
{
    char *copy = util_strdup(value);

    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

/* rules.path "rules.yaml" in "/etc/customsd/customsd.yaml" -> "/etc/customsd/rules.yaml". */
static char *config_resolve_path(const char *config_path, const char *value)
{
    const char *slash = config_path ? strrchr(config_path, '/') : NULL;
    char *out;

    if (value[0] == '/' || !slash)
        return util_strdup(value);
    if (asprintf(&out, "%.*s/%s", (int)(slash - config_path), config_path, value) < 0)
        return NULL;
    return out;
}

static int config_add_property(struct config *c, const char *name, const char *value,
                               struct config_position at)
{
    struct config_property *np =
        realloc(c->kafka_properties, (c->n_kafka_properties + 1) * sizeof(*np));

    if (!np)
        return -1;
    c->kafka_properties = np;
    np[c->n_kafka_properties].name = util_strdup(name);
    np[c->n_kafka_properties].value = util_strdup(value);
    np[c->n_kafka_properties].at = at;
    if (!np[c->n_kafka_properties].name || !np[c->n_kafka_properties].value) {
        free(np[c->n_kafka_properties].name);
        free(np[c->n_kafka_properties].value);
        return -1;
    }
    c->n_kafka_properties++;
    return 0;
}

static int config_apply_properties(struct config *c, const struct ynode *v, const char *file,
                                   char *err, size_t errlen)
{
    struct config_pos pos = {file, v->line, v->column};

    if (v->type == YNODE_SCALAR && v->plain && v->len == 0)
        return 0; /* "properties:" with nothing after it: none */
    if (v->type != YNODE_MAP)
        return config_error(&pos, err, errlen,
                            "kafka.properties: expected a mapping of librdkafka properties, "
                            "got %s",
                            yamlread_type_name(v));
    for (size_t i = 0; i < v->n; i += 2) {
        const struct ynode *k = v->kids[i], *val = v->kids[i + 1];
        struct config_pos kpos = {file, k->line, k->column};
        struct config_pos vpos = {file, val->line, val->column};

        if (k->len == 0)
            return config_error(&kpos, err, errlen, "kafka.properties: empty property name");
        for (size_t j = 0; j < ARRAY_SIZE(config_owned_properties); j++) {
            if (strcmp(k->value, config_owned_properties[j].property) == 0)
                return config_error(&kpos, err, errlen,
                                    "kafka.properties: '%s' is set with %s, not here", k->value,
                                    config_owned_properties[j].key);
        }
        if (val->type != YNODE_SCALAR)
            return config_error(&vpos, err, errlen,
                                "kafka.properties.%s: expected a string, got %s", k->value,
                                yamlread_type_name(val));
        /* librdkafka judges name and value in config_check, which points here. */
        if (config_add_property(c, k->value, val->value,
                                (struct config_position){val->line, val->column}) < 0)
            return util_errf(err, errlen, "%s: out of memory", file);
    }
    return 0;
}

/*
 * An HTTP listen address: "" (off) or HOST:PORT, HOST a name or an IPv4 address or an IPv6
 * address in brackets ("[::1]:9187"), PORT a decimal 1..65535. 0 or -1.
 */
static int config_check_listen(const char *text)
{
    unsigned long long port;
    const char *colon;

    if (!*text)
        return 0;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close == text + 1 || close[1] != ':')
            return -1;
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || colon == text || memchr(text, ':', (size_t)(colon - text)))
            return -1;
    }
    if (config_parse_unsigned(colon + 1, &port) < 0 || port < 1 || port > 65535)
        return -1;
    return 0;
}

/*
 * Apply one scalar value (from the file, or a default written as text) to the key.
 * pos is where to point an error.
 */
static int config_apply(struct config *c, const struct config_key *key, const char *text,
                        const struct config_pos *pos, char *err, size_t errlen)
{
    char *base = (char *)c;
    unsigned long long num;
    enum log_level level;

    switch (key->kind) {
    case CK_NONEMPTY:
        if (!*text)
            return config_error(pos, err, errlen, "%s: must not be empty", key->path);
        /* fall through */
    case CK_STRING:
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        return 0;
    case CK_PATH: {
        char *resolved;
        if (!*text)
            return config_error(pos, err, errlen, "%s: must not be empty", key->path);
        resolved = config_resolve_path(c->path, text);
        if (!resolved)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        free(*(char **)(base + key->offset));
        *(char **)(base + key->offset) = resolved;
        return 0;
    }
    case CK_UNSIGNED:
    case CK_SIZE:
        if (config_parse_unsigned(text, &num) < 0 || num < key->min || num > key->max)
            return config_error(pos, err, errlen,
                                "%s: expected an integer from %llu to %llu, got '%s'", key->path,
                                key->min, key->max, text);
        if (key->kind == CK_UNSIGNED)
            *(unsigned *)(base + key->offset) = (unsigned)num;
        else
            *(size_t *)(base + key->offset) = (size_t)num;
        return 0;
    case CK_LOG_LEVEL:
        if (log_level_parse(text, &level) < 0)
            return config_error(pos, err, errlen,
                                "%s: expected error, warn, info or debug, got '%s'", key->path,
                                text);
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        return 0;
    case CK_PROPERTIES:
        return 0; /* a mapping, handled by config_apply_properties */
    case CK_TOPIC:
    case CK_TOPIC_OPT:
        if ((!*text && key->kind == CK_TOPIC) || strlen(text) > 249 ||
            strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "abcdefghijklmnopqrstuvwxyz"
                         "0123456789._-") != strlen(text))
            return config_error(pos, err, errlen,
                                "%s: '%s' is not a Kafka topic name (1 to 249 of "
                                "A-Z a-z 0-9 . _ -%s)",
                                key->path, text,
                                key->kind == CK_TOPIC_OPT ? ", or empty: not consumed" : "");
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        return 0;
    case CK_LISTEN:
        if (config_check_listen(text) < 0)
            return config_error(pos, err, errlen,
                                "%s: expected HOST:PORT (an IPv6 address in brackets, PORT 1 "
                                "to 65535) or \"\" for none, got '%s'",
                                key->path, text);
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        return 0;
    case CK_FORMAT:
        if (strcmp(text, "json") != 0 && strcmp(text, "xml") != 0)
            return config_error(pos, err, errlen, "%s: expected json or xml, got '%s'", key->path,
                                text);
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        return 0;
    case CK_CONNINFO:
        /* libpq judges it in config_check, which points here. */
        if (config_set_string((char **)(base + key->offset), text) < 0)
            return util_errf(err, errlen, "%s: out of memory", pos->file);
        c->pg_conninfo_at = (struct config_position){pos->line, pos->column};
        return 0;
    }
    return -1;
}

static const struct config_key *config_key_find(const char *path)
{
    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    }
    return NULL;
}

/* True when `path` is a section: some key lives below it ("kafka", "kafka.topics"). */
static bool config_is_section(const char *path)
{
    size_t len = strlen(path);

    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
        if (strncmp(config_keys[i].path, path, len) == 0 && config_keys[i].path[len] == '.')
            return true;
    }
    return false;
}

/* The names allowed directly under `prefix` ("" = top level), for "unknown key" errors. */
static void config_known_keys(const char *prefix, char *buf, size_t buflen)
{
    size_t plen = strlen(prefix), used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
        const char *p = config_keys[i].path, *name, *end;
        bool seen = false;

        if (plen && (strncmp(p, prefix, plen) != 0 || p[plen] != '.'))
            continue;
        name = plen ? p + plen + 1 : p;
        end = strchr(name, '.');
        if (!end)
            end = name + strlen(name);
        /* Skip names already listed (kafka.topics.* share "topics"). */
        for (size_t j = 0; j < i && !seen; j++) {
            const char *q = config_keys[j].path;
            if (plen && (strncmp(q, prefix, plen) != 0 || q[plen] != '.'))
                continue;
            q = plen ? q + plen + 1 : q;
            if (strncmp(q, name, (size_t)(end - name)) == 0 &&
                (q[end - name] == '.' || q[end - name] == '\0'))
                seen = true;
        }
        if (seen)
            continue;
        if (used + (size_t)(end - name) + 3 < buflen) {
            used += (size_t)snprintf(buf + used, buflen - used, "%s%.*s", used ? ", " : "",
                                     (int)(end - name), name);
        }
    }
}

static int config_walk(struct config *c, const struct ynode *map, const char *prefix,
                       const char *file, char *err, size_t errlen)
{
    for (size_t i = 0; i < map->n; i += 2) {
        const struct ynode *k = map->kids[i], *v = map->kids[i + 1];
        struct config_pos kpos = {file, k->line, k->column};
        struct config_pos vpos = {file, v->line, v->column};
        const struct config_key *key = NULL;
        char path[256], known[256];

        /* A dotted key would alias a nested one ("kafka.group_id:" at the top level). */
        if (!strchr(k->value, '.') && k->len > 0 &&
            (size_t)snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k->value) <
                sizeof(path)) {
            key = config_key_find(path);
            if (!key && config_is_section(path)) {
                if (v->type == YNODE_SCALAR && v->plain && v->len == 0)
                    continue; /* "kafka:" with nothing under it: all defaults */
                if (v->type != YNODE_MAP)
                    return config_error(&vpos, err, errlen, "%s: expected a mapping, got %s", path,
                                        yamlread_type_name(v));
                if (config_walk(c, v, path, file, err, errlen) < 0)
                    return -1;
                continue;
            }
        }
        if (!key) {
            config_known_keys(prefix, known, sizeof(known));
            if (*prefix)
                return config_error(&kpos, err, errlen, "unknown key '%s' in %s (known: %s)",
                                    k->value, prefix, known);
            return config_error(&kpos, err, errlen, "unknown key '%s' (known: %s)", k->value,
                                known);
        }
        if (key->kind == CK_PROPERTIES) {
            if (config_apply_properties(c, v, file, err, errlen) < 0)
                return -1;
            continue;
        }
        if (v->type != YNODE_SCALAR)
            return config_error(&vpos, err, errlen, "%s: expected a scalar, got %s", path,
                                yamlread_type_name(v));
        if (config_apply(c, key, v->value, &vpos, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Public                                                                               */
/* ------------------------------------------------------------------------------------ */

struct config *config_defaults(void)
{
    struct config *c = calloc(1, sizeof(*c));
    struct config_pos pos = {"(defaults)", 0, 0};
    char err[256];

    if (!c)
        return NULL;
    c->path = util_strdup("(defaults)");
    if (!c->path)
        goto fail;
    for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
        if (config_keys[i].def &&
            config_apply(c, &config_keys[i], config_keys[i].def, &pos, err, sizeof(err)) < 0)
            goto fail;
    }
    return c;
fail:
    config_free(c);
    return NULL;
}

/*
 * The topics must differ: reading our own events as declarations, or publishing
 * receipts into the warehouse's topic, would be a silent disaster.
 */
static int config_check_topics(const struct config *c, const struct ynode *root, char *err,
                               size_t errlen)
{
    const struct {
        const char *key, *value;
    } t[] = {{"declarations", c->topic_declarations},
             {"scans", c->topic_scans},
             {"events", c->topic_events},
             {"receipts", c->topic_receipts},
             {"orders", c->topic_orders},
             {"waybills", c->topic_waybills},
             {"payments", c->topic_payments}};

    for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
        for (size_t j = 0; j < i; j++) {
            if (!*t[i].value || strcmp(t[i].value, t[j].value) != 0)
                continue;
            /* Point at the later of the two in the file (or the top when both defaulted). */
            struct config_pos pos = {c->path, 1, 1};
            const struct ynode *kafka =
                root && root->type == YNODE_MAP ? yamlread_get(root, "kafka") : NULL;
            const struct ynode *topics =
                kafka && kafka->type == YNODE_MAP ? yamlread_get(kafka, "topics") : NULL;
            const struct ynode *v =
                topics && topics->type == YNODE_MAP ? yamlread_get(topics, t[i].key) : NULL;
            if (!v && topics && topics->type == YNODE_MAP)
                v = yamlread_get(topics, t[j].key);
            if (v) {
                pos.line = v->line;
                pos.column = v->column;
            }
            return config_error(&pos, err, errlen,
                                "kafka.topics.%s and kafka.topics.%s are the same topic '%s'",
                                t[j].key, t[i].key, t[i].value);
        }
    }
    return 0;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
    struct config *c = NULL;
    struct ynode *root = NULL;
    char *text;
    size_t len = 0;

    *out = NULL;
    text = read_file(path, &len);
    if (!text)
        return util_errf(err, errlen, "%s: %s", path, strerror(errno));
    if (len > CONFIG_MAX_BYTES) {
        free(text);
        return util_errf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
    }
    if (yamlread_parse(path, text, len, YTREE_MAX_DEPTH, &root, err, errlen) < 0)
        goto fail;
    c = config_defaults();
    if (!c) {
        util_errf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    free(c->path);
    c->path = util_strdup(path);
    if (!c->path) {
        util_errf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    /* The default rules path is absolute; resolving is only for what the file says. */
    if (root && !(root->type == YNODE_SCALAR && root->plain && root->len == 0)) {
        if (root->type != YNODE_MAP) {
            util_errf(err, errlen,
                      "%s:%zu:%zu: expected a mapping of sections (kafka, postgresql, "
                      "rules, batch, relay, log, metrics, alerts, receipts), got %s",
                      path, root->line, root->column, yamlread_type_name(root));
            goto fail;
        }
        if (config_walk(c, root, "", path, err, errlen) < 0)
            goto fail;
    }
    if (config_check_topics(c, root, err, errlen) < 0)
        goto fail;
    yamlread_free(root);
    free(text);
    *out = c;
    return 0;
fail:
    config_free(c);
    yamlread_free(root);
    free(text);
    return -1;
}

/* True when a is written before b in the file (defaults, at 0:0, come first). */
static bool config_before(struct config_position a, struct config_position b)
{
    return a.line < b.line || (a.line == b.line && a.column < b.column);
}

static int config_check_conninfo(const struct config *c, const struct config_checks *checks,
                                 char *err, size_t errlen)
{
    struct config_pos pos = {c->path, c->pg_conninfo_at.line, c->pg_conninfo_at.column};
    char why[512];

    if (!checks->conninfo || checks->conninfo(c->pg_conninfo, why, sizeof(why)) == 0)
        return 0;
    return config_error(&pos, err, errlen, "postgresql.conninfo: %s", why);
}

int config_check(const struct config *c, const struct config_checks *checks, char *err,
                 size_t errlen)
{
    bool conninfo_checked = false;
    char why[512];

    /* In file order, so the error reported is the first one in the file. */
    for (size_t i = 0; i <= c->n_kafka_properties; i++) {
        const struct config_property *p =
            i < c->n_kafka_properties ? &c->kafka_properties[i] : NULL;

        if (!conninfo_checked && (!p || config_before(c->pg_conninfo_at, p->at))) {
            conninfo_checked = true;
            if (config_check_conninfo(c, checks, err, errlen) < 0)
                return -1;
        }
        if (p && checks->kafka_property &&
            checks->kafka_property(p->name, p->value, why, sizeof(why)) < 0) {
            struct config_pos pos = {c->path, p->at.line, p->at.column};
            return config_error(&pos, err, errlen, "kafka.properties.%s: %s", p->name, why);
        }
    }
    if (checks->kafka_properties) {
        size_t blame = c->n_kafka_properties;

        if (checks->kafka_properties(c, &blame, why, sizeof(why)) == 0)
            return 0;
        if (blame >= c->n_kafka_properties)
            return util_errf(err, errlen, "%s: kafka.properties: %s", c->path, why);
        const struct config_property *p = &c->kafka_properties[blame];
        struct config_pos pos = {c->path, p->at.line, p->at.column};
        return config_error(&pos, err, errlen, "kafka.properties.%s: %s", p->name, why);
    }
    return 0;
}

void config_free(struct config *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->bootstrap_servers);
    free(c->group_id);
    free(c->topic_declarations);
    free(c->topic_scans);
    free(c->topic_events);
    free(c->topic_receipts);
    free(c->topic_orders);
    free(c->topic_waybills);
    free(c->topic_payments);
    for (size_t i = 0; i < c->n_kafka_properties; i++) {
        free(c->kafka_properties[i].name);
        free(c->kafka_properties[i].value);
    }
    free(c->kafka_properties);
    free(c->pg_conninfo);
    free(c->rules_path);
    free(c->log_level);
    free(c->metrics_listen);
    free(c->receipts_format);
    free(c);
}
