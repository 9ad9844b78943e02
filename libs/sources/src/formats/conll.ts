import type { SourceRow } from '@distillery/contracts';
import { fileBytes } from '../core/bytes.js';
import { decodeText, newDecodeInfo, textRowWarnings } from '../core/decode.js';
import { splitLines } from '../core/lines.js';
import type { ReadContext } from '../core/stream-source.js';
import { makeRow, type RowOrigin, sentinelRow } from '../row.js';

export interface ConllOptions {
  /** 1-based column of the token; detected when absent. */
  readonly tokenColumn?: number;
  /** 1-based column of the tag; detected when absent. */
  readonly tagColumn?: number;
  readonly encoding?: string;
}

const TAG = /^(O|[BIESLU]-\S+)$/;
const INDEX = /^\d+([-.]\d+)?$/;

const splitColumns = (line: string): string[] => (line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/));

interface Block {
  readonly lines: string[];
  readonly tokenLines: { readonly cols: string[]; readonly lineNo: number }[];
  text?: string;
  sentId?: string;
}

/**
 * Picks the token and tag columns from the first sentence: token = first column, or the second when the first is a
 * running index (CoNLL-U / UNER `.iob2`); tag = the last column whose every value looks like a BIO tag (`O`,
 * `B-x`, `I-x`, …), or the last column when none does.
 */
function detectColumns(block: Block): { token: number; tag: number; note: string } {
  const rows = block.tokenLines.map((t) => t.cols);
  const width = Math.min(...rows.map((r) => r.length));
  const indexed = width >= 3 && rows.every((r) => INDEX.test(r[0] as string));
  const token = indexed ? 1 : 0;
  let tag = width - 1;
  for (let c = width - 1; c > token; c -= 1) {
    if (rows.every((r) => TAG.test(r[c] as string))) {
      tag = c;
      break;
    }
  }
  return { token, tag, note: `token column ${token + 1}, tag column ${tag + 1}${indexed ? ' (column 1 is a token index)' : ''}` };
}

/**
 * CoNLL-style token/tag files → one row per sentence `{ tokens, tags }` (+ `text` from a `# text = …` comment and
 * `sent_id` from `# sent_id = …`). Sentences end at an empty or whitespace-only line (WNUT-17 uses TAB-only
 * lines). Lines starting with `#` that contain no TAB are comments. `-DOCSTART-` pseudo-sentences are skipped with a
 * warning. A token line with too few columns makes its sentence a sentinel row.
 */
export async function* readConll(path: string, origin: RowOrigin, ctx: ReadContext, opts: ConllOptions = {}): AsyncGenerator<SourceRow> {
  const info = newDecodeInfo();
  let columns: { token: number; tag: number } | undefined =
    opts.tokenColumn !== undefined && opts.tagColumn !== undefined ? { token: opts.tokenColumn - 1, tag: opts.tagColumn - 1 } : undefined;
  let position = 0;
  let lineNo = 0;
  let docstarts = 0;
  let commentOnly = 0;
  let block: Block = { lines: [], tokenLines: [] };

  const finish = (b: Block): SourceRow | undefined => {
    if (b.tokenLines.length === 0) {
      if (b.lines.length > 0) commentOnly += 1;
      return undefined;
    }
    if (b.tokenLines.length === 1 && b.tokenLines[0]?.cols[0] === '-DOCSTART-') {
      docstarts += 1;
      return undefined;
    }
    if (!columns) {
      const detected = detectColumns(b);
      columns = {
        token: opts.tokenColumn !== undefined ? opts.tokenColumn - 1 : detected.token,
        tag: opts.tagColumn !== undefined ? opts.tagColumn - 1 : detected.tag,
      };
      if (opts.tokenColumn === undefined || opts.tagColumn === undefined) ctx.warn(`columns detected: ${detected.note} (override with ?token_col=&tag_col=)`);
    }
    const raw = b.lines.join('\n');
    const warnings = textRowWarnings(info, raw);
    const need = Math.max(columns.token, columns.tag) + 1;
    const tokens: string[] = [];
    const tags: string[] = [];
    const skipIndex = columns.token > 0;
    for (const t of b.tokenLines) {
      if (skipIndex && /^\d+[-.]\d+$/.test(t.cols[0] as string)) continue; // CoNLL-U multiword / empty nodes
      if (t.cols.length < need) {
        const row = sentinelRow(origin, position, raw, `line ${t.lineNo}: expected at least ${need} columns, got ${t.cols.length}`, warnings);
        position += 1;
        return row;
      }
      tokens.push(t.cols[columns.token] as string);
      tags.push(t.cols[columns.tag] as string);
    }
    const fields: Record<string, unknown> = { tokens, tags };
    if (b.text !== undefined) fields['text'] = b.text;
    if (b.sentId !== undefined) fields['sent_id'] = b.sentId;
    const row = makeRow(origin, position, raw, fields, warnings);
    position += 1;
    return row;
  };

  for await (const line of splitLines(decodeText(fileBytes(path, ctx, 'conll'), ctx, info, opts.encoding), true)) {
    lineNo += 1;
    if (line.trim() === '') {
      const row = finish(block);
      block = { lines: [], tokenLines: [] };
      if (row) yield row;
      continue;
    }
    if (line.startsWith('#') && !line.includes('\t')) {
      // a comment after tokens starts a new sentence only at a blank line; keep it in this block's raw text
      block.lines.push(line);
      const m = /^#\s*(text|sent_id)\s*=\s?(.*)$/.exec(line);
      if (m && m[1] === 'text') block.text = m[2];
      else if (m && m[1] === 'sent_id') block.sentId = m[2];
      continue;
    }
    block.lines.push(line);
    block.tokenLines.push({ cols: splitColumns(line), lineNo });
  }
  const last = finish(block);
  if (last) yield last;
  if (docstarts > 0) ctx.warn(`skipped ${docstarts} -DOCSTART- line${docstarts > 1 ? 's' : ''}`);
  if (commentOnly > 0) ctx.warn(`${commentOnly} comment-only block${commentOnly > 1 ? 's' : ''} without tokens yielded no rows`);
}
