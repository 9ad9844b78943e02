/**
 * BIO decoding for bio_to_spans.
 *
 * Tag schemes: IOB2 (`B-X`, `I-X`, `O`), IOBES (`E-X`, `S-X`) and BILOU (`L-X`, `U-X`); `-` or `_` after the prefix.
 * `B`/`S`/`U` open a span (`S`/`U` close it at once); `I`/`E`/`L` continue an open span of the same type (`E`/`L` then
 * close it); `O` closes. An `I-X` (or `E-X`/`L-X`) with no open `X` span is *orphan*: mode 'repair' (default) opens
 * a new span there, as conlleval does, and reports it; mode 'strict' fails.
 *
 * Offsets: `text` is the tokens joined by single spaces. A span's `start`/`end` are character offsets into `text`
 * (end exclusive), `token_start`/`token_end` token indexes (end exclusive), and `text.slice(start, end)` equals
 * `tokens.slice(token_start, token_end).join(' ')`.
 */

export interface Span {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly token_start: number;
  readonly token_end: number;
}

export type BioResult =
  | { readonly ok: true; readonly text: string; readonly spans: readonly Span[]; readonly repaired: number }
  | { readonly ok: false; readonly detail: string };

const TAG = /^([BIESLU])[-_](\S+)$/;

export function decodeBio(tokens: readonly string[], tags: readonly string[], mode: 'repair' | 'strict' = 'repair'): BioResult {
  const offsets: number[] = [];
  let at = 0;
  for (const t of tokens) {
    offsets.push(at);
    at += t.length + 1;
  }
  const text = tokens.join(' ');
  const spans: Span[] = [];
  let open: { type: string; from: number } | undefined;
  let repaired = 0;

  const close = (toExclusive: number): void => {
    if (!open) return;
    const start = offsets[open.from] ?? 0;
    const last = toExclusive - 1;
    const end = (offsets[last] ?? 0) + (tokens[last]?.length ?? 0);
    spans.push({ type: open.type, start, end, text: text.slice(start, end), token_start: open.from, token_end: toExclusive });
    open = undefined;
  };

  for (let i = 0; i < tags.length; i++) {
    const tag = (tags[i] ?? '').trim();
    if (tag === 'O') {
      close(i);
      continue;
    }
    const m = TAG.exec(tag);
    if (!m) return { ok: false, detail: `tag ${JSON.stringify(tags[i])} at token ${i} is not a BIO tag` };
    const prefix = m[1] as string;
    const type = m[2] as string;
    if (prefix === 'B' || prefix === 'S' || prefix === 'U') {
      close(i);
      open = { type, from: i };
      if (prefix !== 'B') close(i + 1);
      continue;
    }
    // I / E / L: continue, or orphan
    if (!open || open.type !== type) {
      if (mode === 'strict') {
        const after = open ? `a ${open.type} span` : i === 0 ? 'the start' : `'${tags[i - 1] ?? ''}'`;
        return { ok: false, detail: `tag '${tag}' at token ${i} follows ${after}, not a ${type} span` };
      }
      close(i);
      open = { type, from: i };
      repaired += 1;
    }
    if (prefix !== 'I') close(i + 1);
  }
  close(tags.length);
  return { ok: true, text, spans, repaired };
}
