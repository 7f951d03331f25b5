// libFuzzer's driver, called from a fuzz target's main (SwiftPM gives executables a main of
// their own, so libFuzzer's main is not used: see the Makefile's fuzz rule).
#ifndef C_FUZZER_H
#define C_FUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer with the program's arguments over `test_one_input`; its exit status.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
