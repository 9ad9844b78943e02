/** Thrown by a handler when retrying cannot help (bad input, illegal state): the message is terminated and dead-lettered. */
export class PermanentError extends Error {
  readonly code: string;
  constructor(message: string, code = 'HANDLER.PERMANENT', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
    this.code = code;
  }
}

export class TopologyMissingError extends Error {
  readonly code = 'EVENTLOG.TOPOLOGY_MISSING';
  constructor(what: string) {
    super(`${what} does not exist on the NATS server. Apply the topology first: \`distillery topology apply\`.`);
    this.name = 'TopologyMissingError';
  }
}

export class EventLogUnavailableError extends Error {
  readonly code = 'EVENTLOG.UNAVAILABLE';
  constructor(url: string, cause: unknown) {
    super(`cannot reach NATS at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EventLogUnavailableError';
  }
}
