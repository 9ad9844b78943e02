/**
 * signatureOf over summaries as this codebase's emitters write them (apps/trainer, apps/training, apps/mapping,
 * apps/preparation, libs/eventlog, libs/platform-nest, libs/demo-run): two occurrences of one failure share a
 * signature, two different failures do not.
 */
import { describe, expect, it } from '@jest/globals';
import { SIGNATURE_MAX, signatureOf } from '../src/signature.js';

/** Pairs of summaries that must share a signature, with the signature they share. */
const SAME: Array<[string, string, string]> = [
  // apps/trainer: `out of memory at step ${step}: ${message}`
  ['out of memory at step 1200: CUDA out of memory. Tried to allocate 2.50 GiB', 'out of memory at step 4500: CUDA out of memory. Tried to allocate 512.00 GiB', 'out of memory at step <n>: CUDA out of memory. Tried to allocate <n> GiB'],
  ['OOM at step 1200', 'OOM at step 4500', 'OOM at step <n>'],
  // apps/training: preflight memory estimate
  [
    'blocked before start: estimated peak memory 18234 MiB exceeds the 16384 MiB available',
    'blocked before start: estimated peak memory 9001 MiB exceeds the 8192 MiB available',
    'blocked before start: estimated peak memory <n> MiB exceeds the <n> MiB available',
  ],
  // apps/trainer: runtime error with a tensor shape and a file path
  [
    'training failed at step 37: loss is NaN after reading /var/lib/distillery/artifacts/sha256/ab/abcdef0123456789.jsonl',
    'training failed at step 912: loss is NaN after reading /tmp/shards/train-0003.jsonl',
    'training failed at step <n>: loss is NaN after reading <path>',
  ],
  // apps/trainer: training_timeout
  ['stopped at step 300: max_duration 600 s reached; the last checkpoint is kept', 'stopped at step 12: max_duration 60.5 s reached; the last checkpoint is kept', 'stopped at step <n>: max_duration <n> s reached; the last checkpoint is kept'],
  // apps/mapping: `import of ${locator} failed: ${message}` with absolute and relative paths, locators kept
  [
    "import of jsonl:/data/reviews.jsonl failed: cannot read jsonl:/data/reviews.jsonl: ENOENT: no such file or directory, open '/data/reviews.jsonl'",
    "import of jsonl:/srv/in/other.jsonl failed: cannot read jsonl:/srv/in/other.jsonl: ENOENT: no such file or directory, open '/srv/in/other.jsonl'",
    'import of jsonl:<path> failed: cannot read jsonl:<path>: ENOENT: no such file or directory, open <str>',
  ],
  [
    'cannot read /srv/in/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl (written 2026-11-22T10:00:00Z)',
    'cannot read data/2026-11-22/part-0001.parquet (written 2026-11-23T00:00:00Z)',
    'cannot read <path> (written <time>)',
  ],
  ['import of csv:data/a.csv failed: data/a.csv is a directory', 'import of csv:exports/2026/b.csv failed: exports/2026/b.csv is a directory', 'import of csv:<path> failed: <path> is a directory'],
  ['cannot read C:\\data\\in.csv: EACCES', 'cannot read D:\\other\\x.tsv: EACCES', 'cannot read <path>: EACCES'],
  // libs/sources: remote sources with URLs, hosts and HTTP status
  [
    'Hugging Face Hub at huggingface.co is unreachable while fetching https://huggingface.co/api/datasets/stanfordnlp/imdb/revision/main (ETIMEDOUT)',
    'Hugging Face Hub at huggingface.co is unreachable while fetching https://huggingface.co/api/datasets/ag_news/revision/1a2b3c (ETIMEDOUT)',
    'Hugging Face Hub at huggingface.co is unreachable while fetching <url> (ETIMEDOUT)',
  ],
  ['Kaggle at www.kaggle.com has no dataset (HTTP 404): see https://www.kaggle.com/docs/api.', 'Kaggle at www.kaggle.com has no dataset (HTTP 404): see https://www.kaggle.com/other.', 'Kaggle at <url> has no dataset (HTTP 404): see <url>.'],
  ['truncated download: got 1048576 of 2097152 bytes', 'truncated download: got 12 of 4,096 bytes', 'truncated download: got <n> of <n> bytes'],
  // libs/sources: quoted values (JSON.stringify) and option values
  ['invalid locator "jsonl:": nothing after "jsonl:"', 'invalid locator "csv:": nothing after "csv:"', 'invalid locator <str>: nothing after <str>'],
  ["unknown encoding 'latin-9' in csv:/in/a.csv", "unknown encoding 'shift-jis2' in csv:/in/b.csv", 'unknown encoding <str> in csv:<path>'],
  // apps/preparation: PII block, outliers, leakage with row ids (hex) and shares
  ['PII the policy blocks (email, phone) found in 12 rows: nothing written; redact, mask or remove it', 'PII the policy blocks (email, phone) found in 3 rows: nothing written; redact, mask or remove it', 'PII the policy blocks (email, phone) found in <n> rows: nothing written; redact, mask or remove it'],
  ['7.5% of rows are outliers (policy allows 5.0%): length 40, encoding 3', '12.0% of rows are outliers (policy allows 5.0%): length 90, encoding 31', '<n>% of rows are outliers (policy allows <n>%): length <n>, encoding <n>'],
  [
    '14 held-out rows repeat a train row (2.80%, allowed 1.00%): prepare stopped; e.g. train 3f2a9c0d1e4b5a6f7089aabbccddeeff ~ eval 0a1b2c3d4e5f60718293a4b5c6d7e8f9',
    '3 held-out rows repeat a train row (0.30%, allowed 0.10%): prepare stopped; e.g. train deadbeef00000000000000000000cafe ~ eval 99aa88bb77cc66dd55ee44ff33001122',
    '<n> held-out rows repeat a train row (<n>%, allowed <n>%): prepare stopped; e.g. train <hex> ~ eval <hex>',
  ],
  // libs/eventlog: dead letters and handler failures (UUIDs, stream sequences, timestamps)
  [
    'training gave up on training_dispatched after 5 deliveries: connect ECONNREFUSED 127.0.0.1:5432',
    'training gave up on training_dispatched after 3 deliveries: connect ECONNREFUSED 10.0.0.7:5432',
    'training gave up on training_dispatched after <n> deliveries: connect ECONNREFUSED <n>:<n>',
  ],
  [
    'event 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b failed at 2026-11-22T10:00:00.123Z',
    'event 0193ffff-0000-7aaa-9bbb-cccccccccccc failed at 2027-01-02T23:59:59Z',
    'event <uuid> failed at <time>',
  ],
  ['scheduled at 2026-11-22 10:00:00+01:00, retried at 10:05:07', 'scheduled at 2026-12-01 08:00:00+01:00, retried at 8:00:09.5', 'scheduled at <time>, retried at <time>'],
  // libs/platform-nest: system_config_invalid
  ['training: invalid configuration: PORT: expected a number, got "eighty"', 'training: invalid configuration: PORT: expected a number, got "x"', 'training: invalid configuration: PORT: expected a number, got <str>'],
  // libs/demo-run: the child run id is the event's own run (see the context tests) or a hex id
  ['child run demo-0a1b2c3d4e5f-child-2 failed on purpose at step 2/2', 'child run demo-ffeeddccbbaa-child-3 failed on purpose at step 2/2', 'child run demo-<hex>-child-<n> failed on purpose at step <n>/<n>'],
  ['pointer 0x7ffe1234 freed twice', 'pointer 0xdeadbeef freed twice', 'pointer <hex> freed twice'],
  ['notify ops@example.com: quota hit', 'notify a.b+c@sub.example.org: quota hit', 'notify <email>: quota hit'],
  // lists of varying length collapse to one placeholder
  ['missing splits: "eval", "gold"', 'missing splits: "gold"', 'missing splits: <str>'],
  ['labels 0, 1, 2 have no rows', 'labels 7 have no rows', 'labels <n> have no rows'],
  // whitespace
  ['  out   of\tmemory  at step 5 ', 'out of memory at step 6', 'out of memory at step <n>'],
];

/** Summaries that must not share a signature: different failures. */
const DIFFERENT: Array<[string, string]> = [
  ['out of memory at step 1200', 'training failed at step 1200: loss is NaN'],
  // An HTTP status and an exit code name different failures.
  ['Kaggle at kaggle.com has no dataset (HTTP 404)', 'Kaggle at kaggle.com has no dataset (HTTP 401)'],
  ['trainer exited with exit code 137', 'trainer exited with exit code 1'],
  // Words that happen to be identifiers are kept: which mapper, which split, which dataset.
  ['import of hf:stanfordnlp/imdb:test failed: no split', 'import of hf:ag_news:test failed: no split'],
  ['PII the policy blocks (email) found in 3 rows', 'PII the policy blocks (phone) found in 3 rows'],
];

describe('signatureOf', () => {
  it.each(SAME)('groups %j with %j', (a, b, signature) => {
    expect(signatureOf(a)).toBe(signature);
    expect(signatureOf(b)).toBe(signature);
  });

  it.each(DIFFERENT)('keeps %j apart from %j', (a, b) => {
    expect(signatureOf(a)).not.toBe(signatureOf(b));
  });

  it('replaces the event’s own run id, as a whole token only', () => {
    expect(signatureOf('child run nightly-eval failed on purpose at step 2/2', { run_id: 'nightly-eval' })).toBe('child run <run> failed on purpose at step <n>/<n>');
    expect(signatureOf('child run weekly-eval failed on purpose at step 2/2', { run_id: 'weekly-eval' })).toBe('child run <run> failed on purpose at step <n>/<n>');
    // a longer id that starts with the run id is another run; a short id is not replaced at all
    expect(signatureOf('parent nightly-eval-2 stopped', { run_id: 'nightly-eval' })).toBe('parent nightly-eval-<n> stopped');
    expect(signatureOf('run abc of abcd', { run_id: 'abc' })).toBe('run abc of abcd');
    // a subject carries the run id between dots
    expect(signatureOf('dead letter: runevents.acme.imp-x1y2.ingestion.dataset_import_run seq 9 rejected by projector:timeline: payload.rows_read: expected number', { run_id: 'imp-x1y2' })).toBe(
      'dead letter: runevents.acme.<run>.ingestion.dataset_import_run seq <n> rejected by projector:timeline: payload.rows_read: expected number',
    );
    // regex characters in a run id are literal
    expect(signatureOf('run a.b+c:d failed', { run_id: 'a.b+c:d' })).toBe('run <run> failed');
  });

  it('leaves identifiers with digits, ratios and words alone', () => {
    expect(signatureOf('precision bf16 needs sha256 of utf8 text')).toBe('precision bf16 needs sha256 of utf8 text');
    expect(signatureOf('train/eval overlap, and/or gold')).toBe('train/eval overlap, and/or gold');
    expect(signatureOf("can't read the run's data 'x'")).toBe("can't read the run's data <str>");
    expect(signatureOf('accepted deadline exceeded')).toBe('accepted deadline exceeded');
    expect(signatureOf('lr 2e-4 and 1.5e+3 steps, -3 delta')).toBe('lr <n> and <n> steps, <n> delta');
    expect(signatureOf('see https://x.io/a, then /b')).toBe('see <url>, then <path>');
  });

  it('is idempotent, deterministic and bounded', () => {
    const s = signatureOf('out of memory at step 1200 in /tmp/x.bin (0xdead01, 2026-11-22)');
    expect(s).toBe('out of memory at step <n> in <path> (<hex>, <time>)');
    expect(signatureOf(s)).toBe(s);
    expect(signatureOf('x '.repeat(400))).toHaveLength(SIGNATURE_MAX - 1);
    expect(signatureOf('y'.repeat(600))).toHaveLength(SIGNATURE_MAX);
    expect(signatureOf('')).toBe('');
  });
});
