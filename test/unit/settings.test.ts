import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, languageEnabled, normalizeSettings, SETTING_RANGES } from '../../protocol/src/index';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; keybindings: { command: string }[]; configuration: { properties: Record<string, { default?: unknown; minimum?: number; maximum?: number; enum?: string[] }> } };
};
const props = pkg.contributes.configuration.properties;

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

describe('settings', () => {
  it('package.json declares every setting with the protocol default', () => {
    const leaves: string[] = [];
    const walk = (o: Record<string, unknown>, prefix: string): void => {
      for (const [k, v] of Object.entries(o)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && key !== 'completion.languages') walk(v as Record<string, unknown>, key);
        else leaves.push(key);
      }
    };
    walk(DEFAULT_SETTINGS as unknown as Record<string, unknown>, '');
    for (const key of leaves) {
      const p = props[`trit.${key}`];
      assert.ok(p, `trit.${key} missing from package.json`);
      assert.deepEqual(p.default, get(DEFAULT_SETTINGS, key), `default of trit.${key}`);
    }
    const declared = Object.keys(props).filter((k) => k !== 'trit.trace.server');
    assert.deepEqual(declared.sort(), leaves.map((k) => `trit.${k}`).sort());
  });

  it('package.json ranges match the validator', () => {
    for (const [key, [min, max]] of Object.entries(SETTING_RANGES)) {
      assert.equal(props[`trit.${key}`]?.minimum, min, key);
      assert.equal(props[`trit.${key}`]?.maximum, max, key);
    }
  });

  it('every command the client registers is contributed, and keybindings name real commands', () => {
    const source = readFileSync(join(ROOT, 'client', 'src', 'commands.ts'), 'utf8');
    const registered = [...source.matchAll(/^\s+'(trit\.[A-Za-z]+)':/gm)].map((m) => m[1]).sort();
    const contributed = pkg.contributes.commands.map((c) => c.command).filter((c) => c.startsWith('trit.') && !c.startsWith('trit.chat')).sort();
    assert.ok(registered.length >= 10);
    assert.deepEqual(contributed.filter((c) => registered.includes(c)).length, registered.length);
    for (const kb of pkg.contributes.keybindings) assert.ok(pkg.contributes.commands.some((c) => c.command === kb.command), kb.command);
  });

  const rows: { name: string; raw: unknown; check: (s: ReturnType<typeof normalizeSettings>) => void }[] = [
    { name: 'nothing gives the defaults', raw: undefined, check: (s) => assert.deepEqual(s, DEFAULT_SETTINGS) },
    { name: 'wrong types fall back', raw: { completion: { maxTokens: 'many', enabled: 'yes', trigger: 'sometimes' } }, check: (s) => assert.deepEqual(s.completion, DEFAULT_SETTINGS.completion) },
    { name: 'numbers are clamped and rounded', raw: { completion: { maxTokens: 100000, debounceMs: -5, candidates: 2.6 } }, check: (s) => assert.deepEqual([s.completion.maxTokens, s.completion.debounceMs, s.completion.candidates], [512, 0, 3]) },
    { name: 'languages merge over the defaults', raw: { completion: { languages: { markdown: true, python: false, bad: 'x' } } }, check: (s) => {
      assert.equal(languageEnabled(s.completion, 'markdown'), true);
      assert.equal(languageEnabled(s.completion, 'python'), false);
      assert.equal(languageEnabled(s.completion, 'plaintext'), false);
      assert.equal(languageEnabled(s.completion, 'rust'), true);
      assert.equal('bad' in s.completion.languages, false);
    } },
    { name: 'the model path is trimmed', raw: { model: { path: '  ~/models/x.gguf ' } }, check: (s) => assert.equal(s.model.path, '~/models/x.gguf') },
    { name: 'NaN and Infinity fall back', raw: { context: { maxTokens: Number.NaN, suffixPercent: Number.POSITIVE_INFINITY } }, check: (s) => assert.deepEqual([s.context.maxTokens, s.context.suffixPercent], [0, 20]) },
  ];
  for (const r of rows) it(r.name, () => r.check(normalizeSettings(r.raw)));
});
