import { beforeAll, describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';

/**
 * Proves that the module-boundary rules of eslint.config.mjs are live, by linting snippets placed (virtually, via
 * `filePath`) inside real projects. The Nx rule needs the project graph: eslint.config.mjs builds it on load (which
 * also writes the cache the rule reads), so this works in a fresh checkout and inside Jest without a prior `nx` run.
 */
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BOUNDARIES = '@nx/enforce-module-boundaries';

let eslint: ESLint;

async function lint(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  if (!result) throw new Error(`no lint result for ${filePath}`);
  return result.messages;
}

const byRule = (messages: Linter.LintMessage[], rule: string) =>
  messages.filter((m) => m.ruleId === rule).map((m) => ({ line: m.line, message: m.message.split('\n')[0] }));

describe('module boundaries (eslint.config.mjs)', () => {
  beforeAll(() => {
    eslint = new ESLint({ cwd: repoRoot });
  });

  it('reports a transport package and an adapter lib imported from libs/contracts', async () => {
    const messages = await lint(
      'libs/contracts/src/__boundary-probe.ts',
      [
        "import { jetstream } from '@nats-io/jetstream';",
        "import { EventLog } from '@distillery/eventlog';",
        'export const probe = [jetstream, EventLog];',
        '',
      ].join('\n'),
    );
    const reported = byRule(messages, BOUNDARIES);
    expect(reported.map((r) => r.line)).toEqual([1, 2]);
    expect(reported[0]?.message).toBe('A project tagged with "type:contracts" is not allowed to import "@nats-io/jetstream"');
    // eventlog depends on contracts, so the rule reports the cycle first; either way the import is refused.
    expect(reported[1]?.message).toMatch(/contracts.*eventlog/);
  });

  it('reports a contracts lib using a platform lib by tag, and Node built-ins in contracts', async () => {
    const messages = await lint(
      'libs/contracts/src/__boundary-probe.ts',
      [
        "import { parseConfig } from '@distillery/config';",
        "import { readFile } from 'node:fs/promises';",
        'export const probe = [parseConfig, readFile];',
        '',
      ].join('\n'),
    );
    expect(byRule(messages, BOUNDARIES)).toEqual([
      { line: 1, message: 'A project tagged with "type:contracts" can only depend on libs tagged with "type:contracts"' },
    ]);
    expect(byRule(messages, 'no-restricted-imports').map((r) => r.line)).toEqual([2]);
  });

  it('lets only spec files use type:testing', async () => {
    const code = "import { uniqueName } from '@distillery/testing';\nexport const probe = uniqueName;\n";
    const inSrc = byRule(await lint('libs/config/src/__boundary-probe.ts', code), BOUNDARIES);
    expect(inSrc).toEqual([
      {
        line: 1,
        message: 'A project tagged with "type:platform" can only depend on libs tagged with "type:contracts", "type:adapter", "type:platform"',
      },
    ]);
    expect(byRule(await lint('libs/config/test/__boundary-probe.unit.spec.ts', code), BOUNDARIES)).toEqual([]);
  });

  it('lets the CLI (type:cli) import apps, but not an app another app, nor app code type:testing', async () => {
    const fromCli = await lint('apps/cli/src/__boundary-probe.ts', "import * as api from '@distillery/app-api';\nexport const probe = api;\n");
    expect(byRule(fromCli, BOUNDARIES)).toEqual([]);
    const fromApp = await lint(
      'apps/api/src/__boundary-probe.ts',
      [
        "import * as projector from '@distillery/app-projector';",
        "import { uniqueName } from '@distillery/testing';",
        'export const probe = [projector, uniqueName];',
        '',
      ].join('\n'),
    );
    expect(byRule(fromApp, BOUNDARIES).map((r) => r.line)).toEqual([1, 2]);
    expect(byRule(fromApp, BOUNDARIES)[1]?.message).toMatch(/^A project tagged with "type:app" can only depend on libs tagged with/);
  });

  it("lets an app's tests (not a lib's) boot sibling apps in-process", async () => {
    const code = "import * as projector from '@distillery/app-projector';\nexport const probe = projector;\n";
    expect(byRule(await lint('apps/api/test/__boundary-probe.int.spec.ts', code), BOUNDARIES)).toEqual([]);
    // reported as "Imports of apps are forbidden" or, as the app already uses this lib, as a cycle
    expect(byRule(await lint('libs/config/test/__boundary-probe.unit.spec.ts', code), BOUNDARIES).map((r) => r.line)).toEqual([1]);
  });

  it('accepts a clean snippet in libs/contracts', async () => {
    const messages = await lint(
      'libs/contracts/src/__boundary-probe.ts',
      "import { z } from 'zod';\n\nexport const Probe = z.object({ id: z.string() });\n",
    );
    expect(messages).toEqual([]);
  });
});
