#!/usr/bin/env bash
# Fuzzing: the GGUF reader + model loader and the tokenizer with libFuzzer (clang, ASan+UBSan), and chat-template
# rendering with a seeded JS fuzzer (test/fuzz/jinja-fuzz.ts). Each target first replays its regression inputs
# (test/fuzz/regressions/<target>/), then fuzzes for TRIT_FUZZ_SECONDS (default 60) seconds. Prints executions and
# findings per target; exits non-zero when a regression fails or a fuzzer finds something (the crashing input is
# kept in test/fuzz/findings/<target>/: fix the bug, then move the input to the regressions).
#
#   npm run fuzz                                   60 s per target
#   TRIT_FUZZ_SECONDS=20 bash scripts/fuzz.sh      the short pass CI runs
#   TRIT_FUZZ_TARGETS="gguf jinja" ...             a subset (gguf, vocab, vocab-llama3, jinja)
#
# vocab fuzzes the tokenizer of the shipped model; vocab-llama3 the LLaMA-3 vocabulary of BitNet b1.58 2B4T (128 256
# tokens, the llama-bpe pre-tokenizer), in a tiny synthetic model generated for the run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${TRIT_FUZZ_SECONDS:-60}"
targets="${TRIT_FUZZ_TARGETS:-gguf vocab vocab-llama3 jinja}"

# clang with libFuzzer and the sanitizer runtimes (Debian: clang + libclang-rt-*-dev). Idempotent.
if ! command -v clang++ >/dev/null 2>&1 || ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer,address,undefined - -o /dev/null >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q >/dev/null
    ver=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9]*\)$/\1/p' | head -1)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang ${ver:+libclang-rt-$ver-dev} >/dev/null
  else
    echo "fuzz: please install clang and its compiler-rt (Debian: apt-get install clang libclang-rt-dev)" >&2
    exit 1
  fi
fi

needs_native=0
for t in $targets; do [ "$t" = jinja ] || needs_native=1; done
if [ $needs_native = 1 ]; then
  echo "fuzz: building the libFuzzer targets (native/build-fuzz)"
  make -f native/fuzz/Makefile -j"${TRIT_JOBS:-2}" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
# Leak checking needs ptrace, which some containers forbid: then fuzz without it rather than report a false finding.
if [ $needs_native = 1 ] && echo -n x > "$work/probe" &&
    native/build-fuzz/fuzz-gguf "$work/probe" 2>&1 | grep -q 'LeakSanitizer has encountered a fatal error'; then
  echo "fuzz: leak checking is not available here (no ptrace); fuzzing without it" >&2
  export ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}"
fi
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

status=0
summary=()
run_libfuzzer() {  # name binary max_len (the binary's seeds and regressions are shared by its names)
  local target=$1 kind=$2 max_len=$3
  local bin="native/build-fuzz/fuzz-$kind" regressions="test/fuzz/regressions/$kind" findings="test/fuzz/findings/$target"
  local corpus="$work/corpus-$target" log="$work/$target.log"
  mkdir -p "$corpus" "$findings"
  node test/fuzz/seeds.mjs "$kind" "$work/seeds-$target" >/dev/null
  local replayed=0
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    replayed=$(find "$regressions" -type f | wc -l)
    if ! "$bin" -runs=1 "$regressions"/* >"$log.replay" 2>&1; then
      echo "fuzz: a $target regression input fails again:" >&2
      tail -30 "$log.replay" >&2
      status=1
    fi
  fi
  if [ "$target" = gguf ]; then
    # The malformed-model corpus (tools/malformed-gguf.mjs) under the sanitizers, as regression inputs too.
    node tools/malformed-gguf.mjs "$work/malformed" >/dev/null
    local n
    n=$(find "$work/malformed" -name '*.gguf' | wc -l)
    replayed=$((replayed + n))
    if ! find "$work/malformed" -name '*.gguf' -print0 | xargs -0 "$bin" -runs=1 >"$log.malformed" 2>&1; then
      echo "fuzz: a malformed-model file fails under the sanitizers:" >&2
      tail -30 "$log.malformed" >&2
      status=1
    fi
  fi
  local rc=0
  "$bin" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$work/seeds-$target" >"$log" 2>&1 || rc=$?
  local execs corpus_n found
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus_n=$(find "$corpus" -type f | wc -l)
  found=$(grep -cE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal|fuzz-[a-z]+: ' "$log" || true)
  if [ $rc -ne 0 ]; then
    status=1
    [ "$found" -gt 0 ] || found=1
    echo "fuzz: $target found a problem (input kept in $findings/):" >&2
    grep -E 'ERROR|SUMMARY|fuzz-[a-z]+:|Test unit written' "$log" | head -10 >&2
  else
    found=0
  fi
  summary+=("$(printf '%-12s %10s %8s %9s %9s' "$target" "${execs:-0}" "$corpus_n" "$replayed" "$found")")
}

for t in $targets; do
  case $t in
    gguf) run_libfuzzer gguf gguf 262144 ;;
    vocab) TRIT_FUZZ_VOCAB_MODEL=models/trit-code.gguf run_libfuzzer vocab vocab 4096 ;;
    vocab-llama3)
      node test/fuzz/seeds.mjs llama3-model "$work/llama3-vocab.gguf" >/dev/null
      TRIT_FUZZ_VOCAB_MODEL="$work/llama3-vocab.gguf" run_libfuzzer vocab-llama3 vocab 4096
      ;;
    jinja)
      out="$work/jinja.json"
      if ! node --import tsx test/fuzz/jinja-fuzz.ts --seconds "$seconds" >"$out" 2>"$work/jinja.err"; then
        status=1
        tail -20 "$work/jinja.err" >&2
      fi
      line=$(tail -1 "$out")
      num() { echo "$line" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
      summary+=("$(printf '%-12s %10s %8s %9s %9s' jinja "$(num execs)" "-" "$(num replayed)" "$(num findings)")")
      echo "fuzz: jinja: $line"
      ;;
    *) echo "fuzz: unknown target $t" >&2; exit 2 ;;
  esac
done

echo
echo "fuzzing, ${seconds} s per target"
printf '%-12s %10s %8s %9s %9s\n' target execs corpus replayed findings
for s in "${summary[@]}"; do echo "$s"; done
exit $status
