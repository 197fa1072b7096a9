// Conversation → prompt within a token budget: context formatting and trimming (old turns first, then code, then
// the message), and prefix stability across turns.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatContext, ChatTurn } from '../../protocol/src/chat';
import { buildChatPrompt, type CountTokens } from '../../server/src/chat/prompt';
import { detectChatFormat, promptText, type PromptPiece } from '../../server/src/chat/template';

// A stand-in for the model's tokenizer with the same shape of behaviour: words, punctuation and whitespace runs
// are tokens, and each control token is one token. (The LSP test counts with the real tokenizer.)
const count: CountTokens = (pieces: readonly PromptPiece[]) =>
  pieces.reduce((n, p) => n + (p.text.match(p.special ? /<\|[a-z_]+\|>|\w+|[^\w\s]|\s+/g : /\w+|[^\w\s]|\s+/g)?.length ?? 0), 0);

const spec = detectChatFormat({
  name: 'bitnet-test',
  chatTemplate: 'BITNET',
  bosText: '<|begin_of_text|>',
  eosText: '<|end_of_text|>',
  eotText: '<|eot_id|>',
  addBos: true,
  hasFim: false,
  meta: {},
});
const system = 'You are a coding assistant.';

function code(lines: number, from = 1): string {
  return Array.from({ length: lines }, (_, i) => `  const v${from + i} = compute(${from + i}, "value");`).join('\n');
}

function selection(text: string, startLine = 10): ChatContext {
  const n = text.split('\n').length;
  return { kind: 'selection', uri: 'file:///w/src/a.ts', path: 'src/a.ts', languageId: 'typescript', startLine, endLine: startLine + n - 1, text };
}

function exchange(i: number): ChatTurn[] {
  return [
    { role: 'user', content: `Question number ${i}: what does function f${i} return for input ${i}?` },
    { role: 'assistant', content: `Answer ${i}: ${'it returns the sum of both arguments '.repeat(3)}` },
  ];
}

describe('buildChatPrompt: context', () => {
  it('puts the selection with path, language and line numbers above the message', () => {
    const turns: ChatTurn[] = [{ role: 'user', content: 'Explain this.', contexts: [selection('let a = 1;\nlet b = 2;', 41)] }];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 1000 });
    assert.equal(
      promptText(built.pieces),
      '<|begin_of_text|>System: You are a coding assistant.<|eot_id|>' +
        'User: Selected code from `src/a.ts` (typescript, lines 41-42):\n```typescript\nlet a = 1;\nlet b = 2;\n```\n\nExplain this.<|eot_id|>' +
        'Assistant: ',
    );
    assert.equal(built.tokens, count(built.pieces));
    assert.deepEqual([built.trimmedTurns, built.trimmedContextLines, built.trimmedMessage], [0, 0, false]);
  });

  it('uses a longer fence when the code contains backticks', () => {
    const turns: ChatTurn[] = [{ role: 'user', content: 'Why?', contexts: [selection('const s = `a ${"```"} b`;', 1)] }];
    const text = promptText(buildChatPrompt(spec, turns, count, { system, budget: 1000 }).pieces);
    assert.ok(text.includes('````typescript\n'), text);
  });

  it('caps an automatic file context around the cursor', () => {
    const file: ChatContext = {
      kind: 'file', uri: 'file:///w/big.ts', path: 'big.ts', languageId: 'typescript',
      startLine: 1, endLine: 2000, cursorLine: 1000, text: code(2000),
    };
    const turns: ChatTurn[] = [{ role: 'user', content: 'What is v1000?', contexts: [file] }];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 2000, fileContextShare: 0.5 });
    const text = promptText(built.pieces);
    assert.ok(built.tokens <= 2000);
    assert.ok(text.includes('const v1000 ='), 'the cursor line is kept');
    assert.ok(!text.includes('const v1 ='), 'far lines are cut');
    assert.match(text, /The current file `big.ts` \(typescript, lines \d+-\d+, cursor on line 1000\)/);
    assert.match(text, /\((\d+) more lines not shown\)/);
    const shown = Number(/lines (\d+)-(\d+)/.exec(text)![2]) - Number(/lines (\d+)-(\d+)/.exec(text)![1]) + 1;
    assert.equal(built.trimmedContextLines, 2000 - shown);
    assert.ok(count([{ text: text.slice(text.indexOf('The current file')), special: false }]) <= 1000 + 40);
  });

  it('cuts a selection that does not fit to its head, and keeps the message', () => {
    const turns: ChatTurn[] = [{ role: 'user', content: 'Find the bug.', contexts: [selection(code(1000), 1)] }];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 600 });
    const text = promptText(built.pieces);
    assert.ok(built.tokens <= 600, `${built.tokens}`);
    assert.ok(text.includes('const v1 ='));
    assert.ok(text.includes('Find the bug.'));
    assert.ok(built.trimmedContextLines > 900);
    assert.equal(built.trimmedMessage, false);
  });

  it('cuts the typed message as the last resort', () => {
    const turns: ChatTurn[] = [{ role: 'user', content: 'word '.repeat(5000) }];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 300 });
    assert.ok(built.tokens <= 300);
    assert.equal(built.trimmedMessage, true);
    assert.match(promptText(built.pieces), /the rest of this message was cut/);
    assert.ok(promptText(built.pieces).endsWith('<|eot_id|>Assistant: '));
  });
});

describe('buildChatPrompt: trimming old turns', () => {
  it('keeps everything when it fits', () => {
    const turns = [...exchange(1), ...exchange(2), { role: 'user' as const, content: 'And f3?' }];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 4000 });
    assert.equal(built.firstKept, 0);
    assert.ok(promptText(built.pieces).includes('Question number 1'));
  });

  it('drops the oldest exchanges first, down to the trim target', () => {
    const turns: ChatTurn[] = [];
    for (let i = 1; i <= 10; i++) turns.push(...exchange(i));
    turns.push({ role: 'user', content: 'Last question?' });
    const full = count(buildChatPrompt(spec, turns, count, { system, budget: 1e9 }).pieces);
    const budget = Math.floor(full / 2);
    const built = buildChatPrompt(spec, turns, count, { system, budget, trimTarget: 0.75 });
    const text = promptText(built.pieces);
    assert.ok(built.tokens <= budget * 0.75, `${built.tokens} > ${budget * 0.75}`);
    assert.ok(built.trimmedTurns > 0 && built.trimmedTurns % 2 === 0, 'whole exchanges go');
    assert.equal(built.firstKept, built.trimmedTurns);
    assert.ok(!text.includes('Question number 1:'));
    assert.ok(text.includes('Question number 10:') && text.includes('Last question?'));
    assert.ok(text.startsWith('<|begin_of_text|>System: You are a coding assistant.<|eot_id|>User: Question number'));
    // Minimal: one exchange fewer would not fit under the target.
    const oneMore = buildChatPrompt(spec, turns, count, { system, budget: 1e9, keepFrom: built.firstKept - 2 });
    assert.ok(oneMore.tokens > budget * 0.75);
  });

  it('keeps the prompt start stable across turns when keepFrom is fed back', () => {
    const budget = 700;
    const turns: ChatTurn[] = [];
    let keepFrom = 0;
    let previous = '';
    let breaks = 0;
    for (let i = 1; i <= 30; i++) {
      turns.push({ role: 'user', content: `Question number ${i}: what does function f${i} return?` });
      const built = buildChatPrompt(spec, turns, count, { system, budget, keepFrom });
      assert.ok(built.tokens <= budget);
      const text = promptText(built.pieces);
      // The previous prompt plus its answer must be a prefix of this one, unless old turns were dropped now.
      if (previous !== '' && !text.startsWith(previous)) breaks++;
      keepFrom = built.firstKept;
      const answer = exchange(i)[1];
      turns.push(answer);
      previous = text + answer.content.trim();
    }
    assert.ok(breaks >= 1, 'the budget was reached');
    assert.ok(breaks <= 8, `prefix broke on ${breaks} of 30 turns`);

    // Without feeding keepFrom back, every turn past the budget changes the start of the prompt.
    let stateless = 0;
    previous = '';
    for (let n = 1; n <= 30; n++) {
      const slice = turns.slice(0, 2 * n - 1);
      const text = promptText(buildChatPrompt(spec, slice, count, { system, budget, trimTarget: 1 }).pieces);
      if (previous !== '' && !text.startsWith(previous)) stateless++;
      previous = text + turns[2 * n - 1].content.trim();
    }
    assert.ok(stateless > breaks, `${stateless} vs ${breaks}`);
  });

  it('never drops the new message, even when history alone is over budget', () => {
    const turns: ChatTurn[] = [
      { role: 'user', content: 'long '.repeat(2000) },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'short question' },
    ];
    const built = buildChatPrompt(spec, turns, count, { system, budget: 100 });
    assert.equal(built.firstKept, 2);
    assert.ok(promptText(built.pieces).includes('short question'));
    assert.ok(built.tokens <= 100);
  });
});
