import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/**
 * A local stand-in for the Hugging Face Hub's model endpoints, in the same URL shapes as the real service:
 *
 * - `GET /api/models/<owner>/<name>[/revision/<rev>][?blobs=true]` → `{ id, sha, siblings: [{ rfilename, size?, lfs? }] }`
 * - `GET /<owner>/<name>/resolve/<rev>/<file>` → the file's bytes
 *
 * It checks the token of gated repositories (401 without it) and logs every request, so tests can count them.
 */
export interface HubRepo {
  readonly sha: string;
  readonly files: Readonly<Record<string, Buffer>>;
  /** Branch and tag names → sha (`main` always resolves to `sha`). */
  readonly refs?: Readonly<Record<string, string>>;
  readonly gated?: boolean;
  /** Files listed with an `lfs: {sha256, size}` entry (as the Hub lists LFS files). */
  readonly lfs?: readonly string[];
  /** Files whose listed size is this many bytes more than what is served (a corrupt mirror). */
  readonly wrongSize?: Readonly<Record<string, number>>;
  /** Answer file downloads with a 302 to `<cdn>/<file>` (the Hub sends LFS files to a CDN on another origin). */
  readonly cdn?: string;
}

export interface LoggedRequest {
  readonly path: string;
  readonly authorization?: string;
}

export interface ModelHub {
  readonly url: string;
  readonly requests: LoggedRequest[];
  /** Repositories can be swapped while the server runs. */
  readonly repos: Record<string, HubRepo>;
  close(): Promise<void>;
}

/** Every file under a folder, by relative path (a model folder → a repository). */
export function folderFiles(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).split('\\').join('/')] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

export async function startModelHub(repos: Record<string, HubRepo>, token: string): Promise<ModelHub> {
  const requests: LoggedRequest[] = [];
  let base = '';
  const authorized = (req: IncomingMessage, repo: HubRepo) => !repo.gated || req.headers.authorization === `Bearer ${token}`;
  const revisionSha = (repo: HubRepo, rev: string): string | undefined => (rev === 'main' || rev === repo.sha ? repo.sha : repo.refs?.[rev]);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', base);
    requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    let m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/.exec(url.pathname);
    if (m) {
      const id = m[1] as string;
      const repo = repos[id];
      if (!repo) return json(res, 404, { error: 'Repository not found' });
      if (!authorized(req, repo)) return json(res, 401, { error: `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.` });
      const rev = m[2] ? decodeURIComponent(m[2]) : 'main';
      const sha = revisionSha(repo, rev);
      if (!sha) return json(res, 404, { error: `Invalid rev id: ${rev}` });
      const blobs = url.searchParams.get('blobs') === 'true';
      return json(res, 200, {
        _id: 'fixture',
        id,
        modelId: id,
        sha,
        gated: repo.gated ? 'manual' : false,
        siblings: Object.entries(repo.files).map(([rfilename, b]) => {
          if (!blobs) return { rfilename };
          const size = b.length + (repo.wrongSize?.[rfilename] ?? 0);
          return repo.lfs?.includes(rfilename)
            ? { rfilename, size, blobId: 'x', lfs: { sha256: createHash('sha256').update(b).digest('hex'), size, pointerSize: 134 } }
            : { rfilename, size, blobId: 'x' };
        }),
      });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) {
      const id = m[1] as string;
      const repo = repos[id];
      if (!repo) return json(res, 404, { error: 'Repository not found' });
      if (!authorized(req, repo)) return json(res, 401, { error: 'Access restricted' });
      if (!revisionSha(repo, decodeURIComponent(m[2] as string))) return json(res, 404, { error: 'Invalid rev id' });
      const data = repo.files[decodeURIComponent(m[3] as string)];
      if (!data) return json(res, 404, { error: 'Entry not found' });
      if (repo.cdn) {
        res.writeHead(302, { location: `${repo.cdn}/${m[3]}` });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
      return void res.end(data);
    }
    json(res, 404, { error: 'no such route' });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    repos,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens (a port that was just closed). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
