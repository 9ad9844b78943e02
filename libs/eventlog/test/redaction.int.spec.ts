import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsService, uniqueName, type ServiceHandle } from '@distillery/testing';
import type { RunEvent } from '@distillery/contracts';
import { EventLog, buildTopology, type EventPublisher } from '../src/index.js';

// Fake credentials in the shape of real ones, built at run time (no real key in the repository).
const HF_TOKEN = `hf_${'aBcDeFgHiJ12'.repeat(3).slice(0, 34)}`;
const OPENAI_KEY = `sk-proj-${'Ab12Cd34_Ef56-Gh78'.repeat(7)}`;
const LOCATOR_PASSWORD = 'S3cr3t-Pa55w0rd';
const SHA = 'a3f1c9e27b4d5f6081726354a5b6c7d8e9f00112233445566778899aabbccdd0';
const TOKENIZER_SHA = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const MANIFEST = { uri: `artifact://sha256/${SHA}`, sha256: SHA, bytes: 2048, media_type: 'application/json' };

describe('publish-time redaction against a real NATS server', () => {
  let nats: ServiceHandle;
  let log: EventLog;
  let publisher: EventPublisher;
  const topology = buildTopology({ streamName: uniqueName('R').toUpperCase(), subjectPrefix: uniqueName('r'), consumers: [] });

  /** The stored message at `seq`: its raw bytes, the Distillery-Redactions header and the decoded event. */
  const stored = async (seq: number) => {
    const raw = await log.jsm.streams.getMessage(topology.stream.name, { seq });
    let event: RunEvent | undefined;
    for await (const batch of log.read({ fromSeq: seq, follow: false })) {
      const m = batch.find((b) => b.seq === seq);
      if (m?.decoded.ok) event = m.decoded.event;
      if (m) break;
    }
    return { text: raw!.string(), redactions: raw!.header?.get('Distillery-Redactions') ?? '', event: event! };
  };

  beforeAll(async () => {
    nats = await natsService();
    log = await EventLog.connect({ url: nats.url, name: 'eventlog-redaction-test', topology });
    await log.applyTopology();
    publisher = log.publisher({ app: 'testsvc', version: '0.0.1' });
  });

  afterAll(async () => {
    await log.jsm.streams.delete(topology.stream.name).catch(() => undefined);
    await log.close();
    await nats.stop();
  });

  it('given a training request carrying secrets, the stored event has none and keeps everything else', async () => {
    const r = await publisher.publish({
      reason_code: 'training_requested',
      project_id: 'p1',
      run_id: 'train-1',
      summary: `training requested by a notebook using ${HF_TOKEN}`,
      payload: {
        manifest_ref: MANIFEST,
        base_model: 'hf:HuggingFaceTB/SmolLM2-135M',
        preflight_mode: 'strict',
        recipe: {
          base_model: 'HuggingFaceTB/SmolLM2-135M',
          tokenizer: 'HuggingFaceTB/SmolLM2-135M',
          tokenizer_sha256: TOKENIZER_SHA,
          hf_token: HF_TOKEN,
          lr: 2e-5,
          epochs: 3,
          judge: { provider: 'openai', notes: `judge with ${OPENAI_KEY} at temperature 0` },
          data: { import: `https://alice:${LOCATOR_PASSWORD}@data.example.com/exports/support.csv`, author: 'Ada Lovelace-Byron' },
        },
      },
    });

    const { text, redactions, event } = await stored(r.seq);
    for (const secret of [HF_TOKEN, OPENAI_KEY, LOCATOR_PASSWORD]) expect(text).not.toContain(secret);
    expect(redactions).toBe('4');
    expect(event.id).toBe(r.event.id);
    expect(event.summary).toBe('training requested by a notebook using [REDACTED:huggingface_token]');
    expect(event.payload).toEqual({
      manifest_ref: MANIFEST,
      base_model: 'hf:HuggingFaceTB/SmolLM2-135M',
      preflight_mode: 'strict',
      recipe: {
        base_model: 'HuggingFaceTB/SmolLM2-135M',
        tokenizer: 'HuggingFaceTB/SmolLM2-135M',
        tokenizer_sha256: TOKENIZER_SHA,
        hf_token: '[REDACTED:key]',
        lr: 2e-5,
        epochs: 3,
        judge: { provider: 'openai', notes: 'judge with [REDACTED:openai_key] at temperature 0' },
        data: { import: 'https://[REDACTED:url_credentials]@data.example.com/exports/support.csv', author: 'Ada Lovelace-Byron' },
      },
    });
    // what publish returns is what was stored
    expect(r.event).toEqual(event);
  });

  it('given a dataset import whose locator carries credentials, the stored locator keeps scheme, host and path', async () => {
    const r = await publisher.publish({
      reason_code: 'dataset_import_requested',
      project_id: 'p1',
      run_id: 'import-1',
      summary: 'import requested',
      payload: {
        locator: `postgres://svc:${LOCATOR_PASSWORD}@db.internal:5432/corpus?table=tickets`,
        mapper_id: 'passthrough',
        field_map: { text: 'body', label: 'queue' },
        task_profile: 'classification',
        selection: 'explicit',
      },
    });
    const { text, redactions, event } = await stored(r.seq);
    expect(text).not.toContain(LOCATOR_PASSWORD);
    expect(redactions).toBe('1');
    expect(event.payload).toEqual({
      locator: 'postgres://[REDACTED:url_credentials]@db.internal:5432/corpus?table=tickets',
      mapper_id: 'passthrough',
      field_map: { text: 'body', label: 'queue' },
      task_profile: 'classification',
      selection: 'explicit',
    });
  });

  it('leaves a clean event as it was, with no redaction header', async () => {
    const payload = { manifest_ref: MANIFEST, base_model: 'hf:HuggingFaceTB/SmolLM2-135M', recipe: { tokenizer_sha256: TOKENIZER_SHA, pad_token: '<pad>' } };
    const r = await publisher.publish({ reason_code: 'training_requested', project_id: 'p1', run_id: 'train-2', summary: 'clean', payload });
    const { redactions, event } = await stored(r.seq);
    expect(redactions).toBe('');
    expect(event.payload).toEqual(payload);
    expect(event.summary).toBe('clean');
  });
});
