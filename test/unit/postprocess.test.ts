import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distinct, isComplete, partialCompletion, postprocess, shapeFor, trimLineSuffix, type PostprocessInput } from '../../server/src/inline/postprocess';

function input(partial: Partial<PostprocessInput>): PostprocessInput {
  return { linePrefix: '', lineSuffix: '', nextLines: [], multiline: 'auto', maxLines: 8, ...partial };
}

interface Case {
  name: string;
  at: Partial<PostprocessInput>;
  generated: string;
  want: string | null;
  truncated?: boolean;
}

const cases: Case[] = [
  // One line: text follows the cursor.
  { name: 'auto-closed call: drop the closing paren the line has', at: { linePrefix: '  queue.push(', lineSuffix: ')' }, generated: '{ id: 1, priority: 2, run })\n  queue.pump();', want: '{ id: 1, priority: 2, run }' },
  { name: 'keep parens the completion opened itself', at: { linePrefix: '  const total = sum(', lineSuffix: ');' }, generated: 'f(x), g(y));', want: 'f(x), g(y)' },
  { name: 'completion that only repeats the suffix', at: { linePrefix: '    this.jobs.splice(i, ', lineSuffix: '0, job);' }, generated: '0, job);', want: null },
  { name: 'one line even when the model goes on', at: { linePrefix: '  if (', lineSuffix: ') {' }, generated: 'i < 0) {\n    return false;\n  }', want: 'i < 0' },
  { name: 'multiline never', at: { linePrefix: '    ', multiline: 'never' }, generated: 'const i = 0;\n    i++;', want: 'const i = 0;' },
  // Blocks: nothing after the cursor.
  {
    name: 'method body after an opener, closing brace kept',
    at: { linePrefix: '  remove(id: number): boolean {', nextLines: ['', '  private pump(): void {'] },
    generated: '\n    const i = this.jobs.findIndex((j) => j.id === id);\n    if (i < 0) return false;\n    this.jobs.splice(i, 1);\n    return true;\n  }\n\n  private pump(): void {',
    want: '\n    const i = this.jobs.findIndex((j) => j.id === id);\n    if (i < 0) return false;\n    this.jobs.splice(i, 1);\n    return true;\n  }',
  },
  {
    name: 'closing brace the document already has',
    at: { linePrefix: '  remove(id: number): boolean {', nextLines: ['  }'] },
    generated: '\n    return this.jobs.length > 0;\n  }\n',
    want: '\n    return this.jobs.length > 0;',
  },
  {
    name: 'statements on an empty line stop where the block ends',
    at: { linePrefix: '    ', nextLines: ['  }', '', '  private pump(): void {'] },
    generated: 'const i = this.jobs.findIndex((j) => j.id === id);\n    this.jobs.splice(i, 1);\n  }\n\n  private',
    want: 'const i = this.jobs.findIndex((j) => j.id === id);\n    this.jobs.splice(i, 1);',
  },
  {
    name: 'closing brace at the end of the document',
    at: { linePrefix: '  ', nextLines: [], documentEnd: true },
    generated: 'return a + b;\n}\n\nfunction mul(a, b) {',
    want: 'return a + b;\n}',
  },
  {
    name: 'no closing brace when the document goes on',
    at: { linePrefix: '  ', nextLines: ['function mul(a, b) {', '  return a * b;', '}'] },
    generated: 'return a + b;\n}\n\nfunction sub(a, b) {',
    want: 'return a + b;',
  },
  {
    name: 'Python: dedent ends the function',
    at: { linePrefix: '    ', nextLines: ['', '', 'def percentile(values, q):'] },
    generated: 'var = sum((v - mean) ** 2 for v in values) / (n - 1)\n    return Summary(n, mean, math.sqrt(var))\n\n\ndef median(values):',
    want: 'var = sum((v - mean) ** 2 for v in values) / (n - 1)\n    return Summary(n, mean, math.sqrt(var))',
  },
  {
    name: 'Python: block after a colon',
    at: { linePrefix: '    if n == 0:', nextLines: ['    mean = sum(values) / n'] },
    generated: '\n        return Summary(0, math.nan, math.nan)\n    mean = sum(values) / n\n',
    want: '\n        return Summary(0, math.nan, math.nan)',
  },
  { name: 'a statement under way ends with its line', at: { linePrefix: '    mean = ' }, generated: 'sum(values) / n\n    if n == 1:\n        return', want: 'sum(values) / n' },
  { name: 'the next line of the document is not repeated', at: { linePrefix: '    ', nextLines: ['    return true;'] }, generated: 'this.jobs.splice(i, 1);\n    return true;\n  }', want: 'this.jobs.splice(i, 1);' },
  { name: 'a first line equal to the next line is dropped', at: { linePrefix: '    ', nextLines: ['    return true;'] }, generated: 'return true;\n', want: null },
  { name: 'repetition is cut', at: { linePrefix: '  ' }, generated: 'queue.pump();\n  queue.pump();\n  queue.pump();\n  queue.pump();', want: 'queue.pump();\n  queue.pump();' },
  { name: 'two blank lines end the block', at: { linePrefix: '  ' }, generated: 'a();\n  b();\n\n\n  c();', want: 'a();\n  b();' },
  { name: 'max lines', at: { linePrefix: '  ', maxLines: 2 }, generated: 'a();\n  b();\n  c();\n  d();', want: 'a();\n  b();' },
  { name: 'a truncated last line is dropped', at: { linePrefix: '  ' }, generated: 'a();\n  b();\n  const c = comp', want: 'a();\n  b();', truncated: true },
  { name: 'a truncated first line is kept', at: { linePrefix: '  const c = ' }, generated: 'compute(a, b', want: 'compute(a, b', truncated: true },
  { name: 'a truncated line repeating a word is cut after its first copy', at: { linePrefix: '' }, generated: 'class PrimesPrimesPrimesPrimesPrimesPr', want: 'class Primes', truncated: true },
  {
    name: 'a truncated line repeating a clause loses the repetition and the dangling operator',
    at: { linePrefix: '    ' },
    generated: 'return math.is_prime(n) and math.is_prime(n) and math.is_prime',
    want: 'return math.is_prime(n)',
    truncated: true,
  },
  { name: 'one line (text after the cursor): a runaway is cut too', at: { linePrefix: '  x = f(', lineSuffix: ')' }, generated: 'a, b, a, b, a, b, a, b, a, b, a', want: 'a, b', truncated: true },
  { name: 'a finished line that repeats three times ends the block there', at: { linePrefix: '  ' }, generated: 'log(x);\n  y = g(y) + g(y) + g(y) + g(y) + g(y)\n  more();', want: 'log(x);\n  y = g(y)' },
  { name: 'a rule of one character is not a runaway', at: { linePrefix: '' }, generated: '# ------------------------------', want: '# ------------------------------', truncated: true },
  { name: 'a line with a short repeated part is kept', at: { linePrefix: '  ' }, generated: 'return [a, a, b]', want: 'return [a, a, b]', truncated: true },
  { name: 'special-token text ends the completion', at: { linePrefix: '  ' }, generated: 'return x;<|endoftext|>garbage', want: 'return x;' },
  { name: 'carriage returns are removed', at: { linePrefix: '  ' }, generated: 'a();\r\n  b();\r\n', want: 'a();\n  b();' },
  { name: 'whitespace only', at: { linePrefix: '  ' }, generated: '   \n\n  ', want: null },
  { name: 'empty', at: { linePrefix: 'x' }, generated: '', want: null },
  { name: 'end of a finished line: the next statement on a new line', at: { linePrefix: '    this.running++;', nextLines: ['  }'] }, generated: '\n    job.run();\n  }', want: '\n    job.run();' },
];

describe('postprocess', () => {
  for (const c of cases) {
    it(c.name, () => assert.equal(postprocess(c.generated, input(c.at), c.truncated ?? false), c.want));
  }
});

describe('isComplete (early stop while streaming)', () => {
  const rows: { name: string; at: Partial<PostprocessInput>; text: string; want: boolean }[] = [
    { name: 'one line, no newline yet', at: { linePrefix: '  f(', lineSuffix: ')' }, text: 'a, b', want: false },
    { name: 'one line, newline seen', at: { linePrefix: '  f(', lineSuffix: ')' }, text: 'a, b)\n', want: true },
    { name: 'block still inside', at: { linePrefix: '  run() {' }, text: '\n    a();\n    b();\n', want: false },
    { name: 'block closed', at: { linePrefix: '  run() {' }, text: '\n    a();\n  }\n', want: true },
    { name: 'statement under way, its line done', at: { linePrefix: '  const x = ' }, text: '1;\n', want: true },
    { name: 'special token', at: { linePrefix: '  ' }, text: 'a();<|file_sep|>', want: true },
    { name: 'a line repeating itself three times stops generation', at: { linePrefix: 'class ' }, text: 'PrimesPrimesPrimesPr', want: true },
    { name: 'twice is not yet enough to stop', at: { linePrefix: 'class ' }, text: 'PrimesPrimes', want: false },
    { name: 'partial last line not judged', at: { linePrefix: '    ', nextLines: ['    return true;'] }, text: 'a();\n    return tr', want: false },
  ];
  for (const r of rows) it(r.name, () => assert.equal(isComplete(r.text, input(r.at)), r.want));
});

describe('partialCompletion (what to show of a suggestion still being generated)', () => {
  const rows: { name: string; at: Partial<PostprocessInput>; progress: string; want: string | undefined }[] = [
    { name: 'an unfinished word is held back', at: { linePrefix: '    return ' }, progress: 'this.jobs.len', want: 'this.jobs.' },
    { name: 'whole words are shown', at: { linePrefix: '    return ' }, progress: 'this.jobs.length ', want: 'this.jobs.length' },
    { name: 'punctuation is shown', at: { linePrefix: '  const x = f(' }, progress: 'a, b', want: 'a, ' .trimEnd() },
    { name: 'one unfinished word is not enough', at: { linePrefix: '    return ' }, progress: 'thi', want: undefined },
    { name: 'the last, unfinished line of a block is held back', at: { linePrefix: '  run() {' }, progress: '\n    a();\n    b', want: '\n    a();' },
  ];
  for (const r of rows) it(r.name, () => assert.equal(partialCompletion(r.progress, input(r.at)), r.want));
});

describe('helpers', () => {
  it('shapeFor', () => {
    assert.equal(shapeFor({ lineSuffix: '', multiline: 'auto' }), 'block');
    assert.equal(shapeFor({ lineSuffix: '  ', multiline: 'auto' }), 'block');
    assert.equal(shapeFor({ lineSuffix: ')', multiline: 'auto' }), 'line');
    assert.equal(shapeFor({ lineSuffix: '', multiline: 'never' }), 'line');
    assert.equal(shapeFor({ lineSuffix: ')', multiline: 'always' }), 'block');
  });
  it('trimLineSuffix', () => {
    assert.equal(trimLineSuffix('x + 1); // done', ');'), 'x + 1');
    assert.equal(trimLineSuffix('"name"]', '"]'), '"name');
    assert.equal(trimLineSuffix('abc', ''), 'abc');
  });
  it('distinct', () => {
    assert.deepEqual(distinct(['a()', null, 'a() ', '  ', 'b()']), ['a()', 'b()']);
  });
});
