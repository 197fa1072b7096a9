#!/usr/bin/env bash
# The addon tests against a build of the addon and engine with AddressSanitizer + UndefinedBehaviorSanitizer
# (threads, callbacks, cancellation and dispose under real use). Slow to build, so not part of scripts/test.sh.
# The build lives in native/build-asan/ (a copy of the native sources, never shipped).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=native/build-asan
rm -rf "$work"
mkdir -p "$work/native"
cp -r native/binding.gyp native/include native/src native/kernels native/addon "$work/native/"
ln -s "$root/package.json" "$work/package.json"
ln -s "$root/node_modules" "$work/node_modules"
prefix=$(dirname "$(dirname "$(command -v node)")")
node node_modules/node-gyp/bin/node-gyp.js rebuild --directory "$work/native" --jobs 2 --nodedir="$prefix" \
  -- -Dtrit_sanitize=1 >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }

export TRIT_ADDON=$root/$work/native/build/Release/trit.node
export TRIT_TEST_SANITIZED=1   # the RSS tests are skipped: ASan's quarantine holds freed memory on purpose
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
node --import tsx --test test/native/addon-*.test.ts
