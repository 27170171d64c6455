#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Sources/ChoreoFuzz) with -sanitize=fuzzer,address and runs
# each for a bounded time: scripts/fuzz.sh [seconds-per-harness] [harness...]
# Harnesses: json, envelope, schema. Seeds: Tests/Fuzz/corpus/<harness>; new inputs found go
# to .build/fuzz/corpus/<harness>, crashes to .build/fuzz/crashes/<harness>.
# Linux only (libFuzzer ships with the Swift toolchain there).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(json envelope schema)
build=.build/fuzz

# The libraries, instrumented; the harness is linked by hand because libFuzzer supplies main().
# CHOREO_FUZZ_NO_BUILD=1 reuses the last build (to run harnesses in parallel).
if [ -z "${CHOREO_FUZZ_NO_BUILD:-}" ]; then
    swift build --build-path "$build" -Xswiftc -sanitize=fuzzer,address --target Contracts 2>&1 | grep -v "Cannot export" | tail -1
    objects=("$build"/debug/Logging.build/*.o "$build"/debug/Kafka.build/*.o "$build"/debug/Contracts.build/*.o)
    # Contracts propagates trace context through swift-distributed-tracing.
    for module in Tracing Instrumentation ServiceContextModule; do objects+=("$build"/debug/$module.build/*.o); done
    swiftc -sanitize=fuzzer,address -parse-as-library -DCHOREO_FUZZ \
        -I "$build/debug/Modules" -Xcc -fmodule-map-file=Sources/CRdKafka/module.modulemap \
        Sources/ChoreoFuzz/*.swift "${objects[@]}" -lrdkafka -o "$build/choreo-fuzz" 2>&1 | grep -v "Cannot export" || true
fi
test -x "$build/choreo-fuzz"

status=0
for harness in "${harnesses[@]}"; do
    mkdir -p "$build/corpus/$harness" "$build/crashes/$harness"
    echo "== $harness: ${seconds}s"
    if ! CHOREO_FUZZ_TARGET="$harness" "$build/choreo-fuzz" \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/crashes/$harness/" \
        "$build/corpus/$harness" "Tests/Fuzz/corpus/$harness" 2>&1 | grep -E "^#[0-9]+ +DONE|stat::|ERROR|SUMMARY|Test unit written|Done [0-9]"; then
        :
    fi
    if ls "$build/crashes/$harness"/* >/dev/null 2>&1; then
        echo "!! $harness: crashes in $build/crashes/$harness"
        status=1
    fi
done
exit $status
