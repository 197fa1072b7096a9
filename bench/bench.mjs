// `npm run bench`: the engine's speed table. Every row is one `trit bench --json` run in its own process (so the
// resident memory of one model does not leak into the next), each figure the median of --reps runs.
//
// Models: the shipped model, and a BitNet b1.58 2B4T-shaped file (2560 hidden, 30 layers, 20/5 heads, 6912 FFN,
// 128256 vocab, I2_S, F16 embedding) with random ternary weights, written once by tools/synth-bitnet.mjs into a
// cache directory outside the repository ($TRIT_BENCH_CACHE, default ~/.cache/trit-bench).
//
//   node bench/bench.mjs [--reps 5] [--threads N] [--write] [--only shipped|2b4t] [--no-long]
//
// --write also stores the table, with the CPU model, in bench/RESULTS.md (between the markers).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, homedir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const trit = path.join(root, 'bin', 'trit.mjs');
const shipped = path.join(root, 'models', 'trit-code.gguf');

const { values: opts } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    threads: { type: 'string' },
    write: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-long': { type: 'boolean', default: false },
  },
});
const reps = Number(opts.reps);
if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');

function cpuModel() {
  try {
    const out = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
    const name = /^Model name:\s*(.+)$/m.exec(out)?.[1];
    const flags = /^Flags:\s*(.+)$/m.exec(out)?.[1]?.split(/\s+/) ?? [];
    const isa = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8', 'asimddp'].filter((f) => flags.includes(f));
    if (name) return `${name.trim()} (${cpus().length} CPUs; ${isa.join(', ') || 'no AVX2'})`;
  } catch {}
  return `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} CPUs)`;
}

function synthModel() {
  const dir = process.env.TRIT_BENCH_CACHE ?? path.join(homedir(), '.cache', 'trit-bench');
  const file = path.join(dir, 'synth-2b4t-i2s-seed1.gguf');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`writing the 2B4T-shaped benchmark model to ${file} (about 1.2 GB, once)\n`);
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'tools', 'synth-bitnet.mjs'), `${file}.tmp`, '--shape', '2b4t', '--seed', '1'],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status !== 0) throw new Error('tools/synth-bitnet.mjs failed');
    spawnSync('mv', [`${file}.tmp`, file]);
  }
  return file;
}

function runBench(label, args) {
  process.stderr.write(`bench: ${label} …\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [trit, 'bench', ...args, '--reps', String(reps), '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`trit bench ${args.join(' ')} failed:\n${r.stderr}`);
  const json = JSON.parse(r.stdout);
  process.stderr.write(`bench: ${label} done in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return { label, ...json };
}

const threadArgs = opts.threads ? ['--threads', opts.threads] : [];
const rows = [];
const long = !opts['no-long'];
if (opts.only === undefined || opts.only === 'shipped') {
  const m = ['--model', shipped, '--ctx', '4096'];
  rows.push(
    runBench('shipped', [
      ...m,
      ...threadArgs,
      '--pp',
      '128,1024',
      '--tg',
      '32',
      ...(long ? ['--ttft', '2048', '--ctx-rss', '4096', '--keystroke', '256'] : []),
    ]),
  );
  rows.push(runBench('shipped, 1 thread', [...m, '--threads', '1', '--pp', '128,1024', '--tg', '32']));
}
if (opts.only === undefined || opts.only === '2b4t') {
  const m = ['--model', synthModel(), '--ctx', '4096'];
  rows.push(
    runBench('2B4T-shaped, F16 head', [
      ...m,
      ...threadArgs,
      '--lm-head',
      'file',
      '--pp',
      '128,1024',
      '--tg',
      '32',
      ...(long ? ['--ttft', '2048', '--long-reps', String(Math.min(reps, 3)), '--ctx-rss', '4096'] : []),
    ]),
  );
  rows.push(runBench('2B4T-shaped, 8-bit head', [...m, ...threadArgs, '--lm-head', 'q8', '--pp', '128', '--tg', '32']));
  rows.push(
    runBench('2B4T-shaped, F16 head, 1 thread', [
      ...m,
      '--threads',
      '1',
      '--lm-head',
      'file',
      '--pp',
      '128',
      '--tg',
      '32',
    ]),
  );
}

const fmt = (v, digits = 1) => (v === undefined || v === null ? '–' : Number(v).toFixed(digits));
const header = [
  'model',
  'LM head',
  'kernels',
  'threads',
  'pp128 tok/s',
  'pp1024 tok/s',
  'tg32 tok/s',
  'read GB/s',
  'roofline tg tok/s',
  'tg / roofline',
  'TTFT 2k cold ms',
  'TTFT 2k edit ms (2nd-to-last / last token)',
  'edit budget ms (within: 2nd-to-last / last)',
  'tg at 2k tok/s',
  '1-line after keystroke ms',
  'RSS load MB',
  'RSS 4k ctx MB',
];
const ttftReps = rows.find((r) => r.ttft_reps !== undefined && r.label.startsWith('2B4T'))?.ttft_reps;
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
for (const r of rows) {
  const cells = [
    r.label.split(',')[0],
    r.lm_head_type,
    r.kernels,
    r.threads,
    fmt(r.pp_tps_by_len['128']),
    fmt(r.pp_tps_by_len['1024']),
    fmt(r.tg_tps),
    fmt(r.bandwidth_gbs),
    fmt(r.roofline_tg_tps),
    r.roofline_fraction === null ? '–' : `${(100 * r.roofline_fraction).toFixed(0)} %`,
    fmt(r.ttft_cold_ms, 0),
    r.ttft_edit_ms === undefined
      ? '–'
      : `${fmt(r.ttft_edit_ms)} (${r.ttft_edit_evaluated} tok) / ${fmt(r.ttft_edit_last_ms)} (${r.ttft_edit_last_evaluated} tok)`,
    r.ttft_edit_budget_ms === undefined
      ? '–'
      : `${fmt(r.ttft_edit_budget_ms)} (${r.ttft_edit_within}/${r.ttft_reps} / ${r.ttft_edit_last_within}/${r.ttft_reps})`,
    fmt(r.ttft_tg_tps),
    fmt(r.keystroke_ms),
    fmt(r.rss_mb_after_load, 0),
    fmt(r.rss_mb_ctx, 0),
  ];
  lines.push(`| ${cells.join(' | ')} |`);
}
const cpu = cpuModel();
const table = [
  `CPU: ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM. Medians of ${reps} runs` +
    (ttftReps !== undefined && ttftReps !== reps ? ` (2B4T TTFT: ${ttftReps} runs)` : '') +
    `; node ${process.version}.`,
  '',
  ...lines,
].join('\n');
process.stdout.write(`${table}\n`);

if (opts.write) {
  const file = path.join(root, 'bench', 'RESULTS.md');
  const begin = '<!-- bench table begin -->';
  const end = '<!-- bench table end -->';
  const block = `${begin}\n${table}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Engine benchmark\n\n${begin}\n${end}\n`;
  if (!text.includes(begin)) text += `\n${begin}\n${end}\n`;
  text = text.replace(new RegExp(`${begin}[\\s\\S]*${end}`), () => block);
  writeFileSync(file, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
