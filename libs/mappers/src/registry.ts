import { TASK_PROFILES, type SourceRow, type TaskProfile } from '@distillery/contracts';
import { bioToSpans } from './builtin/bio-to-spans.js';
import { chatMessagesPassthrough } from './builtin/chat-messages.js';
import { kvToStructured } from './builtin/kv-to-structured.js';
import { labelToClassification } from './builtin/label-to-classification.js';
import { preferencePair } from './builtin/preference-pair.js';
import { qaPairPassthrough } from './builtin/qa-pair.js';
import { ragPassthrough } from './builtin/rag-passthrough.js';
import { textOnly } from './builtin/text-only.js';
import { isPlainObject, reject, sentinel } from './fields.js';
import type { FieldMap, MapOptions, MapResult, Mapper } from './types.js';

/** The built-in mappers, in documentation order. */
export const BUILTIN_MAPPERS: readonly Mapper[] = [
  bioToSpans,
  labelToClassification,
  textOnly,
  qaPairPassthrough,
  chatMessagesPassthrough,
  preferencePair,
  ragPassthrough,
  kvToStructured,
];

export const BUILTIN_MAPPER_IDS: readonly string[] = BUILTIN_MAPPERS.map((m) => m.id);

/** A plugin registers a factory; it is called once, at registration, and its product is checked. */
export type MapperFactory = () => unknown;

/**
 * A plugin whose mapper breaks the contract. The caller turns it into the RunEvent reason code in `reason_code`
 * (system stage, `extension_contract_invalid`) and goes on loading the other plugins.
 */
export class MapperContractError extends Error {
  readonly reason_code = 'extension_contract_invalid' as const;
  constructor(
    readonly mapper_id: string,
    readonly problems: readonly string[],
  ) {
    super(`mapper '${mapper_id}' breaks the mapper contract: ${problems.join('; ')}`);
    this.name = 'MapperContractError';
  }
}

const ID = /^[a-z][a-z0-9_.-]{0,63}$/;

/** Every way `candidate` fails the Mapper contract for `id` (empty when it holds). */
export function mapperContractProblems(id: string, candidate: unknown): string[] {
  const problems: string[] = [];
  if (!ID.test(id)) problems.push(`id ${JSON.stringify(id)} must be lower-case letters, digits, '_', '.' or '-', starting with a letter`);
  if (!isPlainObject(candidate)) return [...problems, 'the factory did not return an object'];
  const m = candidate;
  if (typeof m['id'] !== 'string') problems.push('id must be a string');
  else if (m['id'] !== id) problems.push(`id '${m['id']}' differs from the registered id '${id}'`);
  if (typeof m['task_profile'] !== 'string' || !TASK_PROFILES.includes(m['task_profile'] as TaskProfile)) {
    problems.push(`task_profile ${JSON.stringify(m['task_profile'])} is not one of ${TASK_PROFILES.join(', ')}`);
  }
  const roles = m['roles'];
  if (!Array.isArray(roles) || roles.length === 0) problems.push('roles must be a non-empty array');
  else {
    const names = new Set<string>();
    roles.forEach((r: unknown, i) => {
      if (!isPlainObject(r) || typeof r['name'] !== 'string' || r['name'] === '') problems.push(`roles[${i}].name must be a non-empty string`);
      else if (names.has(r['name'])) problems.push(`roles[${i}].name '${r['name']}' is a duplicate`);
      else names.add(r['name']);
      if (!isPlainObject(r) || typeof r['required'] !== 'boolean') problems.push(`roles[${i}].required must be a boolean`);
      if (isPlainObject(r) && r['description'] !== undefined && typeof r['description'] !== 'string') {
        problems.push(`roles[${i}].description must be a string`);
      }
    });
  }
  if (typeof m['map'] !== 'function') problems.push('map must be a function');
  const schema = m['output_schema'];
  if (!isPlainObject(schema)) problems.push('output_schema must be an object {fields, scoring_mode}');
  else {
    if (!isPlainObject(schema['fields']) || !Object.values(schema['fields']).every((v) => typeof v === 'string')) {
      problems.push('output_schema.fields must be an object of field → type strings');
    }
    if (typeof schema['scoring_mode'] !== 'string' || schema['scoring_mode'] === '') {
      problems.push('output_schema.scoring_mode must be a non-empty string');
    }
  }
  return problems;
}

/** True when `r` is a MappedRow for `row` (plugins' results are checked before anyone relies on them). */
function isMappedRowFor(r: unknown, row: SourceRow): r is MapResult {
  if (!isPlainObject(r) || typeof r['ok'] !== 'boolean' || !isPlainObject(r['row'])) return false;
  const out = r['row'];
  if (out['row_id'] !== row.row_id) return false;
  if (r['ok']) return typeof out['task_profile'] === 'string' && isPlainObject(out['record']);
  return typeof out['reason'] === 'string' && typeof out['detail'] === 'string';
}

/**
 * Wraps a mapper so that it keeps per-row accountability whatever it does: sentinel rows are rejected before it
 * runs, and a throw or a result that is not a MappedRow for the row becomes a RejectedRow `mapper_error`.
 */
export function guardMapper(mapper: Mapper): Mapper {
  // Explicit copy (not a spread): a plugin may be a class instance whose map lives on its prototype.
  return {
    id: mapper.id,
    task_profile: mapper.task_profile,
    output_schema: mapper.output_schema,
    roles: mapper.roles,
    ...(mapper.description !== undefined ? { description: mapper.description } : {}),
    map(row: SourceRow, fieldMap: FieldMap, options?: MapOptions): MapResult {
      const s = sentinel(row);
      if (s) return s;
      try {
        const r: unknown = mapper.map(row, fieldMap, options);
        return isMappedRowFor(r, row) ? r : reject(row, 'mapper_error', `mapper '${mapper.id}' returned no MappedRow for this row`);
      } catch (e) {
        return reject(row, 'mapper_error', `mapper '${mapper.id}' threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  };
}

/** The built-in mappers plus registered plugins, by id. One per process (or per test): no global state. */
export class MapperRegistry {
  readonly #mappers = new Map<string, Mapper>();

  constructor() {
    for (const m of BUILTIN_MAPPERS) this.#mappers.set(m.id, m);
  }

  /**
   * Registers a plugin mapper. Throws MapperContractError (reason_code extension_contract_invalid) when the id is
   * taken, the factory throws, or its product breaks the contract; the registry is unchanged then. The registered
   * mapper is guarded (`guardMapper`).
   */
  registerMapper(id: string, factory: MapperFactory): Mapper {
    if (this.#mappers.has(id)) throw new MapperContractError(id, [`a mapper with id '${id}' is already registered`]);
    if (typeof factory !== 'function') throw new MapperContractError(id, ['the factory is not a function']);
    let candidate: unknown;
    try {
      candidate = factory();
    } catch (e) {
      throw new MapperContractError(id, [`the factory threw: ${e instanceof Error ? e.message : String(e)}`]);
    }
    const problems = mapperContractProblems(id, candidate);
    if (problems.length > 0) throw new MapperContractError(id, problems);
    const guarded = guardMapper(candidate as Mapper);
    this.#mappers.set(id, guarded);
    return guarded;
  }

  get(id: string): Mapper | undefined {
    return this.#mappers.get(id);
  }

  has(id: string): boolean {
    return this.#mappers.has(id);
  }

  /** Registered ids: built-ins first, then plugins in registration order. */
  ids(): string[] {
    return [...this.#mappers.keys()];
  }

  list(): Mapper[] {
    return [...this.#mappers.values()];
  }
}

export function createMapperRegistry(): MapperRegistry {
  return new MapperRegistry();
}

/** Problems with a field map for a mapper: unmapped required roles, unknown roles. Empty when it is usable. */
export function checkFieldMap(mapper: Mapper, fieldMap: FieldMap): string[] {
  const problems: string[] = [];
  for (const r of mapper.roles) if (r.required && !fieldMap[r.name]) problems.push(`required role '${r.name}' has no column`);
  const known = new Set(mapper.roles.map((r) => r.name));
  for (const role of Object.keys(fieldMap)) if (!known.has(role)) problems.push(`'${role}' is not a role of ${mapper.id}`);
  return problems;
}
