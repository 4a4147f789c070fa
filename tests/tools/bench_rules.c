/*
 * bench_rules.c - rules-only benchmark: how many declarations per second one core decides
 * with a rule set, on generated declarations.
 *
 *   bench_rules -r RULES -f FRAMES [-s SECONDS] [-p] [-o DECISIONS]
 *
 * FRAMES is gen_declarations output (framed Kafka records). Every record is decoded once
 * up front (decoding is not what this measures; malformed ones are skipped), then the
 * declarations are evaluated round after round, in one thread, until at least SECONDS
 * (default 3) have passed. Printed: declarations per second, rule evaluations per second
 * (declarations x rules in the set; a rule skipped by its dates or `when` counts, it was
 * looked at), nanoseconds per declaration, and the decisions of one round by status and
 * by matched rule (-p), so the figures can be read against what the rules decided.
 * Decoding alone is timed too: the whole file decoded again and again (one thread) for
 * about SECONDS / 3, printed as "decode:" declarations per second.
 * -o DECISIONS writes one line per declaration of the counted round: logisticsNo, TAB, the
 * status code the rules give, TAB, the matched rule ids joined by ',' (- when none), so that
 * a run's database can be checked against what its rules decide.
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

/* Decode framed records ("<key_len> <value_len>\n" key value "\n") from buf. With out,
 * the declarations are kept (*out, *n_out); without, each is freed at once and only counted
 * (*n_out). Malformed records are skipped. Returns 0, or -1 on a bad frame. */
static int decode_frames(const char *path, const char *buf, size_t len, struct declaration ***out,
                         size_t *n_out)
{
    size_t pos = 0, n = 0, cap = 0;
    char err[256];
    struct declaration **decls = NULL;

    while (pos < len) {
        long klen, vlen;
        char *end;

        klen = strtol(buf + pos, &end, 10);
        vlen = strtol(end, &end, 10);
        if (*end != '\n' || vlen < 0) {
            fprintf(stderr, "bench_rules: %s: bad frame at byte %zu\n", path, pos);
            free(decls);
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
        if (!out) {
            declaration_free(d);
            n++;
            continue;
        }
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
    if (out)
        *out = decls;
    *n_out = n;
    return 0;
}

/* Write "logisticsNo TAB status TAB rule ids" for each declaration; 0 or -1. */
static int write_decisions(const char *path, struct rules *r, struct declaration **decls, size_t n)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct decision dec = {0};
        if (rules_evaluate(r, decls[i], &dec) < 0) {
            fclose(f);
            return -1;
        }
        fprintf(f, "%s\t%d\t", decls[i]->logisticsNo, dec.status_code);
        for (size_t k = 0; k < dec.n_reasons; k++)
            fprintf(f, "%s%s", k ? "," : "", dec.reasons[k].rule_id);
        fputs(dec.n_reasons ? "\n" : "-\n", f);
        decision_clear(&dec);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *rules_path = NULL, *frames = NULL, *decisions = NULL;
    double seconds = 3, t0, elapsed, d_elapsed;
    char *buf;
    struct rules *r = NULL;
    struct declaration **decls = NULL;
    size_t n = 0, rounds = 0, by_status[1000] = {0}, len = 0, decoded = 0, d_rounds = 0;
    size_t *by_rule;
    int opt, per_rule = 0;
    char err[1024];

    while ((opt = getopt(argc, argv, "r:f:s:po:")) != -1) {
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
        case 'o':
            decisions = optarg;
            break;
        default:
            fprintf(stderr,
                    "usage: bench_rules -r RULES -f FRAMES [-s SECONDS] [-p] [-o DECISIONS]\n");
            return 2;
        }
    }
    if (!rules_path || !frames) {
        fprintf(stderr, "usage: bench_rules -r RULES -f FRAMES [-s SECONDS] [-p] [-o DECISIONS]\n");
        return 2;
    }
    if (rules_load(rules_path, &r, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!(buf = read_file(frames, &len))) {
        fprintf(stderr, "bench_rules: %s: %s\n", frames, strerror(errno));
        return 1;
    }
    if (decode_frames(frames, buf, len, &decls, &n) < 0 || n == 0) {
        fprintf(stderr, "bench_rules: no declarations in %s\n", frames);
        return 1;
    }
    /* Timed: decoding alone, the whole file again and again for about a third of the time. */
    t0 = now_s();
    do {
        size_t got = 0;
        if (decode_frames(frames, buf, len, NULL, &got) < 0)
            return 1;
        decoded += got;
        d_rounds++;
        d_elapsed = now_s() - t0;
    } while (d_elapsed < seconds / 3);
    free(buf);
    if (decisions && write_decisions(decisions, r, decls, n) < 0)
        return 1;
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
    printf("decode:        %.0f declarations/s (%zu decoded in %zu rounds, %.2f s, one thread)\n",
           (double)decoded / d_elapsed, decoded, d_rounds, d_elapsed);
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
