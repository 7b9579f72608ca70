#ifndef CLIBFUZZER_SHIM_H
#define CLIBFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer as a library (compiler-rt FuzzerInterface.h): parses the libFuzzer flags in argv and
   runs the fuzzing loop on `callback`. Provided by -sanitize=fuzzer at link time. Lets a SwiftPM
   executable keep its own (renamed) main instead of fighting libFuzzer's. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
