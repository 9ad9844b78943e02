export const API_OPTIONS = Symbol.for('distillery.ApiOptions');
import type { FileArtifactStore } from '@distillery/artifacts';

export interface ApiOptions {
  readonly maxPageSize: number;
  /** Reports and manifests of clean / prepare tasks are read from here (the workspace's artifact store). */
  readonly artifacts: FileArtifactStore;
}

export const IMPORTER = Symbol.for('distillery.Importer');
