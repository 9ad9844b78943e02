/**
 * NATS credentials per service: a nats-server of the test's own (from PATH, as on every developer and CI machine)
 * that demands a token, then one that demands a user and password, one that knows users by nkey only, and one in
 * operator mode (decentralised JWT auth) that a creds file of an account it trusts gets into. The right credential connects (and JetStream
 * answers); a wrong or missing one is refused with the server's reason; bad settings fail before any connection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
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

/** A NATS JWT (header `ed25519-nkey`, claims v2) signed by `signer`: the format `nsc` writes, made here for the test. */
function natsJwt(signer: KeyPair, sub: string, name: string, nats: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ typ: 'JWT', alg: 'ed25519-nkey' })}.${part({ jti: randomBytes(16).toString('hex').toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: signer.getPublicKey(), name, sub, nats: { ...nats, version: 2 } })}`;
  return `${body}.${Buffer.from(signer.sign(Buffer.from(body))).toString('base64url')}`;
}

/** An operator with a system account and one JetStream-enabled account, as a server config; user creds files for it. */
function operatorMode(dir: string): { conf: string; creds: (account?: KeyPair) => string } {
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount();
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = natsJwt(operator, account.getPublicKey(), 'distillery', { type: 'account', limits: { ...limits, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } });
  const systemJwt = natsJwt(operator, system.getPublicKey(), 'SYS', { type: 'account', limits });
  const conf = join(dir, 'operator.conf');
  writeFileSync(
    conf,
    [
      `operator: "${natsJwt(operator, operator.getPublicKey(), 'test-operator', { type: 'operator' })}"`,
      `system_account: ${system.getPublicKey()}`,
      'resolver: MEMORY',
      `resolver_preload: {\n  ${account.getPublicKey()}: "${accountJwt}"\n  ${system.getPublicKey()}: "${systemJwt}"\n}`,
    ].join('\n'),
  );
  let n = 0;
  const creds = (signingAccount: KeyPair = account) => {
    const user = createUser();
    const file = join(dir, `user-${(n += 1)}.creds`);
    const jwt = natsJwt(signingAccount, user.getPublicKey(), 'trainer', { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
    const seed = new TextDecoder().decode(user.getSeed());
    writeFileSync(file, `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`, { mode: 0o600 });
    return file;
  };
  return { conf, creds };
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

  it('an nkey: the seed file of a user the server knows by public key connects; another user’s seed is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nats-nkey-'));
    const user = createUser();
    const conf = join(dir, 'server.conf');
    writeFileSync(conf, `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`);
    const url = await natsServer(['-c', conf]);
    const seedFile = join(dir, 'trainer.nk');
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`, { mode: 0o600 });
    const auth = natsAuthFromEnv({ NATS_NKEY_SEED_FILE: seedFile });
    const log = await EventLog.connect({ url, name: 'trainer', topology, auth: auth! });
    expect((await log.applyTopology()).stream.name).toBe('AUTHTEST');
    await log.close();
    const stranger = join(dir, 'stranger.nk');
    writeFileSync(stranger, new TextDecoder().decode(createUser().getSeed()), { mode: 0o600 });
    await expect(EventLog.connect({ url, name: 'stranger', auth: { nkeySeedFile: stranger } })).rejects.toThrow(/Authorization Violation/i);
  });

  it('a creds file (user JWT + seed) in operator mode: a user of a trusted account connects and uses JetStream; one signed by an unknown account is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nats-creds-'));
    const op = operatorMode(dir);
    const url = await natsServer(['-c', op.conf]);
    const auth = natsAuthFromEnv({ NATS_CREDS_FILE: op.creds() });
    const log = await EventLog.connect({ url, name: 'trainer', topology, auth: auth! });
    expect((await log.applyTopology()).stream.name).toBe('AUTHTEST');
    await log.close();
    await expect(EventLog.connect({ url, name: 'rogue', auth: { credsFile: op.creds(createAccount()) } })).rejects.toThrow(/Authorization Violation/i);
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
