import type { ApiClient } from '../api-client.js';
import { color } from '../render.js';

const out = (m: string): void => void process.stdout.write(`${m}\n`);

interface KeyInfo {
  key_id: string;
  name: string;
  roles: Record<string, string>;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** `--role support=engineer --role '*=viewer'` → { support: 'engineer', '*': 'viewer' }. */
export function parseRoleFlags(flags: readonly string[]): Record<string, string> {
  const roles: Record<string, string> = {};
  for (const f of flags) {
    const m = /^([^=]+)=(viewer|engineer|admin)$/.exec(f.trim());
    if (!m) throw new Error(`--role ${f}: expected <project|*>=<viewer|engineer|admin>, e.g. --role support=engineer`);
    roles[m[1]!] = m[2]!;
  }
  if (Object.keys(roles).length === 0) throw new Error('give at least one --role, e.g. --role "*=viewer"');
  return roles;
}

export async function keysCreate(api: ApiClient, name: string, f: { role: string[]; json: boolean }): Promise<number> {
  const created: KeyInfo & { key: string } = await api.request('/api/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, roles: parseRoleFlags(f.role) }) });
  if (f.json) out(JSON.stringify(created));
  else {
    out(`${color.green('created')} ${created.key_id} for ${created.name}: ${Object.entries(created.roles).map(([p, r]) => `${r} on ${p}`).join(', ')}`);
    out(`${color.bold(created.key)}`);
    out(color.yellow('shown once: store it now (e.g. export DISTILLERY_API_KEY=…); only its hash is kept'));
  }
  return 0;
}

export async function keysList(api: ApiClient, f: { json: boolean }): Promise<number> {
  const { items }: { items: KeyInfo[] } = await api.request('/api/keys');
  if (f.json) {
    out(JSON.stringify(items));
    return 0;
  }
  if (items.length === 0) out(color.dim('no API keys (the bootstrap / local admin key is not listed)'));
  for (const k of items) {
    const state = k.revoked_at ? color.red(`revoked ${k.revoked_at}`) : color.green('active');
    out(`${k.key_id}  ${k.name.padEnd(20)} ${state}  ${Object.entries(k.roles).map(([p, r]) => `${p}:${r}`).join(' ')}  ${color.dim(`by ${k.created_by}, last used ${k.last_used_at ?? 'never'}`)}`);
  }
  return 0;
}

export async function keysRevoke(api: ApiClient, keyId: string, f: { json: boolean }): Promise<number> {
  const info: KeyInfo = await api.request(`/api/keys/${encodeURIComponent(keyId)}`, { method: 'DELETE' });
  out(f.json ? JSON.stringify(info) : `${color.red('revoked')} ${info.key_id} (${info.name}) at ${info.revoked_at}`);
  return 0;
}
