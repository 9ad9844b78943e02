/**
 * Checksums and structural checks that turn a shape match into evidence. Each function is the published rule:
 * Luhn (ISO/IEC 7812-1), IBAN mod-97 (ISO 13616 / ISO 7064 MOD 97-10), NHS number modulus 11, French NIR key
 * (97 − n mod 97), US SSN never-issued ranges, IPv4 dotted-quad and IPv6 (RFC 4291 text forms).
 */

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Luhn mod-10 over a digit string. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

interface CardBrand {
  readonly name: string;
  readonly prefixes: ReadonlyArray<readonly [number, number]>; // inclusive ranges of leading digits
  readonly lengths: readonly [number, number];
}

/** Issuer identification number ranges of the major networks (public scheme rules). Checked in this order. */
const CARD_BRANDS: readonly CardBrand[] = [
  { name: 'amex', prefixes: [[34, 34], [37, 37]], lengths: [15, 15] },
  { name: 'visa', prefixes: [[4, 4]], lengths: [13, 19] },
  { name: 'mir', prefixes: [[2200, 2204]], lengths: [16, 19] },
  { name: 'mastercard', prefixes: [[51, 55], [2221, 2720]], lengths: [16, 16] },
  { name: 'discover', prefixes: [[6011, 6011], [644, 649], [65, 65]], lengths: [16, 19] },
  { name: 'jcb', prefixes: [[3528, 3589]], lengths: [16, 19] },
  { name: 'diners', prefixes: [[300, 305], [3095, 3095], [36, 36], [38, 39]], lengths: [14, 19] },
  { name: 'unionpay', prefixes: [[62, 62]], lengths: [16, 19] },
  { name: 'maestro', prefixes: [[50, 50], [56, 58], [63, 63], [67, 67]], lengths: [12, 19] },
];

/** The card network whose IIN range and length match, or undefined. */
export function cardBrand(digits: string): string | undefined {
  for (const b of CARD_BRANDS) {
    if (digits.length < b.lengths[0] || digits.length > b.lengths[1]) continue;
    for (const [lo, hi] of b.prefixes) {
      const p = Number(digits.slice(0, String(lo).length));
      if (p >= lo && p <= hi) return b.name;
    }
  }
  return undefined;
}

/** IBAN length per country (ISO 13616 registry). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** ISO 7064 MOD 97-10 over an alphanumeric string (letters A=10 … Z=35), computed in chunks. */
export function mod97(alnum: string): number {
  let rem = 0;
  for (const ch of alnum) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem;
}

/** A compact (no spaces) uppercase IBAN: known country, its registered length, and mod-97 = 1. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(compact)) return false;
  if (IBAN_LENGTHS[compact.slice(0, 2)] !== compact.length) return false;
  return mod97(compact.slice(4) + compact.slice(0, 4)) === 1;
}

/** US SSN AAA-GG-SSSS: area not 000, 666 or 900–999; group not 00; serial not 0000; not a published sample number. */
export function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  if (a === 0 || a === 666 || a >= 900) return false;
  if (Number(group) === 0 || Number(serial) === 0) return false;
  const whole = `${area}${group}${serial}`;
  // 078-05-1120 (the Woolworth wallet card), 219-09-9999 (an SSA pamphlet), 123-45-6789 (the stock placeholder).
  return !['078051120', '219099999', '123456789'].includes(whole);
}

/** NHS number: 10 digits, weights 10..2 on the first nine, check = 11 − (sum mod 11); 11 → 0, 10 → invalid. */
export function nhsValid(number: string): boolean {
  const d = digitsOf(number);
  if (d.length !== 10 || /^(\d)\1{9}$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (d.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === d.charCodeAt(9) - 48;
}

/**
 * French NIR (numéro de sécurité sociale): 13 characters + a 2-digit key = 97 − (n mod 97), where Corsican
 * departments 2A / 2B count as 19 / 18. Sex digit 1, 2 (or 3, 7, 8 for provisional numbers); month 01–12, 20–42 or
 * 50–99 (unknown or special cases).
 */
export function nirValid(compact: string): boolean {
  const m = /^([12378])(\d{2})(\d{2})(\d{2}|2[AB])(\d{3})(\d{3})(\d{2})$/i.exec(compact);
  if (!m) return false;
  const month = Number(m[3]);
  if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) || month >= 50)) return false;
  let body = compact.slice(0, 13).toUpperCase();
  body = body.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  const key = Number(m[7]);
  return key >= 1 && key <= 97 && 97 - (Number(body) % 97) === key;
}

/** Dotted-quad IPv4 with octets 0–255 and no leading zeros; returns the octets or undefined. */
export function parseIpv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Coarse IPv4 class: what it tells about a person. */
export function ipv4Class(o: readonly number[]): 'public' | 'private' | 'documentation' | 'loopback' | 'not_an_address' {
  const [a = 0, b = 0, c = 0] = o;
  const MASK_OCTETS = [0, 128, 192, 224, 240, 248, 252, 254, 255];
  if (a === 0 || (a === 255 && o.every((x) => MASK_OCTETS.includes(x)))) return 'not_an_address';
  if (a === 127) return 'loopback';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'documentation';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || a >= 224) {
    return 'private';
  }
  return 'public';
}

/** RFC 4291 text forms: 8 groups of 1–4 hex digits, at most one `::`, an optional trailing dotted quad. */
export function ipv6Valid(s: string): boolean {
  let head = s;
  let extra = 0;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const quad = v4[1] ?? '';
    if (!parseIpv4(quad)) return false;
    head = s.slice(0, s.length - quad.length);
    if (!head.endsWith(':')) return false;
    if (!head.endsWith('::')) head = head.slice(0, -1);
    extra = 2; // a dotted quad stands for two groups
  }
  const parts = head.split('::');
  if (parts.length > 2) return false;
  const groupsOf = (p: string): string[] => (p === '' ? [] : p.split(':'));
  const groups = [...groupsOf(parts[0] ?? ''), ...groupsOf(parts[1] ?? '')];
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const total = groups.length + extra;
  return parts.length === 2 ? total <= 7 : total === 8;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Share of adjacent character pairs whose class (upper / lower / digit / other) changes: ~0.65 for random base64. */
export function classSwitchRate(s: string): number {
  if (s.length < 2) return 0;
  const cls = (c: string): number => (c >= 'A' && c <= 'Z' ? 0 : c >= 'a' && c <= 'z' ? 1 : c >= '0' && c <= '9' ? 2 : 3);
  let switches = 0;
  for (let i = 1; i < s.length; i++) if (cls(s.charAt(i)) !== cls(s.charAt(i - 1))) switches++;
  return switches / (s.length - 1);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Decodes base64url (or base64) into a string of byte values (latin-1); undefined on a bad character. */
export function decodeBase64Url(s: string): string | undefined {
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const ch of s.replace(/=+$/, '')) {
    let v = B64.indexOf(ch);
    if (v < 0) v = ch === '-' || ch === '+' ? 62 : ch === '_' || ch === '/' ? 63 : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((acc >> bits) & 0xff);
    }
  }
  return out;
}

/** A JWT header segment decodes to a JSON object with a string `alg`. */
export function jwtHeaderValid(segment: string): boolean {
  const json = decodeBase64Url(segment);
  if (json === undefined) return false;
  try {
    const header: unknown = JSON.parse(json);
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}
