import type { FileArtifactStore } from '@distillery/artifacts';
import { dataTasksProjection, importsProjection, trainingRunsProjection } from '@distillery/data-views';
import type { Logger } from '@distillery/eventlog';
import { failureClustersProjection } from '@distillery/failure-clusters';
import { labJournalProjection } from '@distillery/lab-journal';
import { rowLineageProjection } from '@distillery/lineage';
import type { Projection } from '@distillery/projection-runtime';
import { runEventsProjection, timelineProjection } from '@distillery/timeline';

/** What projections need beyond events: row lineage reads the artifacts the events reference. */
export interface ProjectionDeps {
  readonly artifacts: FileArtifactStore;
  readonly logger?: Logger;
}

/** Every read model the projector maintains, by name (`distillery projections rebuild <name>`). */
export function projections(deps: ProjectionDeps): Readonly<Record<string, Projection>> {
  const all = [timelineProjection, runEventsProjection, importsProjection, dataTasksProjection, trainingRunsProjection, rowLineageProjection(deps.artifacts, deps.logger ? { logger: deps.logger } : {}), failureClustersProjection, labJournalProjection];
  return Object.fromEntries(all.map((p) => [p.name, p]));
}

export const PROJECTION_NAMES = ['timeline', 'run_events', 'imports', 'data_tasks', 'training_runs', 'row_lineage', 'failure_clusters', 'lab_journal'] as const;

export function projectionByName(name: string, deps: ProjectionDeps): Projection {
  const p = projections(deps)[name];
  if (!p) throw new Error(`unknown projection '${name}'; known: ${PROJECTION_NAMES.join(', ')}`);
  return p;
}
