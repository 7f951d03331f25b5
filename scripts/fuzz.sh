#!/usr/bin/env bash
# make fuzz: builds the fuzz targets (Tests/Fuzz, docs/testing.md) with AddressSanitizer and
# libFuzzer's coverage, then runs each for SECONDS from its committed corpus and dictionary.
# New inputs go to .build-fuzz/corpus/TARGET (kept between runs), crashes to
# .build-fuzz/crashes/TARGET; the figures of each run to .build-fuzz/results.txt.
#
#   scripts/fuzz.sh SECONDS TARGET...
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
seconds=${1:?usage: fuzz.sh SECONDS TARGET...}
shift
cd "$here"

# libFuzzer's driver without its main: SwiftPM gives executables their own main, which calls
# LLVMFuzzerRunDriver (Tests/Fuzz/FuzzSupport).
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")
fuzzer=$(find "$toolchain/lib/clang" -name "libclang_rt.fuzzer_no_main-$(uname -m).a" | head -n 1)
[ -n "$fuzzer" ] || { echo "fuzz.sh: no libclang_rt.fuzzer_no_main in $toolchain/lib/clang" >&2; exit 2; }

export SWIFT_BACKTRACE=enable=no   # libFuzzer and ASan report crashes themselves
flags=(-c release --scratch-path .build-fuzz --sanitize=address
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
    -Xlinker --whole-archive -Xlinker "$fuzzer" -Xlinker --no-whole-archive -Xlinker -lstdc++)
for target in "$@"; do
    echo "building $target…"
    swift build "${flags[@]}" --product "$target" 2>&1 | grep -E "error|warning: " || true
done
bin=$(swift build "${flags[@]}" --show-bin-path)

: >.build-fuzz/results.txt
status=0
for target in "$@"; do
    name=${target#fuzz-}
    mkdir -p ".build-fuzz/corpus/$target" ".build-fuzz/crashes/$target"
    echo "fuzzing $target for ${seconds}s…"
    log=".build-fuzz/$target.log"
    if "$bin/$target" ".build-fuzz/corpus/$target" "Tests/Fuzz/corpus/$target" -dict="Tests/Fuzz/dictionaries/$name.dict" \
        -max_total_time="$seconds" -max_len=9000 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=".build-fuzz/crashes/$target/" >"$log" 2>&1; then
        result="clean"
    else
        result="FAILED (see $log and .build-fuzz/crashes/$target/)"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    coverage=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    line="$target: $result, ${runs:-0} runs in ${seconds}s, ${speed:-0} exec/s, ${coverage:-cov: ?}"
    echo "  $line"
    echo "$line" >>.build-fuzz/results.txt
done
exit $status
