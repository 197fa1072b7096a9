#!/usr/bin/env bash
# Trit's main job from a fresh machine, until the editor extension ships: set everything up, then complete a
# code snippet with the shipped model through the CLI (the same engine and loader the extension uses).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

model=models/trit-code.gguf
if [ ! -f "$model" ]; then
  echo "demo: the shipped model $model is not in this checkout yet (training/ makes it); cannot run the demo" >&2
  exit 1
fi

snippet='def fibonacci(n):
    """Return the n-th Fibonacci number."""
'
printf '\n--- prompt ---\n%s--- completion by %s ---\n' "$snippet" "$model"
printf '%s' "$snippet"
node bin/trit.mjs generate --model "$model" --prompt "$snippet" --n 64
