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

/** A copy of `tokens` with the token at `index` replaced by another valid one. */
function editedAt(info, tokens, index) {
  const out = [...tokens];
  const other = benchTokens(info, tokens.length + 8).slice(-8);
  out[index] = other.find((id) => id !== tokens[index]);
  return out;
}

function ppList(value, maxCtx, intOption) {
  const parts = (value ?? '128').split(',').map((p) => p.trim());
  return parts.map((p) => intOption(p, 'pp', 1, maxCtx, 128));
}

export async function bench({ native, model, loadMs }, options, { intOption, print }) {
  const { info } = model;
  const pps = ppList(options.pp, 1 << 20, intOption);
  const tg = intOption(options.tg, 'tg', 1, 1 << 20, 32);
  const reps = intOption(options.reps, 'reps', 1, 1000, 1);
  const ttft = intOption(options.ttft, 'ttft', 0, 1 << 20, 0);
  const ctxRss = intOption(options['ctx-rss'], 'ctx-rss', 0, 1 << 20, 0);
  const keystroke = intOption(options.keystroke, 'keystroke', 0, 1 << 20, 0);
  const longReps = intOption(options['long-reps'], 'long-reps', 1, 1000, reps);
  const coldReps = intOption(options['cold-reps'], 'cold-reps', 1, 1000, longReps);
  for (const [name, n] of [
    ['--pp', Math.max(...pps)],
    ['--tg', tg + 1],
    ['--ttft', ttft],
    ['--ctx-rss', ctxRss],
    ['--keystroke', keystroke + 17],
  ]) {
    if (n > info.nCtx) throw new Error(`${name} needs ${n} tokens, more than the context of ${info.nCtx} (use --ctx)`);
  }
  const rssAfterLoad = process.memoryUsage().rss;

  // Warm-up: first-touch of the mapped weights and scratch buffers.
  const warm = benchTokens(info, 8);
  await model.complete({ slot: '', prompt: warm.slice(0, Math.min(8, pps[0])), maxTokens: 2, ignoreEog: true }).done;

  const ppRuns = pps.map(() => []);
  const tgRuns = [];
  for (let i = 0; i < reps; i++) {
    for (let j = 0; j < pps.length; j++) {
      const p = await model.complete({ slot: '', prompt: benchTokens(info, pps[j]), maxTokens: 0 }).done;
      ppRuns[j].push(p.evaluatedTokens / (p.prefillMs / 1000));
    }
    // tg + 1 tokens: the first comes from the prompt's logits, each of the other tg needs one forward step.
    const g = await model.complete({ slot: '', prompt: warm.slice(0, 1), maxTokens: tg + 1, ignoreEog: true }).done;
    if (g.generatedTokens !== tg + 1)
      throw new Error(`decode stopped early (${g.stopReason}) after ${g.generatedTokens} tokens`);
    tgRuns.push(tg / (g.decodeMs / 1000));
  }

  // Time to first token for a long prompt: cold (empty slot), then the same prompt with one token changed
  // near the end (the slot keeps the common prefix, so only the tail is evaluated again): the second-to-last
  // token (two tokens evaluated: the changed one and the last), and, from the original again, the last token
  // (one evaluated).
  // Then decode 8 tokens from that slot: decode speed at the long context, where attention over the cache
  // adds to every step. Each round also times one --pp prefill, so that the edit is compared with a budget
  // (one decode step at that context + one prefill token) measured in the same second: on a shared host the
  // speed drifts between the first table rows and the last, and a budget from the start of the run would
  // judge the edit against another minute's machine.
  const ttftRuns = { cold: [], edit: [], editEvaluated: [], editLast: [], editLastEvaluated: [], longTg: [], budget: [] };
  if (ttft > 0) {
    const prompt = benchTokens(info, ttft);
    const edited = editedAt(info, prompt, ttft - 2);
    const editedLast = editedAt(info, prompt, ttft - 1);
    for (let i = 0; i < longReps; i++) {
      if (i < coldReps) {
        model.dropSlot('bench:ttft');
        const cold = await model.complete({ slot: 'bench:ttft', prompt, maxTokens: 1, ignoreEog: true }).done;
        ttftRuns.cold.push(cold.totalMs);
      } else {
        // Back to the original prompt (the slot re-evaluates only the edited tail).
        await model.complete({ slot: 'bench:ttft', prompt, maxTokens: 1, ignoreEog: true }).done;
      }
      const edit = await model.complete({ slot: 'bench:ttft', prompt: edited, maxTokens: 1, ignoreEog: true }).done;
      ttftRuns.edit.push(edit.totalMs);
      ttftRuns.editEvaluated.push(edit.evaluatedTokens);
      const long = await model.complete({ slot: 'bench:ttft', prompt: edited, maxTokens: 9, ignoreEog: true }).done;
      if (long.generatedTokens !== 9) throw new Error(`decode stopped early (${long.stopReason})`);
      ttftRuns.longTg.push(8 / (long.decodeMs / 1000));
      await model.complete({ slot: 'bench:ttft', prompt, maxTokens: 1, ignoreEog: true }).done;
      const last = await model.complete({ slot: 'bench:ttft', prompt: editedLast, maxTokens: 1, ignoreEog: true }).done;
      ttftRuns.editLast.push(last.totalMs);
      ttftRuns.editLastEvaluated.push(last.evaluatedTokens);
      const p = await model.complete({ slot: '', prompt: benchTokens(info, pps[0]), maxTokens: 0 }).done;
      ttftRuns.budget.push(long.decodeMs / 8 + p.prefillMs / p.evaluatedTokens);
    }
    model.dropSlot('bench:ttft');
  }

  // A one-line completion after a keystroke: the document prompt is cached, one token is typed, up to 16
  // tokens come back.
  const keyRuns = [];
  if (keystroke > 0) {
    const prompt = benchTokens(info, keystroke + reps + 1);
    await model.complete({ slot: 'bench:key', prompt: prompt.slice(0, keystroke), maxTokens: 1 }).done;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      const r = await model.complete({
        slot: 'bench:key',
        prompt: prompt.slice(0, keystroke + i + 1),
        maxTokens: 16,
        ignoreEog: true,
      }).done;
      keyRuns.push({ engine: r.totalMs, wall: performance.now() - t0 });
    }
    model.dropSlot('bench:key');
  }

  const bandwidth = native.memoryReadBandwidth(info.threads, bandwidthBufferBytes);
  const { weightBytes } = model.stats();
  const rssBeforeCtx = process.memoryUsage().rss;
  let rssCtx = null;
  if (ctxRss > 0) {
    const r = await model.complete({ slot: 'bench:ctx', prompt: benchTokens(info, ctxRss), maxTokens: 1 }).done;
    if (r.evaluatedTokens !== ctxRss) throw new Error(`context prompt evaluated ${r.evaluatedTokens} tokens`);
    rssCtx = process.memoryUsage().rss / 2 ** 20;
    model.dropSlot('bench:ctx');
  }
  const result = {
    model: info.path,
    name: info.name,
    weight_type: info.weightType,
    lm_head_type: info.lmHeadType,
    n_params: info.nParams,
    threads: info.threads,
    kernels: info.kernels,
    pp: pps[0],
    tg,
    reps,
    pp_tps: median(ppRuns[0]),
    pp_tps_by_len: Object.fromEntries(pps.map((n, j) => [n, median(ppRuns[j])])),
    tg_tps: median(tgRuns),
    bandwidth_gbs: bandwidth / 1e9,
    weight_bytes_per_token: weightBytes,
    roofline_tg_tps: weightBytes > 0 ? bandwidth / weightBytes : null,
    roofline_fraction: weightBytes > 0 ? median(tgRuns) / (bandwidth / weightBytes) : null,
    load_ms: loadMs,
    rss_mb_after_load: rssAfterLoad / 2 ** 20,
    rss_mb: rssBeforeCtx / 2 ** 20,
  };
  if (ttft > 0) {
    result.ttft_tokens = ttft;
    result.ttft_reps = longReps;
    result.ttft_cold_ms = median(ttftRuns.cold);
    result.ttft_edit_ms = median(ttftRuns.edit);
    result.ttft_edit_evaluated = median(ttftRuns.editEvaluated);
    result.ttft_tg_tps = median(ttftRuns.longTg);
    // The edit target: one decode step at that context plus one token of prefill (at the --pp speed), both
    // timed in the edit's own round; the median budget, and in how many rounds the edit was within its own.
    result.ttft_edit_budget_ms = median(ttftRuns.budget);
    result.ttft_edit_margin_ms = median(ttftRuns.edit.map((e, i) => e - ttftRuns.budget[i]));
    result.ttft_edit_within = ttftRuns.edit.filter((e, i) => e <= ttftRuns.budget[i]).length;
    result.ttft_edit_last_ms = median(ttftRuns.editLast);
    result.ttft_edit_last_evaluated = median(ttftRuns.editLastEvaluated);
    result.ttft_edit_last_margin_ms = median(ttftRuns.editLast.map((e, i) => e - ttftRuns.budget[i]));
    result.ttft_edit_last_within = ttftRuns.editLast.filter((e, i) => e <= ttftRuns.budget[i]).length;
  }
  if (keystroke > 0) {
    result.keystroke_prompt = keystroke;
    result.keystroke_ms = median(keyRuns.map((k) => k.engine));
    result.keystroke_wall_ms = median(keyRuns.map((k) => k.wall));
  }
  if (rssCtx !== null) {
    result.ctx_rss_tokens = ctxRss;
    result.rss_mb_ctx = rssCtx;
  }
  if (options.json) return print(result);
  const row = (k, v) => process.stdout.write(`${k.padEnd(24)} ${v}\n`);
  row('model', `${result.model} (${result.weight_type}, head ${result.lm_head_type})`);
  row('threads / kernels', `${result.threads} / ${result.kernels}`);
  for (const n of pps) row(`prefill ${n} tok/s`, result.pp_tps_by_len[n].toFixed(1));
  row(`decode ${tg} tok/s`, result.tg_tps.toFixed(1));
  row('read bandwidth GB/s', result.bandwidth_gbs.toFixed(1));
  row('decode roofline tok/s', result.roofline_tg_tps === null ? '-' : result.roofline_tg_tps.toFixed(1));
  if (ttft > 0) {
    row(`TTFT ${ttft} cold ms`, result.ttft_cold_ms.toFixed(0));
    row(`TTFT ${ttft} edit ms`, `${result.ttft_edit_ms.toFixed(1)} (second-to-last token; ${result.ttft_edit_evaluated} evaluated)`);
    row(`TTFT ${ttft} edit last ms`, `${result.ttft_edit_last_ms.toFixed(1)} (last token; ${result.ttft_edit_last_evaluated} evaluated)`);
    row(`decode at ${ttft} tok/s`, result.ttft_tg_tps.toFixed(1));
    row('edit budget ms', `${result.ttft_edit_budget_ms.toFixed(1)} (1 decode step at ${ttft} + 1 prefill token)`);
    row(
      'edit within budget',
      `${result.ttft_edit_within} of ${longReps} rounds (median edit − budget ${result.ttft_edit_margin_ms.toFixed(1)} ms)`,
    );
    row(
      'edit last within budget',
      `${result.ttft_edit_last_within} of ${longReps} rounds (median edit − budget ${result.ttft_edit_last_margin_ms.toFixed(1)} ms)`,
    );
  }
  if (keystroke > 0) row('keystroke line ms', result.keystroke_ms.toFixed(1));
  row('RSS MB', result.rss_mb.toFixed(0));
  if (rssCtx !== null) row(`RSS MB after ${ctxRss} ctx`, rssCtx.toFixed(0));
}
