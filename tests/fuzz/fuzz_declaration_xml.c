/*
 * fuzz_declaration_xml.c - libFuzzer target: one Kafka record value through the CEB603 XML
 * form of the declaration decoder (declaration_decode -> declaration_xml_decode: the safe
 * libxml2 parse, the CEB603Message structure, the shared field setter), then, when it
 * decodes, through the Mishan rules and every field accessor: fuzz_declaration's checks.
 *
 * Contract checked beyond fuzz_declaration's (a refusal has a reason; a declaration has a
 * usable key, at most 100 items, a known decision, faults rejected by CEB603-FORMAT alone,
 * fault values without control characters): an input that starts with '<' (after
 * whitespace) is never judged as JSON.
 * The seed corpus (corpus/declaration_xml/) holds generated CEB603 messages and hostile
 * ones (XXE, billion laughs, external DTDs, deep nesting, duplicates, bad encodings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declaration.h"
#include "declaration_xml.h"
#include "fuzz.h"

/* The checks of fuzz_declaration, without its entry point (the replay test includes both
 * files in one program and has it already). */
#ifndef FUZZ_REPLAY
#define FUZZ_REPLAY 1
#include "fuzz_declaration.c"
#undef FUZZ_REPLAY
#endif

int fuzz_declaration_xml(const uint8_t *data, size_t size)
{
    char err[512] = "";
    char *key = NULL;
    char *copy = malloc(size ? size : 1);
    struct declaration *d;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    if (declaration_xml_is_xml(copy, size)) {
        d = declaration_decode(copy, size, 0, &key, err, sizeof(err));
        /* XML refused in JSON's words (json_strict, json-c, decl_record_parse): the dispatch
         * went wrong. Only the start of the reason: libxml2's words may quote the input. */
        if (!d && (err[0] == '\0' || strncmp(err, "invalid JSON", 12) == 0 ||
                   strncmp(err, "duplicate key", 13) == 0 ||
                   strncmp(err, "not a declaration: the record is a JSON", 39) == 0))
            abort();
        declaration_free(d);
        free(key);
    }
    free(copy);
    /* and the whole contract of the declaration target, on the same bytes */
    return fuzz_declaration(data, size);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_declaration_xml(data, size);
}
#endif
