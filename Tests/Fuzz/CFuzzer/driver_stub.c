#include "CFuzzer.h"

#include <stdio.h>

// A plain `swift build` links the fuzz targets too; without libFuzzer they say so. `make fuzz`
// links libFuzzer's driver whole, whose definition replaces this weak one.
__attribute__((weak)) int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *, size_t)) {
    (void)argc;
    (void)argv;
    (void)test_one_input;
    fputs("this fuzz target was built without libFuzzer: run make fuzz\n", stderr);
    return 2;
}
