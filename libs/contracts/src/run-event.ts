import { z } from 'zod';
import { Actor, EventId, ProjectId, RunId, SEVERITIES, STAGES, type Severity } from './primitives.js';
import { REASON_CODES, isReasonCode, type PayloadOf, type ReasonCode, type StageOf } from './reason-codes.js';

export const RUN_EVENT_SCHEMA_VERSION = 1 as const;

const HexId = (len: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${len}}$`), `${what} must be ${len} hex chars`);

/** The envelope every RunEvent carries. The payload is validated separately, against its reason code. */
export const RunEventEnvelope = z.object({
  id: EventId,
  project_id: ProjectId,
  run_id: RunId,
  parent_run_id: RunId.nullable(),
  stage: z.enum(STAGES),
  reason_code: z.string().min(1),
  severity: z.enum(SEVERITIES),
  actor: Actor,
  summary: z
    .string()
    .min(1)
    .max(500)
    .refine((s) => !/[\r\n]/.test(s), 'summary must be one line'),
  payload: z.unknown(),
  occurred_at: z.iso.datetime({ offset: true }),
  correlation_id: z.string().min(1).max(128),
  causation_id: z.string().min(1).max(128).nullable(),
  trace_id: HexId(32, 'trace_id').nullable(),
  span_id: HexId(16, 'span_id').nullable(),
  producer: z.string().regex(/^[a-z][a-z0-9-]*@[0-9A-Za-z.+-]+$/, "producer must look like '<app>@<version>'"),
  schema_version: z.literal(RUN_EVENT_SCHEMA_VERSION),
});
type Envelope = Omit<z.infer<typeof RunEventEnvelope>, 'stage' | 'reason_code' | 'payload'>;

/** A RunEvent of one reason code: its stage and payload type follow from the code. */
export type RunEventOf<C extends ReasonCode> = Envelope & {
  readonly reason_code: C;
  readonly stage: StageOf<C>;
  readonly payload: PayloadOf<C>;
};
/** The one message type of the system: a discriminated union on `reason_code`. */
export type RunEvent = { [C in ReasonCode]: RunEventOf<C> }[ReasonCode];

/**
 * What an emitter writes: the code, the run, a one-line summary and the payload. The event log fills the rest of
 * the envelope (id, time, stage, correlation, causation, trace, producer) — domain code never sets them.
 */
export type RunEventDraft<C extends ReasonCode = ReasonCode> = {
  [K in C]: {
    readonly reason_code: K;
    readonly project_id: string;
    readonly run_id: string;
    readonly parent_run_id?: string | null;
    readonly summary: string;
    readonly payload: PayloadOf<K>;
    /** Defaults to the first severity the code allows. */
    readonly severity?: Severity;
    /** Defaults to `service:<producer app>`. Set it to `user:<id>` when a user caused the event. */
    readonly actor?: string;
  };
}[C];

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

const formatIssues = (prefix: string, error: z.ZodError): string[] =>
  error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join('.');
    return `${path || '(root)'}: ${i.message}`;
  });

/** Validates an unknown value as a RunEvent: envelope, known reason code, stage/severity rules and payload schema. */
export function validateRunEvent(value: unknown): ValidationResult<RunEvent> {
  const env = RunEventEnvelope.safeParse(value);
  if (!env.success) return { ok: false, errors: formatIssues('', env.error) };
  const e = env.data;
  if (!isReasonCode(e.reason_code)) {
    return { ok: false, errors: [`reason_code: unknown reason code '${e.reason_code}'`] };
  }
  const spec = REASON_CODES[e.reason_code];
  const errors: string[] = [];
  if (e.stage !== spec.stage) {
    errors.push(`stage: '${e.reason_code}' belongs to stage '${spec.stage}', not '${e.stage}'`);
  }
  if (!spec.severities.includes(e.severity)) {
    errors.push(`severity: '${e.reason_code}' allows ${spec.severities.join(' | ')}, not '${e.severity}'`);
  }
  const payload = (spec.payload as z.ZodType).safeParse(e.payload);
  if (!payload.success) errors.push(...formatIssues('payload', payload.error));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: value as RunEvent };
}

/** Validates only a payload against its reason code (used by emitters before the envelope exists). */
export function validatePayload(code: ReasonCode, payload: unknown): ValidationResult<unknown> {
  const r = (REASON_CODES[code].payload as z.ZodType).safeParse(payload);
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues('payload', r.error) };
}

export class RunEventValidationError extends Error {
  readonly code = 'EVENTS.SCHEMA_INVALID';
  constructor(
    readonly errors: readonly string[],
    context: string,
  ) {
    super(`${context}: ${errors.join('; ')}`);
    this.name = 'RunEventValidationError';
  }
}

/** The longest summary a RunEvent carries. */
export const SUMMARY_MAX = 500;

/**
 * A summary as RunEvents carry it: whitespace runs (line breaks of an error message included) collapsed to one space,
 * cut to SUMMARY_MAX with an ellipsis. Publishers apply it, so a multi-line error text never makes an event
 * unpublishable; the full text belongs in the payload (`failure.message`).
 */
export function oneLineSummary(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= SUMMARY_MAX ? flat : `${flat.slice(0, SUMMARY_MAX - 1)}…`;
}
