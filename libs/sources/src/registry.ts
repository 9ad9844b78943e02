import { SourceError, SourcePluginError, UnsupportedFormatError } from './errors.js';
import { fileSourceFactory } from './file-source.js';
import { FILE_FORMATS } from './formats/file-formats.js';
import { parseLocator } from './locator.js';
import { hfSourceFactory } from './remote/hf.js';
import { kaggleSourceFactory } from './remote/kaggle.js';
import type { Source, SourceContext, SourceFactory } from './types.js';

/** A source plugin as the service's extension loader hands it over: `load()` resolves to a SourceFactory. */
export interface SourcePlugin {
  /** The locator prefix it serves (`s3`, `gcs`, `my-db`): lower case letters, digits, `+`, `.`, `-`. */
  readonly id: string;
  readonly load: () => unknown;
}

/** A plugin that was skipped, with the reason code the service publishes for it. */
export interface PluginFailure {
  readonly id: string;
  readonly reasonCode: 'extension_load_failed' | 'extension_contract_invalid';
  readonly error: string;
}

export interface PluginLoadReport {
  readonly loaded: string[];
  readonly failed: PluginFailure[];
}

const PREFIX = /^[a-z][a-z0-9+.-]{0,31}$/;

export const BUILTIN_PREFIXES = [...FILE_FORMATS, 'hf', 'kaggle'] as const;

/** Checks at runtime that a plugin's source satisfies the Source contract. */
function isSource(value: unknown): value is Source {
  const v = value as Partial<Source> | null;
  return typeof v === 'object' && v !== null && typeof v.locator === 'string' && typeof v.describe === 'function' && typeof v.load === 'function';
}

/**
 * Maps locator prefixes to source factories. Built-ins are registered by {@link createSourceRegistry}; plugins add
 * prefixes with registerSource() or loadPlugins(). resolve() turns a locator into a Source or throws a typed error.
 */
export class SourceRegistry {
  private readonly factories = new Map<string, { factory: SourceFactory; plugin: boolean }>();

  /** Registers a prefix; throws when it is malformed or already taken. */
  registerSource(id: string, factory: SourceFactory, opts: { plugin?: boolean } = {}): void {
    if (!PREFIX.test(id)) throw new Error(`source prefix ${JSON.stringify(id)} must match ${PREFIX} (e.g. "s3", "my-db")`);
    if (this.factories.has(id)) throw new Error(`source prefix "${id}" is already registered`);
    if (typeof factory !== 'function') throw new Error(`source "${id}": the factory is not a function`);
    this.factories.set(id, { factory, plugin: opts.plugin ?? true });
  }

  has(id: string): boolean {
    return this.factories.has(id);
  }

  prefixes(): string[] {
    return [...this.factories.keys()].sort();
  }

  /**
   * Loads plugins one by one. A plugin whose load() throws is reported as `extension_load_failed`; one that
   * resolves to something other than a factory function, or whose id is malformed or taken, as
   * `extension_contract_invalid`. Failed plugins are skipped; the others still load.
   */
  async loadPlugins(plugins: readonly SourcePlugin[]): Promise<PluginLoadReport> {
    const loaded: string[] = [];
    const failed: PluginFailure[] = [];
    for (const plugin of plugins) {
      const id = String(plugin.id);
      let factory: unknown;
      try {
        factory = await plugin.load();
      } catch (err) {
        failed.push({ id, reasonCode: 'extension_load_failed', error: `source plugin "${id}" failed to load: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      if (typeof factory !== 'function') {
        const got = factory === null ? 'null' : Array.isArray(factory) ? 'an array' : typeof factory;
        failed.push({
          id,
          reasonCode: 'extension_contract_invalid',
          error: `source plugin "${id}" must resolve to a factory function (locator, ctx) => Source, got ${got}`,
        });
        continue;
      }
      try {
        this.registerSource(id, factory as SourceFactory, { plugin: true });
        loaded.push(id);
      } catch (err) {
        failed.push({ id, reasonCode: 'extension_contract_invalid', error: `source plugin "${id}": ${(err as Error).message}` });
      }
    }
    return { loaded, failed };
  }

  /**
   * The Source for a locator. Throws LocatorError (syntax, options, data-root escape), UnsupportedFormatError
   * (unknown prefix), SourceIoError (missing file), or SourcePluginError (a plugin broke its contract).
   */
  async resolve(locator: string, ctx: SourceContext): Promise<Source> {
    const parsed = parseLocator(locator);
    const entry = this.factories.get(parsed.scheme);
    if (!entry) {
      throw new UnsupportedFormatError(
        `no source is registered for "${parsed.scheme}:" (${locator}); known prefixes: ${this.prefixes().join(', ')}`,
        locator,
        parsed.scheme,
      );
    }
    let source: unknown;
    try {
      source = await entry.factory(parsed, ctx);
    } catch (err) {
      if (err instanceof SourceError || !entry.plugin) throw err;
      throw new SourcePluginError(`source plugin "${parsed.scheme}" failed on ${locator}: ${(err as Error).message}`, locator, parsed.scheme, 'extension_load_failed', {
        cause: err,
      });
    }
    if (!isSource(source)) {
      throw new SourcePluginError(
        `source plugin "${parsed.scheme}" returned something that is not a Source (needs locator, describe(), load()) for ${locator}`,
        locator,
        parsed.scheme,
        'extension_contract_invalid',
      );
    }
    return source;
  }
}

/** A registry with every built-in prefix: jsonl, csv, tsv, parquet, json, text, conll, hf, kaggle. */
export function createSourceRegistry(): SourceRegistry {
  const registry = new SourceRegistry();
  for (const format of FILE_FORMATS) registry.registerSource(format, fileSourceFactory(format), { plugin: false });
  registry.registerSource('hf', hfSourceFactory, { plugin: false });
  registry.registerSource('kaggle', kaggleSourceFactory, { plugin: false });
  return registry;
}
