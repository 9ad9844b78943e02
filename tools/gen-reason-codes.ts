// Regenerates docs/reason-codes.md from the reason-code registry.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReasonCodesDoc } from '@distillery/contracts';

const target = join(process.cwd(), 'docs', 'reason-codes.md');
writeFileSync(target, renderReasonCodesDoc());
console.error(`wrote ${target}`);
