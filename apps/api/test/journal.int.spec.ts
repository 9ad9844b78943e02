/** GET /api/projects/:p/journal against real NATS and PostgreSQL: events projected by the projector, served by the API. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RunEventDraft } from '@distillery/contracts';
import { waitFor } from '@distillery/testing';
import type { IsolatedSpine } from '@distillery/testing-spine';
import { startApiStack, type ApiStack } from './support/api-stack.js';

const ref = { uri: `artifact://sha256/${'e'.repeat(64)}`, sha256: 'e'.repeat(64), bytes: 1, media_type: 'application/octet-stream' };

describe('the lab journal over HTTP', () => {
  let stack: ApiStack;
  let spine: IsolatedSpine;
  let base = '';

  beforeAll(async () => {
    stack = await startApiStack('journal');
    ({ spine, base } = stack);
  }, 60_000);

  afterAll(async () => stack?.stop());

  it('a project with no events yet is level 1 with everything locked; a training run unlocks and earns', async () => {
    const empty = await (await fetch(`${base}/api/projects/acme/journal`)).json() as Record<string, unknown>;
    expect(empty).toMatchObject({ project_id: 'acme', level: 1, xp: 0, unlocked_count: 0, achievements_total: 16 });
    const pub = spine.log.publisher({ app: 'test', version: '1' });
    await pub.publish({ reason_code: 'training_requested', project_id: 'acme', run_id: 't-1', actor: 'user:ada', summary: 'train', payload: { base_model: 'hf:tiny' } } as RunEventDraft);
    await pub.publish({ reason_code: 'training_completed', project_id: 'acme', run_id: 't-1', summary: 'done', payload: { model_ref: ref, method: 'dpo' } } as RunEventDraft);
    const v = await waitFor('journal projected', async () => {
      const body = await (await fetch(`${base}/api/projects/acme/journal`)).json() as { xp: number; users: Array<{ actor: string; xp: number }>; achievements: Array<{ id: string; unlocked: unknown }> };
      return body.xp > 0 ? body : undefined;
    });
    expect(v.xp).toBe(100 + 2 * 50);
    expect(v.users).toEqual([expect.objectContaining({ actor: 'user:ada', xp: 200, level: 2 })]);
    expect(v.achievements.filter((a) => a.unlocked).map((a) => a.id).sort()).toEqual(['dpo_run', 'first_training']);
    expect((await fetch(`${base}/api/projects/Bad%20Id/journal`)).status).toBe(400);
  });
});
