import type { PiiCandidate } from './types.js';
import { insideRanges, urlRanges } from './detectors.js';
import { classSwitchRate, jwtHeaderValid, shannonEntropy } from './validators.js';

/**
 * Credentials: vendor key formats (documented prefixes and lengths), JWTs, PEM private keys, `password=…` style
 * assignments, and a high-entropy fallback for the rest. Vendor formats are very specific (confidence ≥ 0.9); the
 * entropy fallback is a heuristic (0.6, or 0.8 with a secret-ish word just before it).
 */

const before = (text: string, at: number, n: number): string => text.slice(Math.max(0, at - n), at);

interface KeyFormat {
  readonly provider: string;
  readonly re: RegExp;
  readonly confidence: number;
  /** Extra check on the match (e.g. a mix of character classes, so `sk-learn-compatible-…` is not a key). */
  readonly check?: (s: string) => boolean;
}

const mixed = (s: string): boolean => /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);

/** Vendor formats. Boundaries: not inside a longer identifier. */
const KEY_FORMATS: readonly KeyFormat[] = [
  { provider: 'aws_access_key_id', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g, confidence: 0.95 },
  { provider: 'github_token', re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9_])/g, confidence: 0.98 },
  { provider: 'github_pat', re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}(?![A-Za-z0-9_])/g, confidence: 0.98 },
  { provider: 'slack_token', re: /(?<![A-Za-z0-9])xox[baprs]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g, confidence: 0.95 },
  { provider: 'slack_webhook', re: /https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/g, confidence: 0.95 },
  { provider: 'stripe_secret_live', re: /(?<![A-Za-z0-9_])(?:sk|rk)_live_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g, confidence: 0.98 },
  { provider: 'stripe_secret_test', re: /(?<![A-Za-z0-9_])(?:sk|rk)_test_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g, confidence: 0.85 },
  { provider: 'stripe_publishable', re: /(?<![A-Za-z0-9_])pk_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g, confidence: 0.7 },
  {
    provider: 'openai_key',
    re: /(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}(?![A-Za-z0-9_-])/g,
    confidence: 0.9,
    // The legacy format embeds base64("OpenAI"); newer ones are long mixed-class strings.
    check: (s) => s.includes('T3BlbkFJ') || (mixed(s) && shannonEntropy(s) >= 3.5),
  },
  { provider: 'google_api_key', re: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g, confidence: 0.95 },
];

/** Where the key's identifying prefix ends (kept by `mask`). */
export function keyPrefixLength(s: string): number {
  const m = /^(?:AKIA|ASIA|ABIA|ACCA|gh[pousr]_|github_pat_|xox[baprs]-|https:\/\/hooks\.slack\.com\/services\/|(?:sk|rk|pk)_(?:live|test)_|sk-(?:proj-|svcacct-|admin-)?|AIza)/.exec(s);
  return m ? m[0].length : 0;
}

const JWT = /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,})\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])/g;
const PEM = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2?-----|$)/g;
const ASSIGNMENT =
  /\b(?:password|passwd|pwd|secret|client_secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret[_-]?key|(?:aws_)?secret_access_key|private[_-]?key|token)\b["']?\s*[:=]\s*["']?([^\s"'`,;<>]{6,200})/dgi;
/** Values that stand for a secret without being one. */
const PLACEHOLDER = /^(?:\$\{.*\}|\{\{.*\}\}|%[A-Z_]+%|<.*>|\*+|x+|\.+|(?:process\.env|os\.environ|env)\b.*|changeme|password|secret|redacted|none|null|undefined|true|false|example|your[-_].*|my[-_].*)$/i;
/** A secret-ish word right before the value: `token: …`, `Bearer …`, `api_key="…"`, `the secret is …`. */
const SECRET_WORD = /(?:secret|token|api[_-]?key|apikey|password|passwd|pwd|auth|bearer|credentials?|private[_-]?key|signature)["'`]?[\s:=>(]{0,4}(?:is\s+|was\s+)?["'`]?$/i;
const RUN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{20,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Entropy threshold for a base64-ish run of length n: 0.8 · log2(min(n, 64)) bits/char, within [3.5, 4.5]. Random
 * base64 of length 20 averages ~4.0 bits/char and of length 40 ~4.8; English-like identifiers stay below.
 */
export function entropyThreshold(n: number): number {
  return Math.max(3.5, Math.min(4.5, 0.8 * Math.log2(Math.min(n, 64))));
}

/**
 * Share of characters inside word-like runs (`[A-Z]?[a-z]{4,}`: "Account", "details"): high for camelCase and snake_case
 * identifiers, ~0.1 for random base64 (five lowercase letters in a row have probability 0.41⁵ ≈ 1 %).
 */
export function wordShare(s: string): number {
  let inWords = 0;
  for (const m of s.matchAll(/[A-Z]?[a-z]{4,}/g)) inWords += m[0].length;
  return s.length === 0 ? 0 : inWords / s.length;
}

/**
 * The high-entropy fallback. A run of ≥ 20 base64/base64url characters is a secret when it mixes letters and digits,
 * switches character class often (≥ 0.3 of adjacent pairs), is not made of word-like runs (wordShare < 0.5:
 * camelCase and snake_case identifiers), and its Shannon entropy passes `entropyThreshold`. Not flagged: UUIDs (identifiers, not credentials), pure hex
 * (commit ids and digests) unless a secret-ish word precedes it, words and paths without digits, base64 data URIs.
 */
export function looksLikeSecret(run: string, context: string): { confidence: number; validator: string } | undefined {
  const keyword = SECRET_WORD.test(context);
  // Path-like runs with three or more '/' ("HG/Suite342/2Lands/Row/W1J6HL"): judge the longest segment, unless a
  // secret word precedes the run (standard base64 has '/' too, but three in one run is rare below 40 characters).
  const full = run.replace(/=+$/, '');
  const slashes = full.split('/').length - 1;
  const body = keyword || slashes < 3 ? full : [...full.split('/')].sort((a, b) => b.length - a.length)[0] ?? '';
  if (body.length < 20 || UUID.test(body) || !/\d/.test(body) || !/[A-Za-z]/.test(body)) return undefined;
  if (/base64,$|#$/.test(context)) return undefined; // data URIs and hashtags
  // Six digits in a row are dates, timestamps and counters ("…_ENG_20050530_201400"): ids, not random secrets
  // (a random base64 run of 40 has such a streak with probability < 0.1 %).
  if (!keyword && /\d{6}/.test(body)) return undefined;
  const h = shannonEntropy(body);
  if (/^[0-9a-fA-F]+$/.test(body)) {
    if (!keyword || body.length < 32 || h < 3) return undefined;
    return { confidence: 0.8, validator: `entropy_hex:${h.toFixed(2)}+keyword` };
  }
  // Single-case runs (base36 ids, "com1win150ppmx3age16") need the length of a real single-case secret.
  if (!(/[a-z]/.test(body) && /[A-Z]/.test(body)) && body.length < 32) return undefined;
  if (classSwitchRate(body) < 0.3 || wordShare(body) >= 0.5 || h < entropyThreshold(body.length)) return undefined;
  return { confidence: keyword ? 0.8 : 0.6, validator: `entropy:${h.toFixed(2)}${keyword ? '+keyword' : ''}` };
}

export function detectSecrets(text: string): PiiCandidate[] {
  const out: PiiCandidate[] = [];
  const push = (kind: PiiCandidate['kind'], start: number, end: number, confidence: number, validator: string): void => {
    out.push({ kind, start, end, text: text.slice(start, end), confidence, validator });
  };
  if (text.includes('PRIVATE KEY')) {
    for (const m of text.matchAll(PEM)) push('private_key', m.index, m.index + m[0].length, m[0].includes('-----END') ? 0.99 : 0.9, 'pem_block');
  }
  if (text.includes('eyJ')) {
    for (const m of text.matchAll(JWT)) {
      const valid = jwtHeaderValid(m[1] ?? '');
      push('jwt', m.index, m.index + m[0].length, valid ? 0.98 : 0.75, valid ? 'jwt_header' : 'jwt_shape');
    }
  }
  for (const f of KEY_FORMATS) {
    for (const m of text.matchAll(f.re)) {
      if (f.check && !f.check(m[0])) continue;
      push('api_key', m.index, m.index + m[0].length, f.confidence, `prefix:${f.provider}`);
    }
  }
  for (const m of text.matchAll(ASSIGNMENT)) {
    const raw = m[1] ?? '';
    const value = raw.replace(/[.:)\]}]+$/, ''); // sentence punctuation after the value
    const at = m.indices?.[1]?.[0];
    if (at === undefined || value.length < 6 || PLACEHOLDER.test(raw) || PLACEHOLDER.test(value) || /^(.)\1+$/.test(value)) continue;
    push('secret', at, at + value.length, 0.75, 'assignment');
  }
  const urls = urlRanges(text);
  for (const m of text.matchAll(RUN)) {
    if (insideRanges(urls, m.index)) continue;
    const verdict = looksLikeSecret(m[0], before(text, m.index, 32));
    if (verdict) push('secret', m.index, m.index + m[0].length, verdict.confidence, verdict.validator);
  }
  return out;
}
