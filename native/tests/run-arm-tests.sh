#!/usr/bin/env bash
# The kernel tests for aarch64 (the NEON tables Apple M-series and Android users run), cross-compiled with
# Debian's gcc-aarch64-linux-gnu and run under qemu-user: correctness against ref only (emulated speed means
# nothing). The tests run twice: on an emulated CPU with the dot-product extension (neondot, neon and ref tables)
# and on one without it (neon and ref), which also checks run-time detection. Then the GGUF, forward-pass and
# engine tests, once, on the CPU with the dot-product extension: the whole engine on aarch64 (every table it
# has) against the fixtures' reference logits and greedy outputs, as native/tests/run-tests.sh checks it on x86.
# (x86 runs the emulated code with its own stronger memory ordering, so this does not test the thread pool's
# atomics the way an Arm CPU would.)
# Installs g++-aarch64-linux-gnu and qemu-user with apt when they are missing; skips with a message when that
# is not possible (no root, no apt, offline).
# Usage: bash native/tests/run-arm-tests.sh [test-name-filter]
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(uname -m)" = "aarch64" ]; then
  echo "run-arm-tests: this is an aarch64 machine; native/tests/run-tests.sh tests the NEON tables natively"
  exit 0
fi
source scripts/arm-tools.sh
if ! arm_tools; then
  echo "run-arm-tests: SKIPPED: g++-aarch64-linux-gnu and qemu-user are not installed and could not be installed"
  exit 0
fi

out=native/build/engine-tests-aarch64
make -f native/tests/Makefile -j"${TRIT_JOBS:-2}" CXX=aarch64-linux-gnu-g++ ARCH=aarch64 OUT="$out" \
  "$out/rel/test-kernels" "$out/rel/test-gguf" "$out/rel/test-forward" "$out/rel/test-engine" >/dev/null
status=0
for cpu in max cortex-a57; do
  echo "== aarch64 ($cpu, qemu)/test-kernels"
  if ! qemu-aarch64 -cpu "$cpu" -L /usr/aarch64-linux-gnu "$out/rel/test-kernels" "$@"; then status=1; fi
done
# The fixture models, unpacked (run-tests.sh has done it when it calls this script).
if [ -z "${TRIT_UNPACKED:-}" ]; then
  TRIT_UNPACKED="$(mktemp -d)"
  trap 'rm -rf "$TRIT_UNPACKED"' EXIT
  for gz in test/fixtures/bitnet/models/*.gguf.gz; do
    gzip -dc "$gz" > "$TRIT_UNPACKED/$(basename "$gz" .gz)"
  done
fi
export TRIT_FIXTURES="${TRIT_FIXTURES:-test/fixtures/bitnet}" TRIT_UNPACKED
for t in test-gguf test-forward test-engine; do
  echo "== aarch64 (max, qemu)/$t"
  if ! qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu "$out/rel/$t" "$@"; then status=1; fi
done
exit $status
