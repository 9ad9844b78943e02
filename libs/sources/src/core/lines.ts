/**
 * Splits decoded text into lines, streaming. Line breaks are `\n` and `\r\n`, plus a lone `\r` when `loneCr` is
 * set (old Mac text). Only the newest chunk is searched, so a very long line costs linear time. The terminator is
 * not part of the line; a final line without a terminator is still a line; an empty file has no lines.
 */
export async function* splitLines(chunks: AsyncIterable<string>, loneCr = false): AsyncGenerator<string> {
  for await (const batch of lineBatches(chunks, loneCr)) yield* batch;
}

/** {@link splitLines}, one array of lines per chunk of text: one await per chunk instead of one per line (hot path). */
export async function* lineBatches(chunks: AsyncIterable<string>, loneCr = false): AsyncGenerator<string[]> {
  let parts: string[] = [];
  let pendingCr = false; // previous chunk ended with '\r' (only with loneCr)
  for await (const chunk of chunks) {
    const batch: string[] = [];
    let start = 0;
    if (pendingCr) {
      pendingCr = false;
      if (chunk.startsWith('\n')) start = 1;
    }
    // next CR at or after `start`; searched again only once passed (a per-line search would be quadratic)
    let cr = loneCr ? chunk.indexOf('\r', start) : -1;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start);
      if (cr !== -1 && (nl === -1 || cr < nl - 1)) {
        // a lone CR (not immediately followed by the LF found)
        parts.push(chunk.slice(start, cr));
        batch.push(parts.length === 1 ? (parts[0] as string) : parts.join(''));
        parts = [];
        if (cr === chunk.length - 1) {
          pendingCr = true;
          start = chunk.length;
          break;
        }
        start = chunk[cr + 1] === '\n' ? cr + 2 : cr + 1;
        continue;
      }
      if (nl === -1) break;
      let end = nl;
      if (end > start && chunk.charCodeAt(end - 1) === 13) end -= 1;
      else if (end === start && parts.length > 0) {
        const last = parts[parts.length - 1] as string;
        if (last.endsWith('\r')) parts[parts.length - 1] = last.slice(0, -1);
      }
      parts.push(chunk.slice(start, end));
      batch.push(parts.length === 1 ? (parts[0] as string) : parts.join(''));
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.slice(start));
    if (batch.length > 0) yield batch;
  }
  if (parts.length > 0) {
    let line = parts.join('');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    yield [line];
  }
}
