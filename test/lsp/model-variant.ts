// A copy of a GGUF model with extra metadata (weights and tokenizer unchanged), for tests that need the same
// network to take another role, e.g. the shipped code model tagged with a chat format so the engine runs chat jobs
// on it.
export async function modelWithMeta(src: string, dst: string, strings: Record<string, string>): Promise<void> {
  const spec = '../../tools/gguf.mjs';
  const gguf = (await import(spec)) as {
    readGGUF(p: string): { kv: Map<string, { type: number; value: unknown; elemType?: number }>; tensors: { name: string; dims: number[]; type: number }[] };
    readTensorBytes(p: string, f: unknown, t: unknown): Buffer;
    GGUFWriter: new () => { set(k: string, t: number, v: unknown, e?: number): unknown; tensor(n: string, d: number[], t: number, b: Buffer): unknown; writeFile(p: string): number };
  };
  const STRING = 8;
  const file = gguf.readGGUF(src);
  const w = new gguf.GGUFWriter();
  for (const [key, kv] of file.kv) if (!(key in strings) && key !== 'general.alignment') w.set(key, kv.type, kv.value, kv.elemType);
  for (const [key, value] of Object.entries(strings)) w.set(key, STRING, value);
  for (const t of file.tensors) w.tensor(t.name, t.dims, t.type, gguf.readTensorBytes(src, file, t));
  w.writeFile(dst);
}
