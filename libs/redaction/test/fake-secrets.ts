/**
 * Fake credentials, built at run time in the shape of the real ones (no real key appears in this repository, and no
 * literal here is a complete token a secret scanner would flag).
 */
const repeatTo = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export const FAKE = {
  openaiLegacy: `sk-${repeatTo('T3stK3yV4lue', 48)}`,
  openaiProject: `sk-proj-${repeatTo('Ab12Cd34_Ef56-Gh78', 120)}`,
  anthropic: `sk-ant-api03-${repeatTo('Zz9Yy8Xx7Ww6', 93)}-${repeatTo('QQ', 6)}AA`,
  huggingface: `hf_${repeatTo('aBcDeFgHiJ12', 34)}`,
  githubClassic: `ghp_${repeatTo('a1B2c3D4e5F6', 36)}`,
  githubOauth: `gho_${repeatTo('Q9w8E7r6T5y4', 36)}`,
  githubUser: `ghu_${repeatTo('Z1x2C3v4B5n6', 36)}`,
  githubServer: `ghs_${repeatTo('M0n9B8v7C6x5', 36)}`,
  githubRefresh: `ghr_${repeatTo('L1k2J3h4G5f6', 36)}`,
  githubFineGrained: `github_pat_${repeatTo('11ABCDEFG0', 22)}_${repeatTo('pQ7rS8tU9v', 59)}`,
  gitlab: `glpat-${repeatTo('xY9-zW8_vU7t', 20)}`,
  slackBot: `xoxb-${'1234567890'.repeat(1)}12-${'9876543210'}987-${repeatTo('AbCdEfGhIjKl', 24)}`,
  slackUser: `xoxp-${'2345678901'}23-${repeatTo('MnOpQr5678', 24)}`,
  stripeLive: `sk_live_${repeatTo('51HqAbCd9', 99)}`,
  stripeRestricted: `rk_live_${repeatTo('77ZyXw8', 40)}`,
  google: `AIza${repeatTo('SyA1b2C3d4E5_f6-G7', 35)}`,
  awsKeyId: `AKIA${'Z7QW3RT5YU9OP1AS'}`,
  awsTempKeyId: `ASIA${'K2LM4NB6VC8XZ0QW'}`,
  awsSecret: repeatTo('Fk9/aBcD3fGh+wJ', 40),
  awsSecretInText: repeatTo('Xy7+pQ2/rS9tU', 40),
  jwt: `eyJ${repeatTo('hbGciOiJIUzI1NiJ9', 17)}.eyJ${repeatTo('zdWIiOiJ1c2VyLTEifQ', 24)}.${repeatTo('S1gn4tur3-_x', 43)}`,
  bearer: `Zm9v${repeatTo('A1b2C3d4E5f6', 32)}`,
  basic: `dXNl${repeatTo('cjpwYXNz', 12)}==`,
  urlUserPass: 'alice:S3cr3t-Pa55w0rd',
  urlPass2: 'pg-Pa55w0rd-2',
  pemBody: repeatTo('MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0', 64 * 6),
  opensshBody: repeatTo('b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 70 * 3),
  nkeyUserSeed: `SU${repeatTo(BASE32, 56)}`,
  nkeyAccountSeed: `SA${repeatTo(BASE32.slice(5) + BASE32, 56)}`,
  nkeyOperatorSeed: `SO${repeatTo(BASE32.slice(11) + BASE32, 56)}`,
  natsUserJwt: `eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJ${repeatTo('qdGkiOiJBQkMiLCJpYXQiOjE2', 60)}.${repeatTo('q7W-e8R_t9Y', 86)}`,
  credsSeed: `SU${repeatTo(BASE32.slice(17) + BASE32, 56)}`,
  // values that only a key name can reveal
  keyOnlyPassword: 'correct horse battery staple',
  keyOnlyHfToken: 'my-personal-hub-access',
  keyOnlyClientSecret: 'cs.0x77-very-private',
  keyOnlyCookie: 'session=abc; csrftoken=def',
  keyOnlyInText: 'hunter2-in-a-log-line',
} as const;

export const pem = (label: string, body: string) =>
  `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----`;

export const natsCreds = (jwt: string, seed: string) =>
  [
    '-----BEGIN NATS USER JWT-----',
    jwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    seed,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
  ].join('\n');

/** Fields a re-run needs: they must come back byte for byte. */
export const REPRO = {
  sha256: 'a3f1c9e27b4d5f6081726354a5b6c7d8e9f00112233445566778899aabbccdd0',
  uuidV7: '01890a5d-ac96-774b-bcce-b302099a8057',
  artifactUri: 'artifact://sha256/5d41402abc4b2a76b9719d911017c592ae2b3c4d5e6f708192a3b4c5d6e7f801',
  tokenizerSha256: 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f',
  baseModel: 'HuggingFaceTB/SmolLM2-135M',
  datasetAuthor: 'Ada Lovelace-Byron',
  gitCommit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  runId: 'train-0193e4b1-7a2c-7d3e-9f10-1a2b3c4d5e6f',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
} as const;
