/*
 * fuzz_waybill.c - libFuzzer target: one record of the waybills topic through document_decode
 * (DOC_WAYBILL); the contract is fuzz_document.h's.
 */
#include "fuzz.h"
#include "fuzz_document.h"

int fuzz_waybill(const uint8_t *data, size_t size)
{
    return fuzz_document(DOC_WAYBILL, data, size);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_waybill(data, size);
}
#endif
