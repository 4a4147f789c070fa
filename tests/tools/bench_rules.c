/*
 * bench_rules.c - rules-only benchmark: how many declarations per second one core decides
 * with a rule set, on generated declarations.
 *
 *   bench_rules -r RULES -f FRAMES [-s SECONDS] [-p]
 *
 * FRAMES is gen_declarations output (framed Kafka records). Every record is decoded once
 * up front (decoding is not what this measures; malformed ones are skipped), then the
 * declarations are evaluated round after round, in one thread, until at least SECONDS
 * (default 3) have passed. Printed: declarations per second, rule evaluations per second
 * (declarations x rules in the set; a rule skipped by its dates or `when` counts, it was
 * looked at), nanoseconds per declaration, and the decisions of one round by status and
 * by matched rule (-p), so the figures can be read against what the rules decided.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "declaration.h"
#include "rules.h"
#include "status.h"
#include "util.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse framed records: "<key_len> <value_len>\n" key value "\n". */
static int load_frames(const char *path, struct declaration ***out, size_t *n_out)
{
    size_t len = 0, pos = 0, n = 0, cap = 0;
    char *buf = read_file(path, &len), err[256];
    struct declaration **decls = NULL;

    if (!buf) {
        fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (pos < len) {
        long klen, vlen;
        char *end;

        klen = strtol(buf + pos, &end, 10);
        vlen = strtol(end, &end, 10);
        if (*end != '\n' || vlen < 0) {
            fprintf(stderr, "bench_rules: %s: bad frame at byte %zu\n", path, pos);
            free(buf);
            return -1;
        }
        pos = (size_t)(end - buf) + 1 + (size_t)(klen > 0 ? klen : 0);
        if (pos + (size_t)vlen > len)
            break;
        struct declaration *d =
            declaration_decode(buf + pos, (size_t)vlen, 0, NULL, err, sizeof(err));
        pos += (size_t)vlen + 1;
        if (!d)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct declaration **nd = realloc(decls, cap * sizeof(*nd));
            if (!nd) {
                fprintf(stderr, "bench_rules: out of memory\n");
                exit(1);
            }
            decls = nd;
        }
        decls[n++] = d;
    }
    free(buf);
    *out = decls;
    *n_out = n;
    return 0;
}

int main(int argc, char **argv)
{
    const char *rules_path = NULL, *frames = NULL;
    double seconds = 3, t0, elapsed;
    struct rules *r = NULL;
    struct declaration **decls = NULL;
    size_t n = 0, rounds = 0, by_status[1000] = {0};
    size_t *by_rule;
    int opt, per_rule = 0;
    char err[1024];

    while ((opt = getopt(argc, argv, "r:f:s:p")) != -1) {
        switch (opt) {
        case 'r':
            rules_path = optarg;
            break;
        case 'f':
            frames = optarg;
            break;
        case 's':
            seconds = atof(optarg);
            break;
        case 'p':
            per_rule = 1;
            break;
        default:
            fprintf(stderr, "usage: bench_rules -r RULES -f FRAMES [-s SECONDS] [-p]\n");
            return 2;
        }
    }
    if (!rules_path || !frames) {
        fprintf(stderr, "usage: bench_rules -r RULES -f FRAMES [-s SECONDS] [-p]\n");
        return 2;
    }
    if (rules_load(rules_path, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (load_frames(frames, &decls, &n) < 0 || n == 0) {
        fprintf(stderr, "bench_rules: no declarations in %s\n", frames);
        return 1;
    }
    by_rule = calloc(rules_count(r), sizeof(*by_rule));
    if (!by_rule)
        return 1;

    /* One round, counted (not timed): what the rules decide on this input. */
    for (size_t i = 0; i < n; i++) {
        struct decision dec = {0};
        if (rules_evaluate(r, decls[i], &dec) < 0)
            return 1;
        by_status[dec.status_code % 1000]++;
        for (size_t k = 0; k < dec.n_reasons; k++) {
            for (size_t j = 0; j < rules_count(r); j++) {
                if (strcmp(rules_rule_id(r, j), dec.reasons[k].rule_id) == 0)
                    by_rule[j]++;
            }
        }
        decision_clear(&dec);
    }

    /* Timed: whole rounds over the same declarations until `seconds` have passed. */
    t0 = now_s();
    do {
        for (size_t i = 0; i < n; i++) {
            struct decision dec = {0};
            if (rules_evaluate(r, decls[i], &dec) < 0)
                return 1;
            decision_clear(&dec);
        }
        rounds++;
        elapsed = now_s() - t0;
    } while (elapsed < seconds);

    double decl_s = (double)(n * rounds) / elapsed;
    printf("rule set:      %s (%zu rules, version %.12s)\n", rules_path, rules_count(r),
           rules_version(r));
    printf("declarations:  %zu distinct, %zu evaluations in %.2f s, one thread\n", n, n * rounds,
           elapsed);
    printf("throughput:    %.0f declarations/s, %.0f rule evaluations/s, %.0f ns/declaration\n",
           decl_s, decl_s * (double)rules_count(r), 1e9 / decl_s);
    printf("decisions:    ");
    for (int s = 0; s < 1000; s++) {
        if (by_status[s])
            printf(" %d %s %zu (%.1f%%)", s, status_name(s), by_status[s],
                   100.0 * (double)by_status[s] / (double)n);
    }
    printf("\n");
    if (per_rule) {
        for (size_t j = 0; j < rules_count(r); j++) {
            if (by_rule[j])
                printf("  %-24s %-7s %7zu (%.1f%%)\n", rules_rule_id(r, j),
                       rule_action_name(rules_rule_action(r, j)), by_rule[j],
                       100.0 * (double)by_rule[j] / (double)n);
        }
    }
    for (size_t i = 0; i < n; i++)
        declaration_free(decls[i]);
    free(decls);
    free(by_rule);
    rules_free(r);
    return 0;
}
