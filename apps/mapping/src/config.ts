import { z } from 'zod';
import { parseConfig } from '@distillery/config';
import { dataConfigShape } from '@distillery/importer';
import { commonConfigShape, portField } from '@distillery/platform-nest';

export const mappingConfigSchema = z.object({
  ...commonConfigShape,
  ...dataConfigShape,
  PORT: portField(8083),
});
export type MappingConfig = z.output<typeof mappingConfigSchema>;

export const parseMappingConfig = (env?: Record<string, string | undefined>): MappingConfig =>
  parseConfig('mapping', mappingConfigSchema, env);
