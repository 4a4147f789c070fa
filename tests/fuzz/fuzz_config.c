/*
 * fuzz_config.c - libFuzzer target: a customsd.yaml through the configuration loader
 * (config_load: libyaml, sections, key table, numbers and ranges, kafka.properties
 * passthrough), then config_check with the adapters' checks as `customsd -t` runs it
 * (librdkafka properties, the libpq connection string). config_load reads a path, so each
 * input is written to an in-memory file (memfd) and loaded as /proc/self/fd/N: no disk I/O
 * per input.
 *
 * Contract checked beyond "no crash, no sanitizer report": a refused file always has an
 * error message; a loaded one has every key set (defaults fill the gaps) within its
 * documented range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "kafka.h"
#include "store.h"

int fuzz_config(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    char err[1024] = "";
    struct config *c = NULL;

    if (fd < 0) {
        fd = memfd_create("fuzz_config", MFD_CLOEXEC);
        if (fd < 0) {
            perror("fuzz_config: memfd_create");
            abort();
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
        perror("fuzz_config: writing the input");
        abort();
    }
    if (config_load(path, &c, err, sizeof(err)) < 0) {
        if (err[0] == '\0' || c)
            abort();
        return 0;
    }
    if (!c || !c->bootstrap_servers || !c->group_id || !c->topic_declarations || !c->topic_scans ||
        !c->topic_events || !c->topic_receipts || !c->pg_conninfo || !c->rules_path ||
        !c->log_level)
        abort();
    if (c->batch_max_messages < 1 || c->batch_max_messages > 100000 || c->batch_max_wait_ms < 1 ||
        c->batch_max_wait_ms > 60000 || c->max_message_bytes < 1024 ||
        c->max_message_bytes > 104857600 || c->relay_batch < 1)
        abort();
    for (size_t i = 0; i < c->n_kafka_properties; i++) {
        if (!c->kafka_properties[i].name || !c->kafka_properties[i].value)
            abort();
    }
    /* Not kafka_check_properties: it opens the files an input names and starts librdkafka. */
    static const struct config_checks adapter_checks = {kafka_check_property, store_check_conninfo,
                                                        NULL};
    err[0] = '\0';
    if (config_check(c, &adapter_checks, err, sizeof(err)) < 0 && err[0] == '\0')
        abort();
    config_free(c);
    return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_config(data, size);
}
#endif
