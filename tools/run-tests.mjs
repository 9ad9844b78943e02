#!/usr/bin/env node
// Runs every project's tests through Nx (two at a time, output streamed) and, when something fails, repeats the
// failing tests' messages at the very end. CI keeps only the tail of a long log, and with forty projects streaming
// side by side a failure's details are otherwise thousands of lines above the "Failed tasks" list.
// Usage: node tools/run-tests.mjs [extra nx run-many arguments]
import { spawn } from 'node:child_process';

const args = ['nx', 'run-many', '-t', 'test', '--parallel=2', '--outputStyle=stream', ...process.argv.slice(2)];
const MAX_LINES_PER_PROJECT = 160;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

const child = spawn('npx', args, { stdio: ['inherit', 'pipe', 'pipe'] });
/** Lines per project prefix ("api: …"), uncoloured, for the summary. */
const byProject = new Map();
let rest = '';
const keep = (chunk) => {
  const text = rest + chunk.toString('utf8');
  const lines = text.split('\n');
  rest = lines.pop() ?? '';
  for (const raw of lines) {
    const line = raw.replace(ANSI, '');
    const m = /^([\w.-]+): (.*)$/.exec(line);
    if (!m) continue;
    const list = byProject.get(m[1]) ?? [];
    list.push(m[2]);
    if (list.length > 20_000) list.splice(0, list.length - 20_000);
    byProject.set(m[1], list);
  }
};
child.stdout.on('data', (c) => (process.stdout.write(c), keep(c)));
child.stderr.on('data', (c) => (process.stderr.write(c), keep(c)));

child.on('exit', (code, signal) => {
  if (code === 0) process.exit(0);
  const failed = [...byProject.entries()].filter(([, lines]) => lines.some((l) => /^\s*FAIL\s/.test(l) || /Test Suites:.*failed/.test(l)));
  if (failed.length > 0) {
    process.stdout.write('\n==================== failing tests, repeated from above ====================\n');
    for (const [project, lines] of failed) {
      const start = lines.findIndex((l) => /●(?! Console)/.test(l));
      const shown = (start === -1 ? lines.filter((l) => /FAIL|Error|✕/.test(l)) : lines.slice(start)).slice(0, MAX_LINES_PER_PROJECT);
      process.stdout.write(`\n--- ${project} ---\n${shown.join('\n')}\n`);
    }
    process.stdout.write('============================================================================\n');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
