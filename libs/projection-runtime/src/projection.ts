import type { Kysely, Transaction } from 'kysely';
import type { RunEvent } from '@distillery/contracts';

export interface StoredEvent {
  readonly seq: number;
  readonly event: RunEvent;
}

// Projections own their tables and type their own queries; the runtime only hands them a connection.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTrx = Transaction<any>;

/**
 * A read model built from the RunEvent log. Versioned blue/green: each version has its own tables, and views with
 * stable names point at the active version, so readers never see a half-built rebuild.
 */
export interface Projection {
  /** Named after the query it serves, e.g. `timeline`. */
  readonly name: string;
  /** Creates the tables of one version (idempotent). */
  createVersion(db: AnyDb, version: number): Promise<void>;
  /** Points the stable views at a version (inside the switch-over transaction). */
  activateVersion(trx: AnyTrx, version: number): Promise<void>;
  dropVersion(db: AnyDb, version: number): Promise<void>;
  /** Folds a batch of events (in stream order) into the version's rows. Runs inside the checkpoint transaction. */
  apply(trx: AnyTrx, version: number, events: readonly StoredEvent[]): Promise<void>;
  /**
   * Optional, for rebuilds: an in-memory accumulator that folds many read batches and writes each row once per
   * chunk (a rebuild's version is invisible until the switch, so nothing reads it in between).
   */
  accumulator?(): ProjectionAccumulator;
}

export interface ProjectionAccumulator {
  add(events: readonly StoredEvent[]): void;
  /** Writes what was folded since the last flush (inside the checkpoint transaction) and starts afresh. */
  flush(trx: AnyTrx, version: number): Promise<void>;
}
