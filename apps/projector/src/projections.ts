import type { Projection } from '@distillery/projection-runtime';
import { dataTasksProjection, importsProjection } from '@distillery/data-views';
import { runEventsProjection, timelineProjection } from '@distillery/timeline';

/** Every read model the projector maintains, by name (`distillery projections rebuild <name>`). */
export const PROJECTIONS: Readonly<Record<string, Projection>> = {
  [timelineProjection.name]: timelineProjection,
  [runEventsProjection.name]: runEventsProjection,
  [importsProjection.name]: importsProjection,
  [dataTasksProjection.name]: dataTasksProjection,
};

export function projectionByName(name: string): Projection {
  const p = PROJECTIONS[name];
  if (!p) throw new Error(`unknown projection '${name}'; known: ${Object.keys(PROJECTIONS).join(', ')}`);
  return p;
}
