/*
 * fuzz_rules.c - libFuzzer target: a rules file (YAML, libyaml) through the rules loader
 * (rules_load_buffer: structure, keys, field names, regular expressions, decimals, the
 * list and rates files it references, resolved in config/), and when
 * it loads, its evaluation on the example CEB603 declaration (tests/data/decl/example.json),
 * as customsd does on SIGHUP and then with every record.
 *
 * Contract checked beyond "no crash, no sanitizer report": a refused file always has an
 * error message; a loaded one has at least one rule and a 64-character version, and its
 * decision on the example has a known status code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declaration.h"
#include "fuzz.h"
#include "rules.h"
#include "status.h"
#include "util.h"

/* The example declaration, decoded once (NULL if the file is not found: loading only). */
static const struct declaration *rules_example(void)
{
    static struct declaration *d;
    static int tried;
    char err[512];
    size_t len = 0;

    if (!tried) {
        tried = 1;
        char *text = read_file(fuzz_src_path("tests/data/decl/example.json"), &len);
        if (text)
            d = declaration_decode(text, len, 0, NULL, err, sizeof(err));
        if (!d)
            fprintf(stderr, "fuzz_rules: example declaration not available; loading only\n");
        free(text);
    }
    return d;
}

int fuzz_rules(const uint8_t *data, size_t size)
{
    char err[1024] = "";
    struct rules *r = NULL;
    char *copy = malloc(size ? size : 1); /* exact size: no NUL terminator to lean on */

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    /* Named as the shipped rules file, so that relative references (rates.yaml, lists/...)
     * resolve to config/ and the seed rules load with their list files. */
    if (rules_load_buffer(fuzz_src_path("config/rules.yaml"), copy, size, &r, err, sizeof(err)) <
        0) {
        if (err[0] == '\0' || r)
            abort();
    } else {
        if (!r || rules_count(r) == 0 || strlen(rules_version(r)) != 64 || !rules_text(r))
            abort();
        const struct declaration *d = rules_example();
        struct decision dec = {0};
        if (d && rules_evaluate(r, d, &dec) == 0) {
            if (dec.status_code != STATUS_REJECTED && dec.status_code != STATUS_REVIEW &&
                dec.status_code != STATUS_ACCEPTED && dec.status_code != STATUS_INSPECTION)
                abort();
        }
        decision_clear(&dec);
    }
    rules_free(r);
    free(copy);
    return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_rules(data, size);
}
#endif
