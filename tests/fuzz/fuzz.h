/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share (see tests/fuzz/README.md).
 *
 * Each target file defines `int fuzz_NAME(const uint8_t *data, size_t size)` (one input,
 * returns 0) and, unless FUZZ_REPLAY is defined, the libFuzzer entry point calling it. The
 * replay test (tests/unit/test_fuzz_replay.c) defines FUZZ_REPLAY and includes all the
 * target files, so that the seed corpora and the regression cases run in `make check`
 * (and under ASan/UBSan in `make asan`) without libFuzzer.
 */
#ifndef CUSTOMSD_FUZZ_H
#define CUSTOMSD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int fuzz_declaration(const uint8_t *data, size_t size);
int fuzz_declaration_xml(const uint8_t *data, size_t size);
int fuzz_rules(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_scan(const uint8_t *data, size_t size);
int fuzz_order(const uint8_t *data, size_t size);
int fuzz_waybill(const uint8_t *data, size_t size);
int fuzz_payment(const uint8_t *data, size_t size);

/*
 * A path under the source tree: CUSTOMSD_SRCDIR/rel when that variable is set, else rel
 * (the targets and the replay test run from the top of the checkout). Static buffer.
 */
static inline const char *fuzz_src_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("CUSTOMSD_SRCDIR");

    if (dir && *dir)
        snprintf(buf, sizeof(buf), "%s/%s", dir, rel);
    else
        snprintf(buf, sizeof(buf), "%s", rel);
    return buf;
}

#endif
