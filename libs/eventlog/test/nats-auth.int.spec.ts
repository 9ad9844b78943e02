/**
 * NATS credentials per service: a nats-server of the test's own (from PATH, as on every developer and CI machine)
 * that demands a token, then one that demands a user and password. The right credential connects (and JetStream
 * answers); a wrong or missing one is refused with the server's reason; bad settings fail before any connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort, waitFor } from '@distillery/testing';
import { EventLog, EventLogUnavailableError, NatsAuthConfigError, buildTopology, natsAuthenticator, natsAuthFromEnv } from '../src/index.js';

const binary = spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).status === 0;
const servers: ChildProcess[] = [];

async function natsServer(args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', mkdtempSync(join(tmpdir(), 'nats-auth-')), ...args], { stdio: 'ignore' });
  servers.push(child);
  const url = `nats://127.0.0.1:${port}`;
  // Up when it answers (with an auth error for a connection without credentials).
  await waitFor('nats-server listening', async () => {
    try {
      const log = await EventLog.connect({ url, name: 'probe', auth: { token: 'probe' } });
      await log.close();
      return true;
    } catch (err) {
      return /Authorization Violation|authentication/i.test(String((err as Error).message)) ? true : undefined;
    }
  }, { timeoutMs: 10_000 });
  return url;
}

afterEach(() => {
  for (const s of servers.splice(0)) s.kill('SIGTERM');
});

(binary ? describe : describe.skip)('NATS credentials', () => {
  const topology = buildTopology({ streamName: 'AUTHTEST', subjectPrefix: 'authtest' });

  it('a token: the right one connects and JetStream answers; a wrong one is refused; empty settings are a config error', async () => {
    const url = await natsServer(['--auth', 's3cret-token']);
    const log = await EventLog.connect({ url, name: 'svc', topology, auth: { token: 's3cret-token' } });
    expect((await log.applyTopology()).stream.name).toBe('AUTHTEST');
    await log.close();
    await expect(EventLog.connect({ url, name: 'svc', auth: { token: 'wrong' } })).rejects.toThrow(EventLogUnavailableError);
    await expect(EventLog.connect({ url, name: 'svc', auth: { token: 'wrong' } })).rejects.toThrow(/Authorization Violation/i);
    await expect(EventLog.connect({ url, name: 'svc', auth: {} as never }).catch((e: unknown) => e)).resolves.toBeInstanceOf(NatsAuthConfigError);
  });

  it('a user and password, from the environment as each Deployment sets it', async () => {
    const url = await natsServer(['--user', 'trainer', '--pass', 'p@ss-word']);
    const auth = natsAuthFromEnv({ NATS_USER: 'trainer', NATS_PASSWORD: 'p@ss-word' });
    expect(auth).toEqual({ user: 'trainer', password: 'p@ss-word' });
    const log = await EventLog.connect({ url, name: 'trainer', topology, auth: auth! });
    await log.close();
    await expect(EventLog.connect({ url, name: 'trainer', auth: { user: 'trainer', password: 'nope' } })).rejects.toThrow(/Authorization Violation/i);
  });
});

describe('NATS credential settings', () => {
  it('none in the environment: no authenticator; several at once, half a pair or an unreadable file: a clear error', () => {
    expect(natsAuthFromEnv({})).toBeUndefined();
    expect(() => natsAuthenticator({ token: 't', user: 'u', password: 'p' })).toThrow(/set one of NATS_USER\/NATS_PASSWORD, NATS_TOKEN, not several/);
    expect(() => natsAuthenticator({ user: 'u' })).toThrow(/NATS_USER and NATS_PASSWORD go together/);
    expect(() => natsAuthenticator({ credsFile: '/nonexistent/svc.creds' })).toThrow(/NATS_CREDS_FILE \/nonexistent\/svc\.creds: ENOENT/);
    const dir = mkdtempSync(join(tmpdir(), 'nkey-'));
    writeFileSync(join(dir, 'seed'), 'not a seed\n');
    expect(typeof natsAuthenticator({ nkeySeedFile: join(dir, 'seed') })).toBe('function');
  });
});
