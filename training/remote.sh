#!/usr/bin/env bash
# Drives a training run on a GPU host whose working copy holds training/ and corpus shards in $TRIT_STAGE (made by
# training/stage.sh); results are copied to $TRIT_RESULTS.
#   remote.sh start  N_FIRST MINUTES [RESUME]  copy shards, make draws in the background, start the trainer
#   remote.sh more                             copy further shards and make their draws
#   remote.sh poll   SECONDS                   wait (until the run ends at the latest), report, copy results to $TRIT_RESULTS
#   remote.sh final                            evaluate the last checkpoint with the shipped numerics
# Everything lives in /tmp/w; the data preparation and the trainer run detached, so calls may come and go.
set -uo pipefail
STAGE=${TRIT_STAGE:-.stage}
RESULTS=${TRIT_RESULTS:-/tmp/w/results}
mkdir -p "$RESULTS"
W=/tmp/w
mkdir -p $W/shards $W/draws $W/log $W/run
cp -r "$STAGE"/training/. $W/code/ 2>/dev/null || { mkdir -p $W/code && cp -r "$STAGE"/training/. $W/code/; }
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=2

new_shards() {
  for f in "$STAGE"/shards/*.xz; do
    [ -e "$f" ] || continue
    b=$(basename "$f")
    [ -e $W/shards/$b ] && continue
    cp "$f" $W/shards/$b.tmp && mv $W/shards/$b.tmp $W/shards/$b
    if [[ $b == train-* ]]; then
      setsid nohup python3 $W/code/prep.py draws --shard $W/shards/$b --tokenizer $W/code/tokenizer.json \
        --out $W/draws --draws 8 > $W/log/prep-${b%%.*}.log 2>&1 < /dev/null &
    fi
  done
  ls -la $W/shards
}

report() {
  tail -n 25 $W/log/train.log 2>/dev/null
  for f in $W/log/prep-*.log; do tail -n 1 "$f"; done 2>/dev/null | sort | tail -n 40
  nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null
  cp $W/run/metrics.jsonl $W/log/train.log "$RESULTS"/ 2>/dev/null
  for p in $W/run/infer.pt.part*; do [ -e "$p" ] && cp "$p" "$RESULTS"/; done
  ls -la "$RESULTS"
}

case "$1" in
  start)
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
    python3 -c 'import torch, tokenizers; print(torch.__version__, tokenizers.__version__)'
    new_shards
    resume=""
    [ -n "${4:-}" ] && resume="--resume $4"
    setsid nohup python3 $W/code/train.py --data $W/draws --n-shards "$2" --tokenizer $W/code/tokenizer.json \
      --heldout $W/shards/heldout.jsonl.xz --out $W/run --minutes "$3" $resume > $W/log/train.log 2>&1 < /dev/null &
    sleep 20
    report
    ;;
  more)
    new_shards
    report
    ;;
  poll)
    end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
      grep -q -E '^done|Traceback' $W/log/train.log 2>/dev/null && break
      sleep 5
    done
    report
    ;;
  final)
    python3 $W/code/eval.py --ckpt $W/run/infer.pt --tokenizer $W/code/tokenizer.json \
      --heldout $W/shards/heldout.jsonl.xz --out "$RESULTS"/final-eval.json --cases 600 --bpb-bytes 2e6 \
      2>&1 | tail -n 5
    report
    ;;
esac
