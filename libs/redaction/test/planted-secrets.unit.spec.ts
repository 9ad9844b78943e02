import { describe, expect, it } from '@jest/globals';
import { redact, type Redaction } from '../src/index.js';
import { FAKE, REPRO, natsCreds, pem } from './fake-secrets.js';

const deepFreeze = <T>(v: T): T => {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
};
const byPath = (a: Redaction, b: Redaction) => (a.path + a.kind < b.path + b.kind ? -1 : a.path + a.kind > b.path + b.kind ? 1 : 0);

const truncatedOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${FAKE.opensshBody.slice(0, 140)}`;

/** Every secret kind, planted in objects, arrays, keys and free text at several depths. */
const planted = () => ({
  recipe: {
    hf_token: FAKE.keyOnlyHfToken,
    password: FAKE.keyOnlyPassword,
    clientSecret: FAKE.keyOnlyClientSecret,
    'X-Api-Key': FAKE.gitlab,
    headers: { Authorization: `Bearer ${FAKE.bearer}`, Cookie: FAKE.keyOnlyCookie },
    credentials: { user: 'svc-trainer', pass: FAKE.keyOnlyPassword },
    private_key: pem('EC PRIVATE KEY', FAKE.pemBody.slice(0, 200)),
    aws: { region: 'eu-west-1', access_key_id: FAKE.awsKeyId, signing_material: FAKE.awsSecret },
    notes: `eval with ${FAKE.openaiProject} and ${FAKE.anthropic}; judge ${FAKE.openaiLegacy}`,
    tokenizer: REPRO.baseModel,
    tokenizer_sha256: REPRO.tokenizerSha256,
    pad_token: '<pad>',
    eos_token: '</s>',
    max_tokens: 512,
    base_model: REPRO.baseModel,
    revision: REPRO.gitCommit,
  },
  sources: [
    { locator: `https://${FAKE.urlUserPass}@data.example.com/ds.csv`, author: REPRO.datasetAuthor, license: 'CC-BY-4.0', sha256: REPRO.sha256 },
    { locator: `postgres://svc:${FAKE.urlPass2}@db.internal:5432/corpus?sslmode=require` },
    `hf://datasets/acme/support with ${FAKE.huggingface}`,
  ],
  logs: [
    `cloned with ${FAKE.githubClassic}; refreshed ${FAKE.githubRefresh}`,
    [`oauth ${FAKE.githubOauth}`, [`user ${FAKE.githubUser}`, { deeper: `server ${FAKE.githubServer}` }]],
    `fine-grained ${FAKE.githubFineGrained}`,
    `slack ${FAKE.slackBot} / ${FAKE.slackUser}`,
    `stripe ${FAKE.stripeLive} ${FAKE.stripeRestricted}`,
    `maps key=${FAKE.google}`,
    `assumed role as ${FAKE.awsTempKeyId}`,
    `[default]\naws_access_key_id = ${FAKE.awsKeyId}\naws_secret_access_key = ${FAKE.awsSecretInText}\n`,
    `session ${FAKE.jwt} expired`,
    `retrying with Bearer ${FAKE.bearer}`,
    `proxy challenge answered: Basic ${FAKE.basic}`,
    `key file:\n${pem('RSA PRIVATE KEY', FAKE.pemBody)}\n(end of file)`,
    `cut short: ${truncatedOpenssh}`,
    natsCreds(FAKE.natsUserJwt, FAKE.credsSeed),
    `seeds ${FAKE.nkeyUserSeed} ${FAKE.nkeyAccountSeed} ${FAKE.nkeyOperatorSeed}`,
    `connect failed: password=${FAKE.keyOnlyInText} host=db`,
    `{"api_key": "${FAKE.keyOnlyClientSecret}", "model": "${REPRO.baseModel}"}`,
    `ci pushed with ${FAKE.gitlab}`,
  ],
  owners: { [FAKE.githubClassic]: 'team-a' },
  deploy: { aws_region: 'eu-west-1', image_commit: REPRO.gitCommit },
  run_id: REPRO.runId,
  trace_id: REPRO.traceId,
  span_id: REPRO.spanId,
  event: REPRO.uuidV7,
  artifact: { uri: REPRO.artifactUri, sha256: REPRO.sha256, bytes: 1024, media_type: 'application/jsonl' },
  summary: `trained ${REPRO.baseModel} at ${REPRO.gitCommit}, tokenizer sha256:${REPRO.tokenizerSha256}, run ${REPRO.uuidV7}, artifact ${REPRO.artifactUri}, data by ${REPRO.datasetAuthor}`,
});

/** Everything planted, as it must not appear in the output (multi-line secrets by their body lines). */
const SECRETS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(FAKE).filter(([k]) => !['pemBody', 'opensshBody', 'urlUserPass'].includes(k))),
  urlPassword: 'S3cr3t-Pa55w0rd',
  pemLine1: FAKE.pemBody.slice(0, 64),
  pemLine5: FAKE.pemBody.slice(256, 320),
  pemEcLine: FAKE.pemBody.slice(128, 192),
  opensshLine: FAKE.opensshBody.slice(0, 64),
  opensshTail: FAKE.opensshBody.slice(70, 140),
};

const EXPECTED: Redaction[] = [
  { path: 'payload.recipe.hf_token', kind: 'key' },
  { path: 'payload.recipe.password', kind: 'key' },
  { path: 'payload.recipe.clientSecret', kind: 'key' },
  { path: 'payload.recipe.X-Api-Key', kind: 'key' },
  { path: 'payload.recipe.headers.Authorization', kind: 'key' },
  { path: 'payload.recipe.headers.Cookie', kind: 'key' },
  { path: 'payload.recipe.credentials', kind: 'key' },
  { path: 'payload.recipe.private_key', kind: 'key' },
  { path: 'payload.recipe.aws.access_key_id', kind: 'aws_access_key_id' },
  { path: 'payload.recipe.aws.signing_material', kind: 'aws_secret_key' },
  { path: 'payload.recipe.notes', kind: 'anthropic_key' },
  { path: 'payload.recipe.notes', kind: 'openai_key' },
  { path: 'payload.recipe.notes', kind: 'openai_key' },
  { path: 'payload.sources[0].locator', kind: 'url_credentials' },
  { path: 'payload.sources[1].locator', kind: 'url_credentials' },
  { path: 'payload.sources[2]', kind: 'huggingface_token' },
  { path: 'payload.logs[0]', kind: 'github_token' },
  { path: 'payload.logs[0]', kind: 'github_token' },
  { path: 'payload.logs[1][0]', kind: 'github_token' },
  { path: 'payload.logs[1][1][0]', kind: 'github_token' },
  { path: 'payload.logs[1][1][1].deeper', kind: 'github_token' },
  { path: 'payload.logs[2]', kind: 'github_token' },
  { path: 'payload.logs[3]', kind: 'slack_token' },
  { path: 'payload.logs[3]', kind: 'slack_token' },
  { path: 'payload.logs[4]', kind: 'stripe_key' },
  { path: 'payload.logs[4]', kind: 'stripe_key' },
  { path: 'payload.logs[5]', kind: 'google_api_key' },
  { path: 'payload.logs[6]', kind: 'aws_access_key_id' },
  { path: 'payload.logs[7]', kind: 'aws_access_key_id' },
  { path: 'payload.logs[7]', kind: 'aws_secret_key' },
  { path: 'payload.logs[8]', kind: 'jwt' },
  { path: 'payload.logs[9]', kind: 'bearer_token' },
  { path: 'payload.logs[10]', kind: 'basic_auth' },
  { path: 'payload.logs[11]', kind: 'private_key' },
  { path: 'payload.logs[12]', kind: 'private_key' },
  { path: 'payload.logs[13]', kind: 'nats_creds' },
  { path: 'payload.logs[13]', kind: 'nats_creds' },
  { path: 'payload.logs[14]', kind: 'nats_nkey_seed' },
  { path: 'payload.logs[14]', kind: 'nats_nkey_seed' },
  { path: 'payload.logs[14]', kind: 'nats_nkey_seed' },
  { path: 'payload.logs[15]', kind: 'key' },
  { path: 'payload.logs[16]', kind: 'key' },
  { path: 'payload.logs[17]', kind: 'gitlab_token' },
  { path: 'payload.owners["[REDACTED:github_token]"]', kind: 'github_token' },
];

describe('redact: every planted secret kind', () => {
  it('given a payload with every kind planted, when redacted, then no planted secret survives anywhere in the output', () => {
    const input = deepFreeze(planted());
    const before = JSON.stringify(input);
    // The check below means something only if each secret is really in the input.
    expect(Object.entries(SECRETS).filter(([, s]) => !before.includes(s))).toEqual([]);

    const after = JSON.stringify(redact(input, 'payload').value);

    expect(Object.entries(SECRETS).filter(([, s]) => after.includes(s))).toEqual([]);
  });

  it('reports each redaction with its path and kind, and nothing else', () => {
    const { redactions } = redact(planted(), 'payload');
    expect([...redactions].sort(byPath)).toEqual([...EXPECTED].sort(byPath));
    expect(redactions).toHaveLength(44);
  });

  it('covers every built-in pattern kind', () => {
    const kinds = new Set(redact(planted(), 'payload').redactions.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(
      [
        'anthropic_key',
        'aws_access_key_id',
        'aws_secret_key',
        'basic_auth',
        'bearer_token',
        'github_token',
        'gitlab_token',
        'google_api_key',
        'huggingface_token',
        'jwt',
        'key',
        'nats_creds',
        'nats_nkey_seed',
        'openai_key',
        'private_key',
        'slack_token',
        'stripe_key',
        'url_credentials',
      ],
    );
  });

  it('keeps the text around a secret and puts a marker in its place', () => {
    const out = redact(planted(), 'payload').value;
    expect(out.recipe.notes).toBe('eval with [REDACTED:openai_key] and [REDACTED:anthropic_key]; judge [REDACTED:openai_key]');
    expect(out.sources[0]).toEqual({
      locator: 'https://[REDACTED:url_credentials]@data.example.com/ds.csv',
      author: REPRO.datasetAuthor,
      license: 'CC-BY-4.0',
      sha256: REPRO.sha256,
    });
    expect(out.sources[1]).toEqual({ locator: 'postgres://[REDACTED:url_credentials]@db.internal:5432/corpus?sslmode=require' });
    expect(out.logs[7]).toBe('[default]\naws_access_key_id = [REDACTED:aws_access_key_id]\naws_secret_access_key = [REDACTED:aws_secret_key]\n');
    expect(out.logs[9]).toBe('retrying with Bearer [REDACTED:bearer_token]');
    expect(out.logs[11]).toBe('key file:\n[REDACTED:private_key]\n(end of file)');
    expect(out.logs[13]).toContain('NKEYs are sensitive and should be treated as secrets.');
    expect(out.logs[15]).toBe('connect failed: password=[REDACTED:key] host=db');
    expect(out.logs[16]).toBe(`{"api_key": "[REDACTED:key]", "model": "${REPRO.baseModel}"}`);
    expect(out.recipe.headers).toEqual({ Authorization: '[REDACTED:key]', Cookie: '[REDACTED:key]' });
    expect(out.owners).toEqual({ '[REDACTED:github_token]': 'team-a' });
  });

  it('leaves every reproducibility field byte for byte', () => {
    const input = planted();
    const out = redact(input, 'payload').value;
    expect(out.run_id).toBe(REPRO.runId);
    expect(out.trace_id).toBe(REPRO.traceId);
    expect(out.span_id).toBe(REPRO.spanId);
    expect(out.event).toBe(REPRO.uuidV7);
    expect(out.artifact).toBe(input.artifact); // untouched subtree: the same object
    expect(out.deploy).toEqual({ aws_region: 'eu-west-1', image_commit: REPRO.gitCommit });
    expect(out.summary).toBe(input.summary);
    expect(out.recipe.tokenizer).toBe(REPRO.baseModel);
    expect(out.recipe.tokenizer_sha256).toBe(REPRO.tokenizerSha256);
    expect(out.recipe.pad_token).toBe('<pad>');
    expect(out.recipe.eos_token).toBe('</s>');
    expect(out.recipe.max_tokens).toBe(512);
    expect(out.recipe.base_model).toBe(REPRO.baseModel);
    expect(out.recipe.revision).toBe(REPRO.gitCommit);
    expect(out.recipe.aws.region).toBe('eu-west-1');
    expect(out.recipe.credentials).toBe('[REDACTED:key]');
    const serialized = JSON.stringify(out);
    for (const v of Object.values(REPRO)) expect(serialized).toContain(v);
  });

  it('never mutates its input, and is deterministic and idempotent', () => {
    const input = planted();
    const snapshot = structuredClone(input);
    const a = redact(input, 'payload');
    const b = redact(input, 'payload');
    expect(input).toEqual(snapshot);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const again = redact(a.value, 'payload');
    expect(again.redactions).toEqual([]);
    expect(again.value).toBe(a.value);
  });
});
