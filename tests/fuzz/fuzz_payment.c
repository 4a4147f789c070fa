/*
 * fuzz_payment.c - libFuzzer target: one record of the payments topic through document_decode
 * (DOC_PAYMENT); the contract is fuzz_document.h's.
 */
#include "fuzz.h"
#include "fuzz_document.h"

int fuzz_payment(const uint8_t *data, size_t size)
{
    return fuzz_document(DOC_PAYMENT, data, size);
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_payment(data, size);
}
#endif
