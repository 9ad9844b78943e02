const encoder = new TextEncoder();

/**
 * JSON Lines in a growable byte buffer: `push(value)` appends `JSON.stringify(value)` and a line feed, as UTF-8 —
 * the bytes an artifact writer writes for the same values, made without a string per chunk (joining thousands of
 * lines, then encoding them, costs more than the serialisation). It remembers where each line ends, so that some
 * lines can be left out afterwards (the duplicate rows of an import).
 */
export class JsonLinesBuffer {
  private buf: Uint8Array;
  private len = 0;
  private ends: number[] = [];

  constructor(capacity = 1 << 20) {
    this.buf = new Uint8Array(capacity);
  }

  push(value: unknown): void {
    this.pushLine(JSON.stringify(value));
  }

  /** Appends a line already serialised (no line feed in it). */
  pushLine(line: string): void {
    const worst = this.len + line.length * 3 + 1; // UTF-8: at most 3 bytes per UTF-16 code unit
    if (worst > this.buf.length) this.grow(worst);
    this.len += encoder.encodeInto(line, this.buf.subarray(this.len)).written;
    this.buf[this.len++] = 10;
    this.ends.push(this.len);
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.len;
  }

  /** Lines held. */
  get lineCount(): number {
    return this.ends.length;
  }

  /** The bytes held (a copy of exactly that size) and where each line ends in them; the buffer is empty again. */
  take(): { bytes: Uint8Array; ends: number[] } {
    const out = { bytes: this.buf.slice(0, this.len), ends: this.ends };
    this.len = 0;
    this.ends = [];
    return out;
  }

  private grow(atLeast: number): void {
    const next = new Uint8Array(Math.max(atLeast, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

/** The lines of `bytes` (line ends `ends`, as from JsonLinesBuffer.take) whose `keep(i)` is true, in order. */
export function keepLines(bytes: Uint8Array, ends: readonly number[], keep: (line: number) => boolean): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let len = 0;
  let start = 0;
  for (let i = 0; i < ends.length; i += 1) {
    const end = ends[i] as number;
    if (keep(i)) {
      out.set(bytes.subarray(start, end), len);
      len += end - start;
    }
    start = end;
  }
  return out.subarray(0, len);
}
