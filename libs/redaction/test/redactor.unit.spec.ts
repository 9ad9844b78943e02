import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_ALLOW_KEYS,
  DEFAULT_PATTERNS,
  DEFAULT_SECRET_KEYS,
  Redactor,
  defaultRedactor,
  normaliseKey,
  redact,
} from '../src/index.js';
import { FAKE, REPRO } from './fake-secrets.js';

describe('key names', () => {
  it.each([
    ['HF_TOKEN', 'hf_token'],
    ['hfToken', 'hf_token'],
    ['--hf-token', 'hf_token'],
    ['X-Api-Key', 'x_api_key'],
    ['XApiKey', 'x_api_key'],
    ['openAIApiKey', 'open_ai_api_key'],
    ['tokenizer.sha256', 'tokenizer_sha256'],
  ])('normalises %s to %s', (key, normalised) => {
    expect(normaliseKey(key)).toBe(normalised);
  });

  it.each([
    'password', 'PASSWORD', 'Passwd', 'client-secret', 'clientSecret', 'apiKey', 'API_KEY', 'x-api-key', 'openai_api_key',
    'HF_TOKEN', 'hfToken', 'GITHUB_TOKEN', 'access_token', 'refreshToken', 'Authorization', 'Proxy-Authorization',
    'cookie', 'Set-Cookie', 'private_key', 'privateKey', 'credentials', 'aws_secret_access_key', 'AWS_SESSION_TOKEN',
    'db_password', '--hf-token', 'KAGGLE_KEY', 'auth', 'basic_auth', 'nkey_seed',
  ])('%s names a secret', (key) => {
    expect(defaultRedactor.isSecretKey(key)).toBe(true);
  });

  it.each([
    'tokenizer', 'tokenizer_sha256', 'pad_token', 'eos_token', 'max_tokens', 'tokens_per_s', 'token_agreement', 'author',
    'authors', 'auth_method', 'sha256', 'hash', 'checksum', 'base_model', 'model_id', 'revision', 'run_id', 'trace_id',
    'span_id', 'key', 'seed', 'secret_name', 'password_policy', 'manifest_sha256', 'session_token_hash',
  ])('%s does not', (key) => {
    expect(defaultRedactor.isSecretKey(key)).toBe(false);
  });
});

describe('redact: values under secret keys', () => {
  it('replaces strings, numbers, objects and arrays, and reports one redaction each', () => {
    const r = redact({ token: 12345678, credentials: { user: 'u', pass: 'p' }, secrets: ['a', 'b'], password: 'pw' });
    expect(r.value).toEqual({ token: '[REDACTED:key]', credentials: '[REDACTED:key]', secrets: '[REDACTED:key]', password: '[REDACTED:key]' });
    expect(r.redactions.map((x) => x.path)).toEqual(['token', 'credentials', 'secrets', 'password']);
  });

  it('keeps values that hide nothing: absent, empty, flags, and placeholders that name where the secret lives', () => {
    const input = {
      hf_token: '${HF_TOKEN}',
      api_key: '$OPENAI_API_KEY',
      token: 'env:HF_TOKEN',
      secret: '{{ secrets.hub }}',
      password: '<password>',
      auth: true,
      cookie: null,
      client_secret: '',
      credentials: {},
      private_key: '[REDACTED:key]',
    };
    const r = redact(input);
    expect(r.redactions).toEqual([]);
    expect(r.value).toBe(input);
  });

  it("keeps a tokenizer's special tokens, but not a password that merely starts with `$`", () => {
    const special = { eos_token: '</s>', bos_token: '<|endoftext|>', sep_token: '<sep>', eotToken: '<|eot_id|>', yieldEogToken: '<|eog|>' };
    expect(redact(special).redactions).toEqual([]);
    expect(redact({ password: '$ecret123', api_key: '$OPENAI_API_KEY' }).redactions).toEqual([{ path: 'password', kind: 'key' }]);
  });
});

describe('redact: nothing that is not a secret is touched', () => {
  it.each([
    'scikit-learn ships sk-learn-compatible-wrapper-for-models',
    'basic information about the bearer of this document',
    'Authorization failed for user bob',
    'https://huggingface.co/HuggingFaceTB/SmolLM2-135M',
    'http://localhost:8080/path@v2 and mailto:ops@example.com',
    'see https://alice@example.com/repo',
    'hf_hub_download(repo_id="HuggingFaceTB/SmolLM2-135M")',
    'AKIA is a prefix; ghp_short; eyJ alone; sk-',
    `sha256:${REPRO.sha256} ${REPRO.uuidV7} ${REPRO.artifactUri} ${REPRO.gitCommit}`,
    'SUMMARY OF THE RUN: 2025-01-01T10:00:00.000Z, loss 0.42, tokens=512',
    'max_new_tokens=256 pad_token=<pad> tokenizer: HuggingFaceTB/SmolLM2-135M',
    'line one\nline two: value; a=b&c=d',
  ])('%s', (text) => {
    const r = redact(text);
    expect(r.redactions).toEqual([]);
    expect(r.value).toBe(text);
  });

  it('applies the AWS sibling rule only next to an AWS key name or key id, never to hex or allow-listed keys', () => {
    expect(redact({ signing_material: FAKE.awsSecret }).redactions).toEqual([]);
    expect(redact({ aws_profile: 'ci', signing_material: FAKE.awsSecret }).redactions).toEqual([{ path: 'signing_material', kind: 'aws_secret_key' }]);
    expect(redact({ aws_profile: 'ci', checksum: FAKE.awsSecret, build: REPRO.gitCommit }).redactions).toEqual([]);
  });
});

describe('redact: configuration', () => {
  it('takes extra secret keys, allow keys and patterns by extending the exported defaults', () => {
    const r = new Redactor({
      secretKeys: [...DEFAULT_SECRET_KEYS, 'pin'],
      allowKeys: [...DEFAULT_ALLOW_KEYS, 'session_token'],
      patterns: [...DEFAULT_PATTERNS, { kind: 'acme_key', regex: /acme_[0-9a-f]{32}/ }],
    });
    const input = { pin: 1234, session_token: 'opaque-session', note: `use acme_${'0123456789abcdef'.repeat(2)} now` };
    expect(r.redact(input)).toEqual({
      value: { pin: '[REDACTED:key]', session_token: 'opaque-session', note: 'use [REDACTED:acme_key] now' },
      redactions: [
        { path: 'pin', kind: 'key' },
        { path: 'note', kind: 'acme_key' },
      ],
    });
    // the defaults are unchanged
    expect(redact(input).redactions).toEqual([{ path: 'session_token', kind: 'key' }]);
  });

  it('replaces a list entirely when it is given without the defaults', () => {
    const onlyPasswords = new Redactor({ secretKeys: ['password'], secretKeySuffixes: [], patterns: [] });
    expect(onlyPasswords.redact({ password: 'x', token: 'y', note: FAKE.huggingface }).redactions).toEqual([{ path: 'password', kind: 'key' }]);
  });
});

describe('redact: structure', () => {
  it('names paths from the given root, with brackets for array indexes and unusual keys', () => {
    const r = redact({ a: [{ 'odd key': { token: 'x' } }] }, 'payload');
    expect(r.redactions).toEqual([{ path: 'payload.a[0]["odd key"].token', kind: 'key' }]);
    expect(redact(FAKE.huggingface).redactions).toEqual([{ path: '', kind: 'huggingface_token' }]);
  });

  it('shares untouched subtrees and returns the input itself when nothing is redacted', () => {
    const clean = { a: { b: [1, 2, { c: 'd' }] } };
    expect(redact(clean).value).toBe(clean);
    const mixed = { clean: clean.a, dirty: { password: 'x' } };
    const out = redact(mixed).value;
    expect(out).not.toBe(mixed);
    expect(out.clean).toBe(clean.a);
  });

  it('replaces a cycle with a marker and still redacts the rest', () => {
    const a: Record<string, unknown> = { name: 'a', password: 'x' };
    a['self'] = a;
    a['list'] = [a, { back: a }];
    const r = redact(a);
    expect(r.value).toEqual({
      name: 'a',
      password: '[REDACTED:key]',
      self: '[REDACTED:cycle]',
      list: ['[REDACTED:cycle]', { back: '[REDACTED:cycle]' }],
    });
    expect(r.redactions.map((x) => `${x.path}:${x.kind}`)).toEqual(['password:key', 'self:cycle', 'list[0]:cycle', 'list[1].back:cycle']);
    expect(() => JSON.stringify(r.value)).not.toThrow();
  });

  it('redacts a subtree shared twice (not a cycle) in both places', () => {
    const shared = { note: FAKE.huggingface };
    expect(redact({ x: shared, y: [shared] }).redactions).toEqual([
      { path: 'x.note', kind: 'huggingface_token' },
      { path: 'y[0].note', kind: 'huggingface_token' },
    ]);
  });

  it('stops at the depth limit without recursing further, hiding what lies below', () => {
    let deep: Record<string, unknown> = { token: 'x', note: FAKE.huggingface };
    for (let i = 0; i < 10_000; i += 1) deep = { child: deep };
    const r = redact(deep);
    expect(r.redactions).toEqual([{ path: Array.from({ length: 64 }, () => 'child').join('.'), kind: 'depth' }]);
    expect(JSON.stringify(r.value)).not.toContain(FAKE.huggingface);
    expect(new Redactor({ maxDepth: 2 }).redact({ a: { b: { c: 1 } } }).value).toEqual({ a: { b: '[REDACTED:depth]' } });
  });

  it('stops at the node limit', () => {
    const r = new Redactor({ maxNodes: 3 }).redact([{}, {}, {}, {}]);
    expect(r.value).toEqual([{}, {}, '[REDACTED:limit]', '[REDACTED:limit]']);
    expect(r.redactions).toEqual([
      { path: '[2]', kind: 'limit' },
      { path: '[3]', kind: 'limit' },
    ]);
  });

  it('redacts what JSON.stringify would write for objects with toJSON, and keeps clean ones as they are', () => {
    const when = new Date('2025-01-01T00:00:00Z');
    const conn = { toJSON: () => `postgres://svc:${FAKE.urlPass2}@db/x` };
    const out = redact({ when, conn }).value;
    expect(out.when).toBe(when);
    expect(out.conn).toBe('postgres://[REDACTED:url_credentials]@db/x');
  });

  it('keeps `__proto__` a plain key, and redacted keys unique', () => {
    const parsed = JSON.parse(`{"__proto__": {"password": "x"}, "${FAKE.githubClassic}": 1, "${FAKE.githubOauth}": 2}`) as object;
    const out = redact(parsed).value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', '[REDACTED:github_token]', '[REDACTED:github_token]#2']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ password: '[REDACTED:key]' });
  });
});

describe('redact: memory', () => {
  it('memoises clean short strings only, so no detected secret is kept in the cache', () => {
    const r = new Redactor();
    r.redact({ note: `saw ${FAKE.huggingface}`, [FAKE.githubClassic]: 1, clean: 'fine' });
    const memo = (r as unknown as { memo: Map<string, unknown> }).memo;
    expect([...memo.keys()].filter((k) => k.includes(FAKE.huggingface) || k.includes(FAKE.githubClassic))).toEqual([]);
    expect(memo.has('fine')).toBe(true);
  });
});

describe('redact: long and hostile strings', () => {
  const within = (ms: number, f: () => void) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0 < ms;
  };

  it('scans a 5 MB log in linear time and finds secrets at its start, middle and end', () => {
    const filler = 'INFO step=12 loss=0.4213 lr=2e-5 tokens_per_s=5321 sha256=' + REPRO.sha256 + '\n';
    const block = filler.repeat(Math.ceil(2_500_000 / filler.length));
    const log = `${FAKE.openaiLegacy}\n${block}${FAKE.jwt}\n${block}Authorization: Bearer ${FAKE.bearer}`;
    let r: ReturnType<typeof redact<string>> | undefined;
    expect(within(3_000, () => (r = redact(log)))).toBe(true);
    expect(r!.redactions.map((x) => x.kind)).toEqual(['openai_key', 'jwt', 'key']);
    expect(r!.value.endsWith('Authorization: Bearer [REDACTED:key]')).toBe(true);
    expect(r!.value.length).toBeLessThan(log.length);
  });

  it.each([
    ['a:a:a:…', 'a:'.repeat(500_000)],
    ['password=password=…', 'password='.repeat(200_000)],
    ['sk-sk-sk-…', 'sk-'.repeat(300_000)],
    ['https://a:https://a:…', 'https://a:'.repeat(100_000)],
    ['BEGIN headers without END', '-----BEGIN RSA PRIVATE KEY-----'.repeat(30_000)],
    ['creds headers without END', '-----BEGIN USER NKEY SEED-----'.repeat(30_000)],
    ['eyJ.eyJ.…', 'eyJabcde.'.repeat(200_000)],
    ['a quote never closed', `token: "${'x'.repeat(1_000_000)}`],
  ])('stays fast on %s', (_name, text) => {
    expect(within(2_000, () => redact(text))).toBe(true);
  });
});
