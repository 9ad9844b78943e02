import { z } from 'zod';
import { Actor, ProjectId, REASON_CODE_LIST, RunId, SEVERITIES, STAGES } from '@distillery/contracts';

/** `a,b` or repeated `?x=a&x=b` → ['a', 'b']. */
const list = <const T extends readonly string[]>(values: T, what: string) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).filter(Boolean)),
    z
      .array(z.string().refine((s): s is T[number] => values.includes(s), { error: `${what} must be one of ${values.join(', ')}` }))
      .optional(),
  ) as unknown as z.ZodOptional<z.ZodArray<z.ZodType<T[number]>>>;

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time such as 2026-11-22T10:00:00Z' }).optional();

export const eventFiltersShape = {
  project_id: ProjectId.optional(),
  run_id: RunId.optional(),
  parent_run_id: RunId.optional(),
  stage: list(STAGES, 'stage'),
  severity: list(SEVERITIES, 'severity'),
  reason_code: list(REASON_CODE_LIST, 'reason_code'),
  since: isoTime,
  until: isoTime,
  cursor: z.string().min(1).max(512).optional(),
};

export const pageLimit = (max: number) => z.coerce.number().int().min(1).max(max).default(100);

const actorList = z.preprocess(
  (v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(',')).filter(Boolean)),
  z.array(Actor).optional(),
) as unknown as z.ZodOptional<z.ZodArray<typeof Actor>>;

/** The audit explorer's filters: the event filters plus actor, free text, a run subtree and a point in time. */
export const auditFiltersShape = {
  ...eventFiltersShape,
  actor: actorList,
  q: z.string().min(1).max(200).optional(),
  root_run_id: RunId.optional(),
  as_of: isoTime,
};

export const eventsQuery = (max: number) => z.object({ ...auditFiltersShape, limit: pageLimit(max) }).strict();
export const eventsExportQuery = z.object({ ...auditFiltersShape, cursor: z.undefined({ error: 'the export streams every match: no cursor' }).optional() }).strict();
export const asOfQuery = z.object({ project_id: ProjectId.optional(), at: z.iso.datetime({ offset: true, error: 'at: expected an ISO 8601 time such as 2026-11-22T10:00:00Z' }).optional() }).strict();
export const timelineQuery = (max: number) =>
  z.object({ ...eventFiltersShape, root_run_id: RunId.optional(), limit: pageLimit(max) }).strict();

export const runParams = z.object({ runId: RunId });
export const streamQuery = z.object({ project_id: ProjectId.optional(), from_seq: z.coerce.number().int().min(1).optional() }).strict();

export const demoRunBody = z
  .object({
    project_id: ProjectId.default('demo'),
    run_id: RunId.optional(),
    steps: z.number().int().min(1).max(1000).default(5),
    children: z.number().int().min(0).max(20).default(2),
    fail_child: z.boolean().default(false),
  })
  .strict();
export type DemoRunBody = z.output<typeof demoRunBody>;
