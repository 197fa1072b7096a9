#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up first, then every stage. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run typecheck
npm run lint
npm run test:unit
npm run test:cpp
# A short fuzzing pass (libFuzzer + the chat-template fuzzer) after replaying the regression inputs.
TRIT_FUZZ_SECONDS="${TRIT_FUZZ_SECONDS:-20}" npm run fuzz
npm run test:native
npm run test:lsp
npm run test:webview
npm run test:e2e
# The linux-arm64 package, cross-built here and run under qemu-user.
npm run test:arm64
