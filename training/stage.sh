#!/usr/bin/env bash
# Stages what a training host needs into one folder: the training code, the tokenizer and the given shards.
#   training/stage.sh DEST [SHARD...]      e.g. training/stage.sh .stage heldout train-00 train-01
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
shift
rm -rf "$dest"
mkdir -p "$dest/training" "$dest/shards"
cp "$here"/*.py "$here"/remote.sh "$dest/training/"
cp "$here/data/tokenizer.json" "$dest/training/"
for s in "$@"; do
  cp "$here/data/shards/$s.jsonl.xz" "$dest/shards/"
done
du -sh "$dest"
