// `trit bench`: prefill and decode speed of one model, with the memory-bandwidth roofline measured in the same
// process. Prints one JSON object with --json (for scripts such as bench/), otherwise a short table.
//
// pp_tps  prompt tokens per second: one batch of --pp tokens evaluated into an empty scratch slot;
// tg_tps  decoded tokens per second over --tg single-token forward steps (end-of-generation ignored);
// roofline_tg_tps  bandwidth_gbs / bytes of weights read per decoded token: the decode speed memory allows.

const bandwidthBufferBytes = 512 * 2 ** 20; // far larger than any CPU cache

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Deterministic token ids spread over the vocabulary, avoiding end-of-generation and other special tokens. */
export function benchTokens(info, count) {
  const avoid = new Set([...info.special.eog, info.special.bos, info.special.eos, info.special.eot, info.special.pad]);
  const tokens = [];
  if (info.addBos && info.special.bos >= 0) tokens.push(info.special.bos);
  let state = 12345;
  while (tokens.length < count) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const id = state % info.nVocab;
    if (!avoid.has(id)) tokens.push(id);
  }
  return tokens;
}

export async function bench({ native, model, loadMs }, options, { intOption, print }) {
  const pp = intOption(options.pp, 'pp', 1, 1 << 20, 128);
  const tg = intOption(options.tg, 'tg', 1, 1 << 20, 32);
  const reps = intOption(options.reps, 'reps', 1, 1000, 1);
  const { info } = model;
  if (pp > info.nCtx || tg + 1 > info.nCtx) {
    throw new Error(`--pp ${pp} / --tg ${tg} do not fit the context of ${info.nCtx} tokens (use --ctx)`);
  }
  const rssAfterLoad = process.memoryUsage().rss;
  const prompt = benchTokens(info, pp);

  // Warm-up: first-touch of the mapped weights and scratch buffers.
  await model.complete({ slot: '', prompt: prompt.slice(0, Math.min(8, pp)), maxTokens: 2, ignoreEog: true }).done;

  const ppRuns = [];
  const tgRuns = [];
  for (let i = 0; i < reps; i++) {
    const p = await model.complete({ slot: '', prompt, maxTokens: 0 }).done;
    ppRuns.push(p.evaluatedTokens / (p.prefillMs / 1000));
    // tg + 1 tokens: the first comes from the prompt's logits, each of the other tg needs one forward step.
    const g = await model.complete({ slot: '', prompt: prompt.slice(0, 1), maxTokens: tg + 1, ignoreEog: true }).done;
    if (g.generatedTokens !== tg + 1)
      throw new Error(`decode stopped early (${g.stopReason}) after ${g.generatedTokens} tokens`);
    tgRuns.push(tg / (g.decodeMs / 1000));
  }

  const bandwidth = native.memoryReadBandwidth(info.threads, bandwidthBufferBytes);
  const { weightBytes } = model.stats();
  const result = {
    model: info.path,
    name: info.name,
    weight_type: info.weightType,
    lm_head_type: info.lmHeadType,
    n_params: info.nParams,
    threads: info.threads,
    kernels: info.kernels,
    pp,
    tg,
    reps,
    pp_tps: median(ppRuns),
    tg_tps: median(tgRuns),
    bandwidth_gbs: bandwidth / 1e9,
    weight_bytes_per_token: weightBytes,
    roofline_tg_tps: weightBytes > 0 ? bandwidth / weightBytes : null,
    load_ms: loadMs,
    rss_mb_after_load: rssAfterLoad / 2 ** 20,
    rss_mb: process.memoryUsage().rss / 2 ** 20,
  };
  if (options.json) return print(result);
  const row = (k, v) => process.stdout.write(`${k.padEnd(24)} ${v}\n`);
  row('model', `${result.model} (${result.weight_type}, head ${result.lm_head_type})`);
  row('threads / kernels', `${result.threads} / ${result.kernels}`);
  row(`prefill ${pp} tok/s`, result.pp_tps.toFixed(1));
  row(`decode ${tg} tok/s`, result.tg_tps.toFixed(1));
  row('read bandwidth GB/s', result.bandwidth_gbs.toFixed(1));
  row('decode roofline tok/s', result.roofline_tg_tps === null ? '-' : result.roofline_tg_tps.toFixed(1));
  row('RSS MB', result.rss_mb.toFixed(0));
}
