#!/usr/bin/env bash
# Trit's main job from a fresh machine: set everything up, then run the language server that the VS Code
# extension runs, with the shipped model, and show the inline completions it gives while a file is typed into it
# (scripts/demo.mjs; pass --file PATH --line N to complete in a file of your own, --model FILE for another model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node scripts/demo.mjs "$@"
