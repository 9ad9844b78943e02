/**
 * Key-name rules. A key is compared in its normalised form: camelCase split at the case change, lower-cased, every
 * run of other characters (`-`, `.`, space) turned into one `_`, leading/trailing `_` trimmed — so `HF_TOKEN`,
 * `hfToken`, `hf-token` and `--hf-token` all read `hf_token`.
 */
export function normaliseKey(key: string): string {
  return key
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Keys whose value is a secret whatever it looks like (normalised names). */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'client_secret',
  'api_key',
  'apikey',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'auth_token',
  'session_token',
  'bearer',
  'auth',
  'authorization',
  'proxy_authorization',
  'cookie',
  'cookies',
  'set_cookie',
  'private_key',
  'ssh_key',
  'signing_key',
  'credentials',
  'credential',
  'creds',
  'hf_token',
  'huggingface_token',
  'hugging_face_hub_token',
  'aws_secret_access_key',
  'aws_session_token',
  'secret_access_key',
  'secret_key',
  'access_key',
  'kaggle_key',
  'nkey',
  'nkey_seed',
];

/** A key ending in one of these (`openai_api_key`, `db_password`, `github_token`, `x_api_key`) is a secret too. */
export const DEFAULT_SECRET_KEY_SUFFIXES: readonly string[] = [
  '_password',
  '_passwd',
  '_passphrase',
  '_secret',
  '_token',
  '_api_key',
  '_apikey',
  '_private_key',
  '_secret_key',
  '_access_key',
  '_credentials',
  '_credential',
  '_auth',
  '_cookie',
];

/**
 * The allow-list: keys that carry what a re-run needs (ids, hashes, model and tokenizer names, attribution). Such a key
 * is never redacted for its *name* (`pad_token` is a tokenizer setting, not a token) and its value is exempt from the
 * context rule for AWS secret keys. Its string value is still scanned for credential-shaped text (a pasted
 * `hf_…` token is a token under any key); those patterns are anchored on vendor prefixes and shapes, so a hex digest,
 * a UUID, an artifact URI or a model id never matches them.
 */
export const DEFAULT_ALLOW_KEYS: readonly string[] = [
  // tokenizers and their special tokens
  'tokenizer',
  'tokenizer_name',
  'tokenizer_id',
  'tokenizer_sha256',
  'tokenizer_hash',
  'tokenizer_revision',
  'pad_token',
  'eos_token',
  'bos_token',
  'unk_token',
  'sep_token',
  'cls_token',
  'mask_token',
  'eot_token',
  'eog_token',
  'additional_special_tokens',
  'chat_template',
  // content digests
  'sha256',
  'sha512',
  'sha1',
  'md5',
  'hash',
  'digest',
  'checksum',
  'content_hash',
  'fingerprint',
  // dataset attribution and licence
  'author',
  'authors',
  'author_name',
  'attribution',
  'creator',
  'license',
  'licence',
  'license_id',
  'citation',
  // models and code versions
  'base_model',
  'model',
  'model_id',
  'model_name',
  'revision',
  'commit',
  'commit_sha',
  'git_sha',
  'git_commit',
  // artifacts and identities
  'uri',
  'artifact_uri',
  'ref',
  'id',
  'run_id',
  'parent_run_id',
  'dataset_id',
  'event_id',
  'trace_id',
  'span_id',
  'correlation_id',
  'causation_id',
];

/** Allow-listed by ending: `manifest_sha256`, `import_run_id`, `log_uri`, `teacher_model_id`, … */
export const DEFAULT_ALLOW_KEY_SUFFIXES: readonly string[] = [
  '_sha256',
  '_sha512',
  '_sha1',
  '_hash',
  '_digest',
  '_checksum',
  '_fingerprint',
  '_run_id',
  '_trace_id',
  '_span_id',
  '_uri',
  '_ref',
  '_model',
  '_model_id',
  '_revision',
  '_author',
  '_license',
  '_licence',
];

/**
 * Whole string values that are reproducibility data and are returned untouched without scanning (a fast path and a
 * guarantee): hex digests and git commit ids, UUIDs, content-addressed artifact URIs. Under a secret *key* the key
 * rule still wins (a hex API key under `api_key` is redacted).
 */
export const DEFAULT_ALLOW_VALUES: readonly RegExp[] = [
  /^[0-9a-f]{7,128}$/i,
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^artifact:\/\/sha256\/[0-9a-f]{64}$/,
];

/**
 * Values that only say where a secret lives, or that are already masked: kept under a secret key, because they hide
 * nothing and a re-run needs them (`${HF_TOKEN}`, `$HF_TOKEN` (upper case: `$ecret1` is a password), `env:HF_TOKEN`, `{{ secrets.hf }}`, `****`,
 * `[REDACTED:…]`), and angle-bracketed names such as `<token>` or a tokenizer's `</s>`, `<|endoftext|>`.
 */
export const PLACEHOLDER =
  /^(?:\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|env:[A-Za-z_][A-Za-z0-9_]*|\{\{\s*[\w.-]+\s*\}\}|<[^<>\s]{1,40}>|\*{3,}|[xX]{3,}|\[REDACTED(?::[a-z0-9_]+)?\])$/;

/** Compiled key rules: exact names and endings, the allow-list first. */
export class KeyRules {
  private readonly secret: ReadonlySet<string>;
  private readonly allow: ReadonlySet<string>;
  private readonly cache = new Map<string, boolean>();

  private readonly secretSuffixes: readonly string[];
  private readonly allowSuffixes: readonly string[];

  /** Names and endings are normalised here; an ending always starts at a `_` (`token` → `_token`). */
  constructor(secretKeys: readonly string[], secretSuffixes: readonly string[], allowKeys: readonly string[], allowSuffixes: readonly string[]) {
    const suffix = (s: string) => `_${normaliseKey(s)}`;
    this.secret = new Set(secretKeys.map(normaliseKey));
    this.allow = new Set(allowKeys.map(normaliseKey));
    this.secretSuffixes = secretSuffixes.map(suffix);
    this.allowSuffixes = allowSuffixes.map(suffix);
  }

  isAllowed(key: string): boolean {
    const n = normaliseKey(key);
    return this.allow.has(n) || this.allowSuffixes.some((s) => n.endsWith(s));
  }

  /** True when the key names a secret and is not on the allow-list. Memoised (keys repeat across events). */
  isSecret(key: string): boolean {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const n = normaliseKey(key);
    const secret =
      !(this.allow.has(n) || this.allowSuffixes.some((s) => n.endsWith(s))) &&
      (this.secret.has(n) || this.secretSuffixes.some((s) => n.endsWith(s)));
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(key, secret);
    return secret;
  }
}
