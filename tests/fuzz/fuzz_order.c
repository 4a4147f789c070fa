/*
 * fuzz_order.c - libFuzzer target: one record of the orders topic through document_decode
 * (DOC_ORDER); the contract is fuzz_document.h's.
 */
#include "fuzz.h"
#include "fuzz_document.h"

int fuzz_order(const uint8_t *data, size_t size)
{
    return fuzz_document(DOC_ORDER, data, size);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_order(data, size);
}
#endif
