import { describe, expect, it } from '@jest/globals';
import { fmix32, fnv1a64, hashUnit, mulberry32, murmur3, murmur3Words, seededWords, utf8Bytes } from '../src/index.js';

describe('FNV-1a 64', () => {
  it('matches the published test vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('hashes UTF-8 bytes (cross-checked with an independent big-integer implementation)', () => {
    expect(fnv1a64('café 東京 😀')).toBe('a3f8b805dae651e6');
  });
});

describe('MurmurHash3 x86_32', () => {
  it('matches the reference vectors, tails of 0–3 bytes included', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
    expect(murmur3('café 東京 😀', 42)).toBe(0xd072629e);
  });

  it('hashes words as 4-byte little-endian blocks, like the byte version', () => {
    const bytes = utf8Bytes('abcdefgh');
    const words = [0, 4].map((o) => (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0);
    expect(murmur3Words(words, 0, 2, 7)).toBe(murmur3('abcdefgh', 7));
  });

  it('fmix32 is a bijection on a sample (no collisions among 100k consecutive inputs)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100_000; i++) seen.add(fmix32(i));
    expect(seen.size).toBe(100_000);
  });
});

describe('utf8Bytes', () => {
  it('encodes 1- to 4-byte sequences and lone surrogates as U+FFFD', () => {
    expect([...utf8Bytes('aé€😀')]).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect([...utf8Bytes('\ud800x')]).toEqual([0xef, 0xbf, 0xbd, 0x78]);
  });
});

describe('hashUnit', () => {
  it('is deterministic, in [0, 1), and depends on both key and seed', () => {
    expect(hashUnit('row-1', 42)).toBe(hashUnit('row-1', 42));
    expect(hashUnit('row-1', 42)).not.toBe(hashUnit('row-1', 43));
    expect(hashUnit('row-1', 42)).not.toBe(hashUnit('row-2', 42));
    expect(hashUnit('row-1', 2 ** 40)).not.toBe(hashUnit('row-1', 0)); // seeds beyond 32 bits do not wrap
  });

  it('is close to uniform (10 bins over 20k keys within ±8 % of the mean)', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const u = hashUnit(`row-${i}`, 7);
      expect(u >= 0 && u < 1).toBe(true);
      bins[Math.floor(u * 10)]!++;
    }
    for (const b of bins) expect(Math.abs(b - 2000)).toBeLessThan(160);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const xs = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededWords(9, 4)).toEqual(seededWords(9, 4));
  });
});
