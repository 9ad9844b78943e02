#!/usr/bin/env node
// Entry point of the `distillery` CLI. Run `npm run build` first (npm start does it for you).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  console.error('distillery: not built yet. Run `npm run build` in the repository root first.');
  process.exit(2);
}
await import(main);
