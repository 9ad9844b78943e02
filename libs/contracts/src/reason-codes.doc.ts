import { z } from 'zod';
import { STAGES } from './primitives.js';
import { REASON_CODES, reasonCodesOfStage } from './reason-codes.js';

function payloadFields(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any' }) as {
    properties?: Record<string, { type?: string | string[]; $ref?: string }>;
    required?: string[];
  };
  const props = json.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0) return '—';
  const required = new Set(json.required ?? []);
  return names
    .map((n) => {
      const t = props[n]?.type;
      const type = Array.isArray(t) ? t.join('|') : (t ?? 'object');
      return `\`${n}${required.has(n) ? '' : '?'}\`: ${type}`;
    })
    .join(', ');
}

/** Renders docs/reason-codes.md from the registry. A test fails when the committed file differs. */
export function renderReasonCodesDoc(): string {
  const lines: string[] = [
    '# Reason codes',
    '',
    '<!-- Generated from libs/contracts/src/reason-codes.ts by `npm run docs:reason-codes`. Do not edit by hand. -->',
    '',
    'Every RunEvent carries one reason code. The code fixes the stage, the allowed severities and the payload schema.',
    'Subjects: `runevents.<project_id>.<run_id>.<stage>.<reason_code>`.',
    '',
    `${Object.keys(REASON_CODES).length} codes in ${STAGES.length} stages.`,
    '',
  ];
  for (const stage of STAGES) {
    const codes = reasonCodesOfStage(stage);
    if (codes.length === 0) continue;
    lines.push(`## ${stage}`, '', '| code | severities | payload | meaning |', '|---|---|---|---|');
    for (const code of codes) {
      const spec = REASON_CODES[code];
      lines.push(
        `| \`${code}\` | ${spec.severities.join(', ')} | ${payloadFields(spec.payload as z.ZodType)} | ${spec.meaning} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}
