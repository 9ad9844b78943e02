import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCorruptError, ArtifactNotFoundError, FileArtifactStore } from '../src/index.js';

const store = () => new FileArtifactStore(mkdtempSync(join(tmpdir(), 'artifacts-')));

describe('FileArtifactStore', () => {
  it('names blobs by the sha256 of their bytes and stores identical content once', async () => {
    const s = store();
    const a = await s.putBytes('hello\n', 'text/plain');
    const b = await s.put(['hel', Buffer.from('lo\n')], 'text/plain');
    const expected = createHash('sha256').update('hello\n').digest('hex');
    expect(a).toEqual({ uri: `artifact://sha256/${expected}`, sha256: expected, bytes: 6, media_type: 'text/plain' });
    expect(b.uri).toBe(a.uri);
    expect((await s.readBytes(a)).toString()).toBe('hello\n');
    expect(await s.has(a)).toBe(true);
  });

  it('round-trips JSON Lines in a streaming way', async () => {
    const s = store();
    function* rows() {
      for (let i = 0; i < 20_000; i += 1) yield { i, text: `row ${i}` };
    }
    const ref = await s.putJsonl(rows());
    expect(ref.media_type).toBe('application/x-ndjson');
    let n = 0;
    for await (const r of s.readJsonl<{ i: number }>(ref)) {
      expect(r.i).toBe(n);
      n += 1;
    }
    expect(n).toBe(20_000);
  });

  it('writes JSON Lines one value at a time, two writers at once, and discards an aborted one', async () => {
    const s = store();
    const a = await s.jsonlWriter();
    const b = await s.jsonlWriter();
    for (let i = 0; i < 1000; i += 1) await (i % 2 ? a : b).write({ i });
    expect([a.count, b.count]).toEqual([500, 500]);
    const refA = await a.close();
    const odd: number[] = [];
    for await (const r of s.readJsonl<{ i: number }>(refA)) odd.push(r.i);
    expect(odd).toHaveLength(500);
    expect(odd.every((i) => i % 2 === 1)).toBe(true);
    await b.abort();
    const again = await s.putJsonl(odd.map((i) => ({ i })));
    expect(again.uri).toBe(refA.uri);
  });

  it('reports missing and corrupted blobs', async () => {
    const s = store();
    const missing = `artifact://sha256/${'0'.repeat(64)}`;
    await expect(s.open(missing)).rejects.toThrow(ArtifactNotFoundError);
    const ref = await s.putBytes('original', 'text/plain');
    writeFileSync(s.pathFor(ref), 'tampered');
    await expect(s.verify(ref)).rejects.toThrow(ArtifactCorruptError);
    expect(() => s.pathFor('http://example.com/x')).toThrow(/not an artifact URI/);
  });
});
