#!/usr/bin/env bash
# Builds the engine's C++ tests (release and ASan+UBSan) and runs them all against test/fixtures/bitnet, then the
# aarch64 kernel, GGUF, forward-pass and engine tests under qemu-user (native/tests/run-arm-tests.sh).
# Usage: bash native/tests/run-tests.sh [test-name-filter]
set -euo pipefail
cd "$(dirname "$0")/../.."

make -f native/tests/Makefile -j"${TRIT_JOBS:-2}" >/dev/null

unpacked="$(mktemp -d)"
trap 'rm -rf "$unpacked"' EXIT
for gz in test/fixtures/bitnet/models/*.gguf.gz; do
  gzip -dc "$gz" > "$unpacked/$(basename "$gz" .gz)"
done
export TRIT_FIXTURES=test/fixtures/bitnet TRIT_UNPACKED="$unpacked"
# Leak checking needs ptrace, which some containers forbid; the tests free everything, but keep CI robust.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
for variant in rel san; do
  for t in test-kernels test-gguf test-forward test-engine; do
    echo "== $variant/$t"
    if ! "native/build/engine-tests/$variant/$t" "$@"; then status=1; fi
  done
done
# The aarch64 NEON tables: cross-compiled kernel, GGUF, forward-pass and engine tests under qemu-user (installs
# its tools when missing).
if ! bash native/tests/run-arm-tests.sh "$@"; then status=1; fi
exit $status
