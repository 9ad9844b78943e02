import { LineCounter, parseDocument, isMap, isScalar, type Document, type Node as YamlNode } from 'yaml';
import type { Recipe } from './recipe.js';
import { isObj, join, Reader, type Path } from './recipe-reader.js';
import { readRecipe, type ReadRecipeOptions } from './recipe-sections.js';

/** One problem in a recipe: the field (dotted path, `[i]` for list items) and what was expected. */
export interface RecipeIssue {
  /** e.g. `optim.learning_rate`, `lora.target_modules[1]`; `(root)` for the document itself, `(yaml)` for syntax. */
  readonly path: string;
  /** e.g. `expected a number > 0, got -1`. */
  readonly message: string;
  /** 1-based position in the YAML / JSON text, when the recipe was parsed from text and the field is in it. */
  readonly line?: number;
  readonly column?: number;
}

export const formatRecipeIssue = (i: RecipeIssue): string =>
  `${i.path}: ${i.message}${i.line === undefined ? '' : ` (line ${i.line}, column ${i.column ?? 1})`}`;

/** Thrown by `parseRecipe`; `issues` lists every problem found, not just the first. */
export class RecipeError extends Error {
  readonly code = 'RECIPE.INVALID';
  constructor(readonly issues: readonly RecipeIssue[]) {
    super(`recipe is invalid (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'}): ${issues.map(formatRecipeIssue).join('; ')}`);
    this.name = 'RecipeError';
  }
}

/** `task_profile`: the dataset's task profile, when known; enables the "dpo needs preference pairs" check. */
export type ParseRecipeOptions = ReadRecipeOptions;

/** A recipe may be written bare or wrapped in a single `recipe:` key (as the BrewSLM lessons show it). */
function unwrap(value: unknown): { doc: unknown; prefix: Path } {
  if (isObj(value) && Object.keys(value).length === 1 && isObj(value['recipe'])) return { doc: value['recipe'], prefix: ['recipe'] };
  return { doc: value, prefix: [] };
}

function locate(doc: Document.Parsed, lc: LineCounter, path: Path, atKey: boolean): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    if (atKey && n === path.length && n > 0) {
      const parent = sub.length === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === sub[sub.length - 1]);
        const range = (pair?.key as YamlNode | undefined)?.range;
        if (range) return toPos(lc, range[0]);
      }
    }
    const node = (sub.length === 0 ? doc.contents : doc.getIn(sub, true)) as YamlNode | null | undefined;
    if (node?.range) return toPos(lc, node.range[0]);
  }
  return undefined;
}

const toPos = (lc: LineCounter, offset: number): { line: number; column: number } => {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
};

/**
 * Parses a recipe from YAML / JSON text (JSON is read as YAML 1.2, of which it is a subset) or from an already
 * parsed object, checks it, and fills in every default (see `recipeDefaults`; `recipe_version`, `base_model` and
 * `method` are required). The result is a fully resolved `Recipe`.
 *
 * @throws RecipeError listing every problem at once: each names its field path and what was expected, e.g.
 *   `optim.learning_rate: expected a number > 0 and ≤ 1, got -1`; unknown keys get a "did you mean"; text input adds
 *   the line and column, and YAML syntax errors are reported (path `(yaml)`) with theirs.
 */
export function parseRecipe(input: unknown, options: ParseRecipeOptions = {}): Recipe {
  let value: unknown = input;
  let where: ((path: Path, atKey: boolean) => { line: number; column: number } | undefined) | undefined;
  if (typeof input === 'string') {
    const lc = new LineCounter();
    const doc = parseDocument(input, { lineCounter: lc, uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new RecipeError(
        doc.errors.map((e) => {
          const pos = e.linePos?.[0];
          const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
          return pos === undefined ? { path: '(yaml)', message } : { path: '(yaml)', message, line: pos.line, column: pos.col };
        }),
      );
    }
    value = doc.toJS({ maxAliasCount: 100 });
    where = (path, atKey) => locate(doc, lc, path, atKey);
  }
  const { doc, prefix } = unwrap(value);
  const r = new Reader();
  const obj = r.mapping(doc, []);
  const recipe = obj === undefined ? undefined : readRecipe(r, obj, options);
  if (recipe !== undefined && r.issues.length === 0) return recipe;
  throw new RecipeError(
    r.issues.map((i) => {
      const full = [...prefix, ...i.path];
      const pos = where?.(full, i.atKey ?? false);
      return pos === undefined ? { path: join(full), message: i.message } : { path: join(full), message: i.message, ...pos };
    }),
  );
}
