import type { PiiCandidate } from './types.js';
import {
  cardBrand,
  IBAN_LENGTHS,
  ibanValid,
  ipv4Class,
  ipv6Valid,
  luhnValid,
  nhsValid,
  nirValid,
  parseIpv4,
  ssnValid,
} from './validators.js';

/**
 * Detectors for personal data. Each one matches a shape with a regular expression and then confirms it with a
 * validator (checksum, number plan, octet ranges); a shape alone gives a low confidence or nothing. Context rules keep
 * dates, years, prices, versions and order numbers out (README, "False positives"; test/pii-detect.unit.spec.ts).
 */

const before = (text: string, at: number, n: number): string => text.slice(Math.max(0, at - n), at);
const after = (text: string, at: number, n: number): string => text.slice(at, at + n);

const candidate = (kind: PiiCandidate['kind'], text: string, start: number, end: number, confidence: number, validator: string): PiiCandidate => ({
  kind,
  start,
  end,
  text: text.slice(start, end),
  confidence: Math.round(Math.min(1, confidence) * 100) / 100,
  validator,
});

// ── email ─────────────────────────────────────────────────────────────────────────────────────────────────────────

const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
/** File extensions that look like TLDs in `logo@2x.png`-style asset names. */
const NOT_TLD = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'css', 'js', 'ts', 'json', 'yaml', 'yml', 'lock']);

export function detectEmails(text: string): PiiCandidate[] {
  if (!text.includes('@')) return [];
  const out: PiiCandidate[] = [];
  for (const m of text.matchAll(EMAIL)) {
    const s = m[0];
    const [local = '', domain = ''] = s.split('@');
    const tld = domain.slice(domain.lastIndexOf('.') + 1).toLowerCase();
    if (local.includes('..') || NOT_TLD.has(tld)) continue;
    out.push(candidate('email', text, m.index, m.index + s.length, 0.95, 'rfc5322_shape'));
  }
  return out;
}

// ── phone ─────────────────────────────────────────────────────────────────────────────────────────────────────────

/** A run that starts with `+`, `(` or a digit, ends with a digit, and holds only digits and phone punctuation. */
const PHONE_RUN = /(?:\+|\(\+?)?\d[\d\u00a0 ().-]*\d/g;
const PHONE_KEYWORD = /(?:^|[^\p{L}])(?:tel|t[ée]l[ée]phone|telephone|phone|freephone|freefone|ph|call|fax|mobile|mob|cell|cellphone|whatsapp|hotline|contact|tél|telefon|telefono|teléfono)\b[^\n\d]{0,30}$/iu;
const DATE_LIKE = /^\(?(?:\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{4}[-./]\d{1,2}[-./]\d{1,2})(?!\d)/;
/** North American numbers: area code 2–9xx; the exchange must be 2–9xx too unless the layout is the distinctive
 * `(555) 123-4567` or `555-123-4567`. */
const NANP = /^(?:\+?1[-. ]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-. ])[2-9]\d{2}[-. ]\d{4}$/;
const NANP_LAYOUT = /^(?:\+?1[- ]?)?(?:\([2-9]\d{2}\) ?\d{3}-\d{4}|[2-9]\d{2}-\d{3}-\d{4})$/;
const TRUNK_GROUPED = /^\(?0[1-9]\d{0,3}\)?(?:[-. ]\d{2,4}){1,4}$/;
const TRUNK_LONG_TAIL = /^\(?0[1-9]\d{0,3}\)?[-. ]\d{5,8}$/;
const CURRENCY_BEFORE = /[$€£¥₹]\s?$|(?:USD|EUR|GBP|JPY|CHF|RM|Rs\.?)\s?$/;
const CURRENCY_AFTER = /^\s?(?:%|[$€£¥₹]|(?:USD|EUR|GBP|JPY|CHF|dollars|euros|pounds)\b)/i;

/** Which number plan a phone-like run fits, or undefined. `keyword`: a phone word just before it. */
export function classifyPhone(run: string, keyword: boolean): { confidence: number; validator: string } | undefined {
  const digits = run.replace(/\D/g, '');
  if (digits.length < 8 || digits.length > 15) return undefined;
  const norm = run.replace(/\u00a0/g, ' ');
  if (/ {2,}|[-.]{2,}|[-. ][-. ]/.test(norm)) return undefined;
  const seps = new Set(norm.replace(/[\d()+]/g, ''));
  if (seps.has('.') && seps.size > 1) return undefined; // "01.02.2019 12": a date and a time, not a number
  const open = (norm.match(/\(/g) ?? []).length;
  const close = (norm.match(/\)/g) ?? []).length;
  if (open !== close || open > 1 || (open === 1 && !/\(\+?\d{1,4}\)/.test(norm))) return undefined;
  if (DATE_LIKE.test(norm)) return undefined;
  if (/^\d{3}-\d{2}-\d{4}$/.test(norm)) return undefined; // the US SSN layout, never a dialling format
  const boost = keyword ? 0.05 : 0;
  if (norm.startsWith('+') || norm.startsWith('(+')) return { confidence: 0.9 + boost, validator: 'e164' };
  if (/^\(?00[1-9]/.test(norm) && digits.length >= 10 && seps.size > 0) return { confidence: 0.8 + boost, validator: 'international_00' };
  if (NANP.test(norm) || NANP_LAYOUT.test(norm)) return { confidence: (seps.size === 1 && seps.has(' ') ? 0.7 : 0.85) + boost, validator: 'nanp' };
  if (digits.length >= 9 && digits.length <= 12 && (TRUNK_GROUPED.test(norm) || TRUNK_LONG_TAIL.test(norm))) {
    return { confidence: 0.75 + boost, validator: 'national_trunk_0' };
  }
  if (keyword && /^\(?\d[\d ()-]*$/.test(norm)) return { confidence: 0.6, validator: 'keyword_context' };
  return undefined;
}

export function detectPhones(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  for (const m of text.matchAll(PHONE_RUN)) {
    let run = m[0];
    const start = m.index;
    const prev = text.charAt(start - 1);
    if (/[\p{L}\p{N}_.,/#@$€£¥-]/u.test(prev)) continue;
    const keyword = PHONE_KEYWORD.test(before(text, start, 48));
    if (CURRENCY_BEFORE.test(before(text, start, 5))) continue;
    // A run that fails may carry a trailing group that is not part of the number ("… 0958 2 times"): drop groups.
    for (;;) {
      const end = start + run.length;
      const next = after(text, end, 2);
      const bounded = !/^[\p{L}\p{N}_]|^[.,/-]\d/u.test(next) && !CURRENCY_AFTER.test(after(text, end, 9));
      const verdict = bounded ? classifyPhone(run, keyword) : undefined;
      if (verdict) {
        out.push(candidate('phone', text, start, end, verdict.confidence, verdict.validator));
        break;
      }
      const cut = run.search(/[ .-][^ .-]*$/);
      if (cut <= 0) break;
      run = run.slice(0, cut).replace(/[ .(-]+$/, '');
      if (!/\d$/.test(run)) break;
    }
  }
  return out;
}

// ── payment cards and IBAN ────────────────────────────────────────────────────────────────────────────────────────

const CARD_RUN = /(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w]|-\d)/g;
const CARD_KEYWORD = /(?:card|visa|master\s?card|amex|american express|discover|maestro|jcb|diners|unionpay|credit|debit|cc|pan)\b[^\n\d]{0,20}$/i;

/** [start, end) ranges of URLs (`scheme://…`, `www.…`): numbers and tokens inside them are ids, not PII. */
export function urlRanges(text: string): Array<readonly [number, number]> {
  if (!text.includes('://') && !text.includes('www.')) return [];
  return [...text.matchAll(/\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s"'<>()\]]+/gi)].map((m) => [m.index, m.index + m[0].length] as const);
}

export const insideRanges = (ranges: ReadonlyArray<readonly [number, number]>, at: number): boolean => ranges.some(([a, b]) => at >= a && at < b);

/**
 * Payment cards: 13–19 digits, one separator kind (space or dash) in 4-4-4-4(-3) or Amex 4-6-5 groups, a known IIN
 * range for the length, and Luhn. A run without separators must be 15 or 16 digits (Amex, the common length) unless
 * a card word precedes it: receipt, invoice and tweet ids of other lengths pass Luhn one time in ten.
 */
export function detectCards(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  const urls = urlRanges(text);
  for (const m of text.matchAll(CARD_RUN)) {
    const run = m[0];
    const digits = run.replace(/\D/g, '');
    if (digits.length < 13 || digits.length > 19 || insideRanges(urls, m.index)) continue;
    const seps = new Set(run.replace(/\d/g, ''));
    if (seps.size > 1) continue;
    if (seps.size === 0 && digits.length !== 15 && digits.length !== 16 && !CARD_KEYWORD.test(before(text, m.index, 30))) continue;
    if (seps.size === 1) {
      const groups = run.split(/[ -]/).map((g) => g.length);
      const fours = groups.slice(0, -1).every((g) => g === 4) && (groups[groups.length - 1] ?? 0) <= 4;
      const amexLike = groups.length === 3 && groups[0] === 4 && groups[1] === 6 && (groups[2] === 5 || groups[2] === 4);
      if (!fours && !amexLike) continue;
    }
    const brand = cardBrand(digits);
    if (!brand || !luhnValid(digits)) continue;
    out.push(candidate('credit_card', text, m.index, m.index + run.length, seps.size === 1 ? 0.95 : 0.85, `luhn+iin:${brand}`));
  }
  return out;
}

const IBAN_RUN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){2,8}(?![A-Za-z0-9])/g;

export function detectIbans(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  for (const m of text.matchAll(IBAN_RUN)) {
    const run = m[0];
    const expected = IBAN_LENGTHS[run.slice(0, 2)];
    if (expected === undefined) continue;
    // Take exactly `expected` alphanumerics; a grouped IBAN may be followed by an unrelated group ("… 00 EUR").
    let count = 0;
    let cut = -1;
    for (let i = 0; i < run.length; i++) {
      if (run.charAt(i) !== ' ') count++;
      if (count === expected) {
        cut = i + 1;
        break;
      }
    }
    if (cut < 0 || (cut < run.length && run.charAt(cut) !== ' ')) continue;
    const compact = run.slice(0, cut).replace(/ /g, '');
    if (!ibanValid(compact)) continue;
    out.push(candidate('iban', text, m.index, m.index + cut, 0.95, 'mod97'));
  }
  return out;
}

// ── IP addresses ──────────────────────────────────────────────────────────────────────────────────────────────────

const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
const VERSION_BEFORE = /\b(?:v|ver|version|release|build|rev|revision|firmware|fw)\.?\s*$/i;
const IPV6 = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![\w:])/g;

export function detectIps(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  for (const m of text.matchAll(IPV4)) {
    const octets = parseIpv4(m[0]);
    if (!octets || VERSION_BEFORE.test(before(text, m.index, 12))) continue;
    const cls = ipv4Class(octets);
    if (cls === 'not_an_address' || cls === 'loopback') continue;
    const confidence = cls === 'public' ? 0.9 : cls === 'private' ? 0.6 : 0.55;
    out.push(candidate('ip_address', text, m.index, m.index + m[0].length, confidence, `ipv4:${cls}`));
  }
  if (text.includes(':')) {
    for (const m of text.matchAll(IPV6)) {
      const s = m[0];
      if (!ipv6Valid(s) || !/\d/.test(s)) continue;
      const groups = s.split(':').filter((g) => g !== '' && !/^0+$/.test(g));
      if (groups.length < 2) continue; // ::, ::1 and friends are not about anyone
      const low = s.toLowerCase();
      const local = /^(?:fe[89ab]|f[cd])/.test(low) || low.startsWith('2001:db8');
      out.push(candidate('ip_address', text, m.index, m.index + s.length, local ? 0.6 : 0.9, local ? 'ipv6:local' : 'ipv6:global'));
    }
  }
  return out;
}

// ── national identifiers with a check rule ───────────────────────────────────────────────────────────────────────

const SSN = /(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w]|-\d)/g;
const SSN_KEYWORD_PLAIN = /\b(?:ssn|social security(?: number| no\.?| #)?)\s*[:#]?\s*(\d{9})(?!\w)/dgi;
const SSN_KEYWORD = /\b(?:ssn|social security)\b/i;
const NHS = /(?<![\w-])(\d{3})([- ]?)(\d{3})\2(\d{4})(?![\w]|-\d)/g;
const NHS_KEYWORD = /\bNHS\b/i;
const NIR = /(?<!\w)[12378] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\w)/gi;
const NIR_KEYWORD = /\b(?:NIR|INSEE|s[ée]curit[ée] sociale|num[ée]ro de s[ée]cu)/i;

export function detectNationalIds(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  for (const m of text.matchAll(SSN)) {
    if (!ssnValid(m[1] ?? '', m[3] ?? '', m[4] ?? '')) continue;
    const kw = SSN_KEYWORD.test(before(text, m.index, 40)) ? 0.1 : 0;
    out.push(candidate('us_ssn', text, m.index, m.index + m[0].length, (m[2] === '-' ? 0.85 : 0.6) + kw, 'ssn_ranges'));
  }
  for (const m of text.matchAll(SSN_KEYWORD_PLAIN)) {
    const digits = m[1] ?? '';
    const at = m.indices?.[1]?.[0];
    if (at === undefined || !ssnValid(digits.slice(0, 3), digits.slice(3, 5), digits.slice(5))) continue;
    out.push(candidate('us_ssn', text, at, at + digits.length, 0.85, 'ssn_ranges+keyword'));
  }
  for (const m of text.matchAll(NHS)) {
    if (!nhsValid(m[0])) continue;
    const keyword = NHS_KEYWORD.test(before(text, m.index, 40));
    // The NHS display format is 3-3-4 with spaces; bare or dashed 10-digit numbers need the word "NHS" nearby.
    if (!keyword && m[2] !== ' ') continue;
    out.push(candidate('uk_nhs_number', text, m.index, m.index + m[0].length, keyword ? 0.95 : 0.55, keyword ? 'mod11+keyword' : 'mod11'));
  }
  for (const m of text.matchAll(NIR)) {
    const compact = m[0].replace(/ /g, '').toUpperCase();
    if (!nirValid(compact)) continue;
    const keyword = NIR_KEYWORD.test(before(text, m.index, 50));
    out.push(candidate('fr_nir', text, m.index, m.index + m[0].length, keyword ? 0.95 : 0.85, keyword ? 'nir_key+keyword' : 'nir_key'));
  }
  return out;
}
