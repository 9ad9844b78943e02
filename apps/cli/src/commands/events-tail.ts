import { projectFilter, runFilter } from '@distillery/contracts';
import { EventLog } from '@distillery/eventlog';
import { topologyFromConfig } from '@distillery/platform-nest';
import type { CliConfig } from '../config.js';
import { formatEvent } from '../render.js';

export interface TailOptions {
  readonly run?: string;
  readonly project?: string;
  readonly fromSeq?: number;
  readonly all: boolean;
  readonly follow: boolean;
  readonly json: boolean;
}

/** Prints RunEvents straight from the log (the public contract), then follows new ones. */
export async function eventsTailCommand(config: CliConfig, opts: TailOptions, signal: AbortSignal): Promise<void> {
  const log = await EventLog.connect({ url: config.NATS_URL, name: 'distillery-cli-tail', topology: topologyFromConfig(config) });
  try {
    const last = await log.lastSeq();
    const fromSeq = opts.fromSeq ?? (opts.all || opts.run ? 1 : last + 1);
    const filterSubject = opts.run
      ? runFilter(log.subjectPrefix, opts.run, opts.project)
      : opts.project
        ? projectFilter(log.subjectPrefix, opts.project)
        : undefined;
    for await (const batch of log.read({ fromSeq, follow: opts.follow, filterSubject, signal })) {
      for (const m of batch) {
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(m.decoded.ok ? { seq: m.seq, ...m.decoded.event } : { seq: m.seq, subject: m.subject, invalid: m.decoded.errors })}\n`);
        } else if (m.decoded.ok) {
          process.stdout.write(`${formatEvent(m.seq, m.decoded.event)}\n`);
        } else {
          process.stdout.write(`${String(m.seq).padStart(6)} (invalid message on ${m.subject}: ${m.decoded.errors[0]})\n`);
        }
      }
    }
  } finally {
    await log.close();
  }
}
