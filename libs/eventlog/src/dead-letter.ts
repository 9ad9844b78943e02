import { SUBJECT_TOKEN, parseSubject } from '@distillery/contracts';
import type { EventPublisher } from './publisher.js';

export interface DeadLetterSource {
  readonly stream: string;
  readonly subject: string;
  readonly seq: number;
  readonly consumer: string;
  readonly subjectPrefix: string;
}

/** Project and run of a dead letter: taken from the broken message's subject when those tokens are valid. */
function locate(src: DeadLetterSource): { project_id: string; run_id: string } {
  const parts = parseSubject(src.subjectPrefix, src.subject);
  const ok = (s: string | undefined): s is string => !!s && SUBJECT_TOKEN.test(s);
  return {
    project_id: ok(parts.project_id) ? parts.project_id : 'system',
    run_id: ok(parts.run_id) ? parts.run_id : 'dead-letters',
  };
}

export async function publishSchemaInvalid(
  publisher: EventPublisher,
  src: DeadLetterSource,
  bad: { errors: string[]; rawBytes: number; rawSha256: string; rawExcerpt: string },
): Promise<void> {
  const where = locate(src);
  await publisher.publish(
    {
      reason_code: 'event_schema_invalid',
      ...where,
      summary: `dead letter: ${src.subject} seq ${src.seq} rejected by ${src.consumer}: ${bad.errors[0] ?? 'invalid'}`.slice(0, 500),
      payload: {
        stream: src.stream,
        subject: src.subject,
        stream_seq: src.seq,
        consumer: src.consumer,
        errors: bad.errors.slice(0, 50),
        raw_bytes: bad.rawBytes,
        raw_sha256: bad.rawSha256,
        raw_excerpt: bad.rawExcerpt,
      },
    },
    { dedupKey: `dlq:${src.stream}:${src.seq}:${src.consumer}` },
  );
}
