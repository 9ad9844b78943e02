/**
 * Fake credentials for the support-bundle tests, built at run time in the shape of real ones (no literal here is a
 * complete token a secret scanner would flag), and the reproducibility values that must survive redaction.
 */
const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

export const SECRETS = {
  // values only a key name reveals
  apiKeyPlain: 'plain-api-value-for-key-rule-71',
  password: 'correct horse battery staple 42',
  tokenPlain: 'opaque-session-value-9191',
  secretPlain: 'the sauce recipe is ketchup 17',
  authorizationPlain: 'Negotiate-plain-credential-33',
  // value patterns
  openai: `sk-proj-${repeatTo('Ab12Cd34Ef56Gh78', 64)}`,
  anthropic: `sk-ant-api03-${repeatTo('Zz9Yy8Xx7Ww6', 93)}-${repeatTo('QQ', 6)}AA`,
  huggingface: `hf_${repeatTo('aBcDeFgHiJ12', 34)}`,
  github: `ghp_${repeatTo('a1B2c3D4e5F6', 36)}`,
  githubPat: `github_pat_${repeatTo('11ABCDEFG0', 22)}_${repeatTo('pQ7rS8tU9v', 59)}`,
  awsKeyId: `AKIA${'Z7QW3RT5YU9OP1AS'}`,
  awsSecret: repeatTo('Fk9/aBcD3fGh+wJ', 40),
  awsSecretInText: repeatTo('Xy7+pQ2/rS9tU', 40),
  jwt: `eyJ${repeatTo('hbGciOiJIUzI1NiJ9', 17)}.eyJ${repeatTo('zdWIiOiJ1c2VyLTEifQ', 24)}.${repeatTo('S1gn4tur3-_x', 43)}`,
  bearerHeader: `Zm9v${repeatTo('A1b2C3d4E5f6', 32)}`,
  bearerText: `Qm9v${repeatTo('K9l8M7n6', 28)}`,
  urlPassword: 'Pa55w0rd-in-url-19',
  pemBody: repeatTo('MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0', 64 * 6),
} as const;

export const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----`;

/** What a search through the bundle must not find: each secret, and the distinctive parts of the composite ones. */
export const FORBIDDEN: ReadonlyArray<readonly [string, string]> = [
  ...Object.entries(SECRETS).filter(([k]) => k !== 'pemBody'),
  ['pemBody (first line)', SECRETS.pemBody.slice(0, 64)],
  ['pemBody (a middle line)', SECRETS.pemBody.slice(64 * 3, 64 * 4)],
];

/** Kinds the bundle's manifest must count (the redaction library's names). */
export const EXPECTED_KINDS = [
  'key',
  'openai_key',
  'anthropic_key',
  'huggingface_token',
  'github_token',
  'aws_access_key_id',
  'aws_secret_key',
  'jwt',
  'bearer_token',
  'url_credentials',
  'private_key',
] as const;

/** Everything planted, as a config document: secrets by key name, by value shape, in text and nested. */
export function secretConfig(): Record<string, unknown> {
  return {
    api_key: SECRETS.apiKeyPlain,
    password: SECRETS.password,
    token: SECRETS.tokenPlain,
    secret: SECRETS.secretPlain,
    authorization: SECRETS.authorizationPlain,
    openai: SECRETS.openai,
    vendor_keys: [SECRETS.anthropic, SECRETS.huggingface, SECRETS.github, SECRETS.githubPat],
    aws: { key_id: SECRETS.awsKeyId, value: SECRETS.awsSecret },
    env_dump: `AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecretInText}\nAWS_REGION=eu-west-1`,
    session: SECRETS.jwt,
    headers: `Accept: application/json\nAuthorization: Bearer ${SECRETS.bearerHeader}`,
    log_line: `pushing to the hub with bearer ${SECRETS.bearerText} failed`,
    database_url: `postgres://admin:${SECRETS.urlPassword}@db.internal:5432/prod`,
    signing: pem('RSA PRIVATE KEY', SECRETS.pemBody),
  };
}

/** Fields a re-run needs: they must come back byte for byte. */
export const REPRO = {
  tokenizer: 'HuggingFaceTB/SmolLM2-135M',
  tokenizerSha256: 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f',
  baseModel: 'HuggingFaceTB/SmolLM2-135M-Instruct',
  modelId: 'Qwen/Qwen2.5-0.5B@7ae557604adf67be50417f59c2c2f167def9a775',
  authors: ['Ada Lovelace-Byron', 'Grace B. Hopper'],
  datasetSha256: 'a3f1c9e27b4d5f6081726354a5b6c7d8e9f00112233445566778899aabbccdd0',
  commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  padToken: '<|endoftext|>',
} as const;
