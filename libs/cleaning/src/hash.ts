/**
 * Fast non-cryptographic hashing and a seeded PRNG, written here because domain code may not import node:crypto.
 * Strings are hashed as their UTF-8 bytes (lone surrogates count as U+FFFD, as TextEncoder does), so results match
 * the reference definitions of the algorithms and any other implementation that hashes UTF-8.
 *
 * - FNV-1a 64-bit (Fowler–Noll–Vo): content hashes for exact dedup. 64 bits keep the collision odds negligible for
 *   datasets of millions of rows (~N²/2⁶⁵).
 * - MurmurHash3 x86_32 (Appleby): shingle hashes for MinHash, LSH band keys and the split hash.
 * - mulberry32: a tiny seeded PRNG for derived constants (MinHash salts) and tests.
 *
 * Nothing here is a security primitive: the caller adds sha256 of artifacts.
 */

// Cached once: a global lookup per call is cheap in Node but slow inside Jest's sandboxed global object.
const imul = Math.imul;
const floor = Math.floor;

let scratch = new Uint8Array(256);

/** Writes the UTF-8 bytes of `s` into a shared scratch buffer and returns their count (no per-call allocation). */
function encodeUtf8(s: string): number {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3 + 64);
  const out = scratch;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xf0 | (c >> 18);
      out[n++] = 0x80 | ((c >> 12) & 0x3f);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n;
}

/** The UTF-8 encoding of `s` (lone surrogates → U+FFFD). */
export function utf8Bytes(s: string): Uint8Array {
  return scratch.slice(0, encodeUtf8(s));
}

const TWO_32 = 4294967296;

/** FNV-1a 64-bit of the UTF-8 bytes of `s`, as 16 lowercase hex digits. Arithmetic in two 32-bit halves. */
export function fnv1a64(s: string): string {
  // offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const n = encodeUtf8(s);
  const bytes = scratch;
  for (let i = 0; i < n; i++) {
    lo = (lo ^ (bytes[i] as number)) >>> 0;
    const loMul = lo * 0x1b3; // < 2^41: exact in a double
    hi = (hi * 0x1b3 + ((lo << 8) >>> 0) + floor(loMul / TWO_32)) >>> 0;
    lo = loMul >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

const rotl32 = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** The MurmurHash3 finalizer: a bijection on 32-bit integers with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 of the UTF-8 bytes of `s` (unsigned 32-bit result). */
export function murmur3(s: string, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const len = encodeUtf8(s);
  const b = scratch;
  let h = seed >>> 0;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
    k = imul(k, c1);
    k = rotl32(k, 15);
    k = imul(k, c2);
    h ^= k;
    h = rotl32(h, 13);
    h = (imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (len & 3) {
    case 3:
      k ^= (b[blocks + 2] as number) << 16;
    // falls through
    case 2:
      k ^= (b[blocks + 1] as number) << 8;
    // falls through
    case 1:
      k ^= b[blocks] as number;
      k = imul(k, c1);
      k = rotl32(k, 15);
      k = imul(k, c2);
      h ^= k;
  }
  h ^= len;
  return fmix32(h);
}

/** MurmurHash3 x86_32 over a sequence of 32-bit words (each word is one 4-byte little-endian block). */
export function murmur3Words(words: ArrayLike<number>, from: number, to: number, seed = 0): number {
  let h = seed >>> 0;
  for (let i = from; i < to; i++) {
    let k = imul(words[i] ?? 0, 0xcc9e2d51);
    k = rotl32(k, 15);
    k = imul(k, 0x1b873593);
    h ^= k;
    h = rotl32(h, 13);
    h = (imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= (to - from) * 4;
  return fmix32(h);
}

/**
 * A number in [0, 1) derived from `key` and an integer `seed` only (53 bits from two MurmurHash3 lanes). Any integer
 * seed works, negative or beyond 32 bits: the seed is hashed as its decimal string together with the key.
 */
export function hashUnit(key: string, seed: number): number {
  const s = `${seed}\u0000${key}`;
  const a = murmur3(s, 0x5eed1234);
  const b = murmur3(s, 0x9e3779b9);
  return (a * 2097152 + (b >>> 11)) / 9007199254740992; // (a·2^21 + top 21 bits of b) / 2^53
}

/** mulberry32: a small, fast, seeded PRNG with a 2^32 period. Returns a function yielding numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_32;
  };
}

/** `n` 32-bit integers from a seed (mulberry32), e.g. MinHash salts. */
export function seededWords(seed: number, n: number): Uint32Array {
  const next = mulberry32(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * TWO_32) >>> 0;
  return out;
}
