import { z } from 'zod';

/** One bad environment variable: its name, what was expected, and what it held (redacted when secret). */
export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
  /** The raw value, quoted, or `undefined` when the variable is not set (or for a cross-field check). Secrets are redacted. */
  readonly got: string | undefined;
}

/** Thrown by `parseConfig` when the environment does not satisfy an app's schema; names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG.INVALID';

  constructor(
    readonly app: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`${app}: invalid configuration: ${issues.map(formatIssue).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** The pseudo-variable that cross-field checks (object-level refinements) are reported under. */
export const CROSS_FIELD = '(config)';

function formatIssue(issue: ConfigIssue): string {
  if (issue.variable === CROSS_FIELD) return `${issue.variable}: ${issue.message}`;
  return issue.got === undefined
    ? `${issue.variable}: ${issue.message}, but it is not set`
    : `${issue.variable}: ${issue.message}, got ${issue.got}`;
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_?KEY|PRIVATE/i;
const MAX_SHOWN = 80;

/** Quotes a raw value for an error message without leaking secrets (secret-named variables, URL passwords). */
function describeValue(variable: string, raw: string): string {
  if (SECRET_NAME.test(variable)) return '<redacted>';
  let shown = raw;
  try {
    const u = new URL(raw);
    if (u.password) {
      u.password = '***';
      shown = u.toString();
    }
  } catch {
    // not a URL: show as is
  }
  if (shown.length > MAX_SHOWN) shown = `${shown.slice(0, MAX_SHOWN)}…`;
  return JSON.stringify(shown);
}

/**
 * Parses an app's environment once, at startup, against its Zod object schema (one key per variable).
 * Empty strings count as "not set", so `FOO=` falls back to the schema's default (Helm and compose often render
 * unset values as empty). Nothing else in an app should read `process.env`.
 *
 * @throws ConfigError naming every bad variable and why, e.g.
 *   `api: invalid configuration: PORT: expected a number from 1 to 65535, got "abc"; NATS_URL: …`
 */
export function parseConfig<S extends z.ZodObject>(
  app: string,
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<z.output<S>> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (result.success) return Object.freeze(result.data);

  const byVariable = new Map<string, { messages: string[]; got: string | undefined }>();
  for (const issue of result.error.issues) {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : CROSS_FIELD;
    const top = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
    const raw = top === undefined ? undefined : input[top];
    const entry = byVariable.get(variable) ?? {
      messages: [],
      got: raw === undefined || top === undefined ? undefined : describeValue(top, raw),
    };
    if (!entry.messages.includes(issue.message)) entry.messages.push(issue.message);
    byVariable.set(variable, entry);
  }
  const issues: ConfigIssue[] = [...byVariable].map(([variable, { messages, got }]) => ({
    variable,
    message: messages.join(' and '),
    got,
  }));
  throw new ConfigError(app, issues);
}
