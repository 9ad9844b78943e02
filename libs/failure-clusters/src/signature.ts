/**
 * The signature of a failure summary: the summary with everything that varies between two occurrences of the same
 * failure replaced by a placeholder, so "out of memory at step 1200" and "out of memory at step 4500" group
 * together. Pure and deterministic: a rebuild computes the same signature for the same summary, forever — changing a
 * rule changes cluster ids, so it ships as a new projection version (a rebuild), never in place.
 *
 * Rules, in the order they apply (each sees the output of the previous ones):
 *  1. the event's own run id, as a whole token (4+ chars)       → <run>
 *  2. URLs (scheme://… and www.…)                               → <url>
 *  3. e-mail addresses                                          → <email>
 *  4. quoted strings ("…", '…', `…`, “…”, ‘…’)                  → <str>
 *  5. file paths (/abs, ~/…, ./…, ../…, C:\…, dir/file.ext)     → <path>  (before ids: a path holding a UUID is one path)
 *  6. UUIDs                                                     → <uuid>
 *  7. timestamps (ISO 8601 date/time, date, hh:mm:ss)           → <time>
 *  8. hex ids: 0x…, 8+ hex digits with a letter, or 8+ glued to an id by - or _ → <hex>
 *  9. numbers (integers, decimals, 1,234, 1e-5, signs)          → <n>
 *     — except an HTTP status (`HTTP 404`) and an exit code (`exit code 137`): they name different failures.
 * 10. a run of the same placeholder separated only by , ; or spaces → one placeholder (lists of varying length)
 * 11. whitespace collapsed, trimmed, cut to 500 characters.
 */
/** Every placeholder a signature may hold, in rule order. */
export const PLACEHOLDERS = ['<run>', '<url>', '<email>', '<str>', '<path>', '<uuid>', '<time>', '<hex>', '<n>'] as const;

export interface SignatureContext {
  /** The run the event belongs to: its id, where it appears in the summary, becomes `<run>`. */
  readonly run_id?: string;
}

/** Longest signature kept (the summary limit of a RunEvent). */
export const SIGNATURE_MAX = 500;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Trailing sentence punctuation is not part of a URL or path: "see https://x.io/a." keeps its full stop. */
const keepTrailing = (placeholder: string) => (m: string) => {
  const tail = /[.,;:!?]+$/.exec(m)?.[0] ?? '';
  return `${placeholder}${tail}`;
};

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>()[\]{}]+|\bwww\.[^\s"'`<>()[\]{}]+/gi;
const EMAIL_RE = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;
const QUOTED_RE = /"(?:[^"\\]|\\.)*"|(?<![\w'])'[^'\n]*'(?!\w)|`[^`]*`|“[^”]*”|‘[^’]*’/g;
const TIMESTAMP_RE = /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\w])|\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g;
const UUID_RE = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const WINDOWS_PATH_RE = /\b[A-Za-z]:\\[^\s"'`<>|,;]*/g;
/** Starts a token (after a space, an opening bracket, `=`, `:` or a quote): `jsonl:/data/x.jsonl` keeps `jsonl:`. */
const ROOTED_PATH_RE = /(?<=^|[\s([{=:,'"])(?:~|\.{1,2})?\/[^\s"'`<>()[\]{},;:]+/g;
/** A relative path with a file extension (`data/train.jsonl`); `hf:owner/name` and `and/or` stay. */
const RELATIVE_PATH_RE = /(?<![\w/.-])(?:[\w.-]+\/)+[\w-]+(?:\.[\w-]+)*\.[A-Za-z][A-Za-z0-9]{0,7}(?![\w/])/g;
const HEX_RE = /\b0x[0-9a-f]+\b|(?<=[A-Za-z0-9][-_])[0-9a-f]{8,}\b|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi;
const NUMBER_RE = /(?<!\bHTTP |\bexit code )(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?/gi;
const REPEATED_RE = new RegExp(`(${PLACEHOLDERS.join('|')})(?:[\\s,;]+\\1)+`, 'g');

/** The signature of a failure summary (see the rules above). */
export function signatureOf(summary: string, ctx: SignatureContext = {}): string {
  let s = summary;
  const run = ctx.run_id;
  if (run && run.length >= 4) {
    s = s.replace(new RegExp(`(?<![A-Za-z0-9_-])${escapeRegExp(run)}(?![A-Za-z0-9_-])`, 'g'), '<run>');
  }
  s = s
    .replace(URL_RE, keepTrailing('<url>'))
    .replace(EMAIL_RE, '<email>')
    .replace(QUOTED_RE, '<str>')
    .replace(WINDOWS_PATH_RE, keepTrailing('<path>'))
    .replace(ROOTED_PATH_RE, keepTrailing('<path>'))
    .replace(RELATIVE_PATH_RE, '<path>')
    .replace(UUID_RE, '<uuid>')
    .replace(TIMESTAMP_RE, '<time>')
    .replace(HEX_RE, '<hex>')
    .replace(NUMBER_RE, '<n>')
    .replace(REPEATED_RE, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length <= SIGNATURE_MAX ? s : s.slice(0, SIGNATURE_MAX).trimEnd();
}
