import { describe, expect, it } from '@jest/globals';
import {
  cardBrand,
  classifyPhone,
  detectPii,
  ibanValid,
  ipv6Valid,
  looksLikeSecret,
  luhnValid,
  nhsValid,
  nirValid,
  parseIpv4,
  resolveOverlaps,
  ssnValid,
  type PiiFinding,
} from '../src/index.js';
import { ALICE, AMAZON, BANKING77, OASST, SMS, SQUAD_NORMANS, SROIE_RECEIPT } from './fixtures.js';

const found = (text: string): Array<[string, string]> => detectPii(text).map((f) => [f.kind, f.text]);
const only = (text: string): PiiFinding => {
  const all = detectPii(text);
  expect(all).toHaveLength(1);
  return all[0]!;
};

describe('validators', () => {
  it('Luhn accepts the documented test cards and rejects a one-digit change', () => {
    for (const n of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117']) expect(luhnValid(n)).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('41111x1111111111')).toBe(false);
  });

  it('IIN ranges name the network for the length, and nothing for unknown prefixes', () => {
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('5555555555554444')).toBe('mastercard');
    expect(cardBrand('2221000000000009')).toBe('mastercard');
    expect(cardBrand('378282246310005')).toBe('amex');
    expect(cardBrand('3782822463100050')).toBeUndefined(); // amex is 15 digits
    expect(cardBrand('6011111111111117')).toBe('discover');
    expect(cardBrand('1234567890123452')).toBeUndefined(); // Luhn-valid, but no network starts with 1
  });

  it('IBAN: registered length per country and mod-97 = 1', () => {
    for (const i of ['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'NL91ABNA0417164300']) expect(ibanValid(i)).toBe(true);
    expect(ibanValid('GB82WEST12345698765431')).toBe(false); // check digits broken
    expect(ibanValid('GB82WEST123456987654321')).toBe(false); // one character too long for GB
    expect(ibanValid('QQ82WEST12345698765432')).toBe(false); // no such country
  });

  it('US SSN never-issued ranges and published sample numbers', () => {
    expect(ssnValid('536', '22', '1234')).toBe(true);
    expect(ssnValid('000', '22', '1234')).toBe(false);
    expect(ssnValid('666', '22', '1234')).toBe(false);
    expect(ssnValid('912', '22', '1234')).toBe(false);
    expect(ssnValid('536', '00', '1234')).toBe(false);
    expect(ssnValid('536', '22', '0000')).toBe(false);
    expect(ssnValid('078', '05', '1120')).toBe(false);
  });

  it('NHS number modulus 11 (check 10 is never issued)', () => {
    expect(nhsValid('943 476 5919')).toBe(true);
    expect(nhsValid('401 023 2137')).toBe(true);
    expect(nhsValid('943 476 5918')).toBe(false);
    expect(nhsValid('123 456 7890')).toBe(false); // 123456789 gives check 10
    expect(nhsValid('1111111111')).toBe(false);
  });

  it('French NIR key = 97 − n mod 97, with 2A/2B counted as 19/18', () => {
    expect(nirValid('185057800608491')).toBe(true);
    expect(nirValid('185057800608492')).toBe(false);
    expect(nirValid('180012A12345620')).toBe(true);
    expect(nirValid('180012B12345620')).toBe(false);
    expect(nirValid('585057800608491')).toBe(false); // sex digit 5 does not exist
  });

  it('IPv4 octets and IPv6 text forms', () => {
    expect(parseIpv4('8.8.8.8')).toEqual([8, 8, 8, 8]);
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(parseIpv4('01.2.3.4')).toBeUndefined();
    expect(ipv6Valid('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toBe(true);
    expect(ipv6Valid('2a00:1450:4007:80e::200e')).toBe(true);
    expect(ipv6Valid('::ffff:192.0.2.1')).toBe(true);
    expect(ipv6Valid('1::2::3')).toBe(false);
    expect(ipv6Valid('12:30:45')).toBe(false);
    expect(ipv6Valid('00:1A:2B:3C:4D:5E')).toBe(false); // a MAC address: six groups
  });
});

describe('detectPii: what it finds, with evidence', () => {
  it('emails, with offsets into the field and the field name', () => {
    const text = 'Write to jane.doe+news@example.co.uk or ADMIN@EXAMPLE.ORG.';
    const all = detectPii(text, 'messages[1].content');
    expect(all.map((f) => [f.kind, f.text, f.field, f.validator])).toEqual([
      ['email', 'jane.doe+news@example.co.uk', 'messages[1].content', 'rfc5322_shape'],
      ['email', 'ADMIN@EXAMPLE.ORG', 'messages[1].content', 'rfc5322_shape'],
    ]);
    for (const f of all) expect(text.slice(f.start, f.end)).toBe(f.text);
  });

  it.each([
    ['E.164 with spaces (UK)', 'Call +44 20 7946 0958 today', '+44 20 7946 0958', 'e164'],
    ['E.164 compact', 'WhatsApp +442079460958.', '+442079460958', 'e164'],
    ['E.164 (France)', 'Standard : +33 1 23 45 67 89', '+33 1 23 45 67 89', 'e164'],
    ['NANP with parentheses', 'Reach me at (555) 123-4567 after 5pm', '(555) 123-4567', 'nanp'],
    ['NANP with dashes and trunk 1', 'Toll free 1-800-555-0199', '1-800-555-0199', 'nanp'],
    ['national trunk 0 (UK)', 'Our office: 020 7946 0958', '020 7946 0958', 'national_trunk_0'],
    ['national trunk 0 (France)', 'Appelez le 01 23 45 67 89 svp', '01 23 45 67 89', 'national_trunk_0'],
    ['international 00 prefix', 'From abroad dial 0044 20 7946 0958', '0044 20 7946 0958', 'international_00'],
    ['plain digits after a phone word (SMS spam, real premium number)', SMS.mobileUpdate, '08002986030', 'keyword_context'],
  ])('phone: %s', (_name, text, match, validator) => {
    const f = only(text);
    expect([f.kind, f.text, f.validator]).toEqual(['phone', match, validator]);
  });

  it('phone numbers on a real receipt (SROIE), but not the bill number or the date', () => {
    expect(found(SROIE_RECEIPT)).toEqual([['phone', '07-355 2616']]);
  });

  it('payment cards with separators and Luhn + IIN evidence', () => {
    const all = detectPii('Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 3782 822463 10005, plain 6011111111111117.');
    expect(all.map((f) => [f.text, f.validator])).toEqual([
      ['4111 1111 1111 1111', 'luhn+iin:visa'],
      ['5555-5555-5555-4444', 'luhn+iin:mastercard'],
      ['3782 822463 10005', 'luhn+iin:amex'],
      ['6011111111111117', 'luhn+iin:discover'],
    ]);
    expect(all.every((f) => f.kind === 'credit_card')).toBe(true);
  });

  it('IBANs grouped or compact, stopping at the registered length', () => {
    expect(found('Pay to GB82 WEST 1234 5698 7654 32 please')).toEqual([['iban', 'GB82 WEST 1234 5698 7654 32']]);
    expect(found('IBAN DE89 3704 0044 0532 0130 00 EUR')).toEqual([['iban', 'DE89 3704 0044 0532 0130 00']]);
    expect(found('iban: NL91ABNA0417164300.')).toEqual([['iban', 'NL91ABNA0417164300']]);
  });

  it('IP addresses: public v4 and v6 with a high confidence, private ranges lower, loopback not at all', () => {
    const all = detectPii('from 8.8.8.8 via 10.0.0.12 and 2a00:1450:4007:80e::200e; bound to 127.0.0.1 and ::1');
    expect(all.map((f) => [f.text, f.confidence, f.validator])).toEqual([
      ['8.8.8.8', 0.9, 'ipv4:public'],
      ['10.0.0.12', 0.6, 'ipv4:private'],
      ['2a00:1450:4007:80e::200e', 0.9, 'ipv6:global'],
    ]);
  });

  it('national ids: SSN, NHS number next to the word NHS, French NIR', () => {
    expect(found('SSN: 536-22-1234')).toEqual([['us_ssn', '536-22-1234']]);
    expect(found('social security number 536221234')).toEqual([['us_ssn', '536221234']]);
    expect(found('NHS number 943 476 5919')).toEqual([['uk_nhs_number', '943 476 5919']]);
    expect(found('NIR : 1 85 05 78 006 084 91')).toEqual([['fr_nir', '1 85 05 78 006 084 91']]);
    expect(found('Corse : 1 80 01 2A 123 456 20')).toEqual([['fr_nir', '1 80 01 2A 123 456 20']]);
  });

  it('without the word NHS, a 3-3-4 number that is also a valid US number is a phone, not an NHS number', () => {
    const f = only('ring 943 476 5919 tomorrow');
    expect(f.kind).toBe('phone');
  });

  it.each([
    ['AWS access key id', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'prefix:aws_access_key_id'],
    ['GitHub token', 'export GH_TOKEN=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', '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', 'prefix:github_token'],
    ['GitHub fine-grained PAT', 'github_pat_11ABCDEFG0123456789abc_defGHIJKLMNOPqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS', 'github_pat_11ABCDEFG0123456789abc_defGHIJKLMNOPqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS', 'prefix:github_pat'],
    ['Slack bot token', 'SLACK=xoxb-2048-1024-AbCdEfGhIjKlMnOp', 'xoxb-2048-1024-AbCdEfGhIjKlMnOp', 'prefix:slack_token'],
    ['Stripe live secret', "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'prefix:stripe_secret_live'],
    ['OpenAI project key', 'OPENAI_API_KEY=sk-proj-Xy7Qm2Lk9Rt4Vb8Nc3Hd6Jf1Gs5Pw0Ze', 'sk-proj-Xy7Qm2Lk9Rt4Vb8Nc3Hd6Jf1Gs5Pw0Ze', 'prefix:openai_key'],
    ['Google API key', 'key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&q=x', 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe', 'prefix:google_api_key'],
  ])('api key: %s', (_name, text, match, validator) => {
    const f = only(text);
    expect([f.kind, f.text, f.validator]).toEqual(['api_key', match, validator]);
    expect(f.confidence).toBeGreaterThanOrEqual(0.9);
  });

  it('JWTs with a decodable header, and PEM private key blocks', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const f = only(`Authorization: Bearer ${jwt}`);
    expect([f.kind, f.text, f.validator]).toEqual(['jwt', jwt, 'jwt_header']);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n/ygWyF8PbnGcY5unA67hqxnfZ\n-----END RSA PRIVATE KEY-----';
    const k = only(`key:\n${pem}\nthanks`);
    expect([k.kind, k.text, k.validator]).toEqual(['private_key', pem, 'pem_block']);
  });

  it('secrets: assignments and high-entropy tokens (keyword raises the confidence)', () => {
    expect(detectPii('db password: Tr0ub4dor&3x').map((f) => [f.kind, f.text, f.validator])).toEqual([['secret', 'Tr0ub4dor&3x', 'assignment']]);
    const bare = only('the value kJ8x2Pq9vLmN4rT7wYz3bC5d was leaked');
    expect([bare.kind, bare.confidence]).toEqual(['secret', 0.6]);
    const hinted = only('Bearer kJ8x2Pq9vLmN4rT7wYz3bC5d');
    expect([hinted.kind, hinted.confidence]).toEqual(['secret', 0.8]);
  });

  it('the entropy rule catches most random base64url tokens of 20+ characters', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let state = 12345;
    const next = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    let hits = 0;
    for (let i = 0; i < 300; i++) {
      let s = '';
      for (let j = 0; j < 32; j++) s += alphabet.charAt(Math.floor(next() * 64));
      if (looksLikeSecret(s, '')) hits++;
    }
    expect(hits / 300).toBeGreaterThan(0.95);
  });

  it('overlaps resolve to the more confident, then more specific finding', () => {
    const a = { kind: 'secret', start: 0, end: 10, text: 'x', confidence: 0.6, validator: 'entropy' } as const;
    const b = { kind: 'api_key', start: 2, end: 12, text: 'y', confidence: 0.95, validator: 'prefix' } as const;
    const c = { kind: 'email', start: 20, end: 30, text: 'z', confidence: 0.95, validator: 'shape' } as const;
    expect(resolveOverlaps([a, b, c]).map((f) => f.kind)).toEqual(['api_key', 'email']);
  });

  it('kinds and min_confidence filter the detectors', () => {
    const text = 'mail a@example.com from 10.0.0.12';
    expect(detectPii(text, '', { kinds: ['ip_address'] }).map((f) => f.kind)).toEqual(['ip_address']);
    expect(detectPii(text, '', { min_confidence: 0.7 }).map((f) => f.kind)).toEqual(['email']);
  });
});

describe('detectPii: realistic text that must NOT be flagged', () => {
  it.each([
    ['ISO date and a time', 'The meeting moved to 2024-01-15 at 10:30, then to 15.01.2024 10:00.'],
    ['day-first date with a two-digit suffix', 'Delivered 05-03-2024 10 parcels'],
    ['years and ranges', 'Between 1999 and 2004, and again in 2019-2020, sales grew.'],
    ['money with separators', 'Revenue was $1,234,567.89 (€ 12 345,67) and 1 234 567 890 € in total.'],
    ['percent and signed numbers', 'Shares rose +3.5% to 4,512.20 points; temperature -12.5 °C.'],
    ['version numbers (dotted quads too)', 'Upgrade from v2.10.4 to version 1.2.3.4 or build 10.0.19045.'],
    ['order and invoice ids', 'Order #123456789 and ORD-2024-000123, invoice INV/2023/00042, ref 2024-000123.'],
    ['plain long numbers without phone punctuation', 'Tracking 1234567890 and account 00123456789012 are in the letter.'],
    ['Luhn-valid number without a card network', 'Reference 1234567890123452 was assigned.'],
    ['ISBN and DOI', 'See ISBN 978-3-16-148410-0 and doi:10.1000/182 for details.'],
    ['URLs with ids and hex', 'Docs at https://example.com/docs/getting-started?page=2&id=9f86d081884c7d659a2f and https://docs.google.com/presentation/d/1iaX_nxasVWlvPiSNs0cllR9L_1neZq0RJxd6MFEalUY/edit'],
    ['commit ids, digests and UUIDs', 'Fixed in commit 3f786850e387550fdab836ed7e6dc881de23001b, sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, request 123e4567-e89b-12d3-a456-426614174000.'],
    ['identifiers and paths', 'Call getUserAccountDetails2FA() from /usr/local/lib/node_modules/typescript with snake_case_identifier_2.'],
    ['sk- that is not a key', 'We used sk-learn-compatible-estimators for the baseline.'],
    ['assignments to placeholders', 'Set password=${DB_PASSWORD} and api_key: <your-key-here> and token = ********.'],
    ['times, coordinates, MAC address', 'At 12:30:45 near 48.8566, 2.3522 the device 00:1A:2B:3C:4D:5E rebooted.'],
    ['asset names with @', 'Use logo@2x.png and icon@3x.webp for retina screens.'],
    // ner/uner-english-ewt/en_ewt-ud-dev.iob2 comment line (CC BY-SA 4.0) and wnut17 hashtag tokens (CC BY 4.0)
    ['document ids with timestamps', '# newdoc id = newsgroup-groups.google.com_AlaskaTheLastFrontier_4709a6627e811b2a_ENG_20050530_201400'],
    ['hashtags', 'Loved it #The1906andPearlsShow #20ThingsIWantFor2015'],
    ['SSN-shaped sample number', 'The card read 078-05-1120, the famous Woolworth sample.'],
  ])('%s', (_name, text) => {
    expect(found(text)).toEqual([]);
  });

  it.each([
    ['BANKING77 intents', BANKING77.map(([t]) => t).join('\n')],
    ['Amazon review sentences', AMAZON.join('\n')],
    ['SMS ham', [SMS.jurong, SMS.okLar, SMS.homeSoon, SMS.searching, SMS.fffff, SMS.pizza].join('\n')],
    ['SMS spam with short codes and glued numbers', SMS.freeEntry],
    ['SQuAD context', SQUAD_NORMANS.context],
    ['OpenAssistant answer with 20/20/20 and numbers', `${OASST.user}\n${OASST.assistant}`],
    ['Alice in Wonderland', ALICE],
  ])('real text: %s', (_name, text) => {
    expect(found(text)).toEqual([]);
  });

  it('classifyPhone rejects date-like and mixed-separator runs outright', () => {
    expect(classifyPhone('15.01.2024', true)).toBeUndefined();
    expect(classifyPhone('01.02.2019 12', true)).toBeUndefined();
    expect(classifyPhone('2024-01-15', true)).toBeUndefined();
    expect(classifyPhone('+44 20 7946 0958', false)?.validator).toBe('e164');
  });
});
