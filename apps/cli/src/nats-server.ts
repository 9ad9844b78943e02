import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';

export const NATS_INSTALL_HELP = [
  'No NATS server answers and `nats-server` is not on PATH. Install one and run it with JetStream:',
  '  Debian/Ubuntu:  sudo apt-get install -y nats-server && nats-server -js',
  '  macOS:          brew install nats-server && nats-server -js',
  '  Docker:         docker run -p 4222:4222 nats:2.10 -js',
  'or point NATS_URL at a server that has JetStream enabled.',
].join('\n');

export async function natsAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

export interface EmbeddedNats {
  readonly url: string;
  /** Set when this process started the server (and so stops it on exit). */
  readonly child?: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Uses the NATS server at `url` when one answers. Otherwise starts `nats-server` from PATH with JetStream, storing
 * under `<dataDir>/nats`, and stops it on exit. Without either, fails with install instructions.
 */
export async function ensureNats(url: string, dataDir: string, log: (msg: string) => void): Promise<EmbeddedNats> {
  if (await natsAnswers(url)) return { url, stop: async () => {} };
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`${NATS_INSTALL_HELP}\n(tried ${url})`);
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(u.hostname)) {
    throw new Error(`NATS at ${url} does not answer, and a server is only started for a local URL. ${NATS_INSTALL_HELP}`);
  }
  const storeDir = resolve(join(dataDir, 'nats'));
  mkdirSync(storeDir, { recursive: true });
  const port = u.port || '4222';
  log(`starting nats-server -js on 127.0.0.1:${port} (store: ${storeDir})`);
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', port, '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}: ${stderr.trim()}`);
    if (await natsAnswers(url, 500)) {
      return {
        url,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`nats-server did not answer on ${url} within 10 s: ${stderr.trim()}`);
}
