import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import yazl from 'yazl';

/**
 * A local stand-in for the Hugging Face Hub and Kaggle HTTP APIs, serving fixture files in the same URL shapes as the
 * real services (see libs/sources/README.md "Hub endpoints"), with token checks so 401s can be exercised, and a log
 * of every request so tests can assert that a cached load made none.
 */
export interface HfDataset {
  readonly sha: string;
  /** Repository files by path. */
  readonly files: Readonly<Record<string, Buffer>>;
  /** refs/convert/parquet files: config → split → shards. */
  readonly converted?: Readonly<Record<string, Readonly<Record<string, readonly Buffer[]>>>>;
  readonly cardData?: unknown;
  /** Needs `Authorization: Bearer <hfToken>`. */
  readonly gated?: boolean;
}

export interface HubFixture {
  readonly hf: Readonly<Record<string, HfDataset>>;
  readonly hfToken: string;
  readonly kaggle: {
    readonly username: string;
    readonly key: string;
    readonly competitions: Readonly<Record<string, Readonly<Record<string, Buffer>>>>;
    readonly datasets: Readonly<Record<string, Readonly<Record<string, Buffer>>>>;
    /** Single-file downloads of these names are served zipped (Kaggle zips large single files). */
    readonly zipSingle?: readonly string[];
  };
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
}

export interface HubServer {
  readonly url: string;
  readonly requests: LoggedRequest[];
  close(): Promise<void>;
}

export function zipBuffer(files: Readonly<Record<string, Buffer>>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) zip.addBuffer(data, name, { mtime: new Date(0) });
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const bytes = (res: ServerResponse, body: Buffer, type = 'application/octet-stream') => {
  res.writeHead(200, { 'content-type': type, 'content-length': String(body.length) });
  res.end(body);
};

export async function startHubServer(fixture: HubFixture): Promise<HubServer> {
  const requests: LoggedRequest[] = [];
  let base = '';

  const hfAuthorized = (req: IncomingMessage, ds: HfDataset) => !ds.gated || req.headers.authorization === `Bearer ${fixture.hfToken}`;
  const kaggleAuthorized = (req: IncomingMessage) =>
    req.headers.authorization === `Basic ${Buffer.from(`${fixture.kaggle.username}:${fixture.kaggle.key}`).toString('base64')}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, authorization: req.headers.authorization });

    // ── Hugging Face ────────────────────────────────────────────────────────────────────────────────────────────
    let m = /^\/api\/datasets\/([^/]+\/[^/]+)(?:\/revision\/(.+))?$/.exec(url.pathname);
    if (m) {
      const id = m[1] as string;
      const rev = m[2] ? decodeURIComponent(m[2]) : undefined;
      const ds = fixture.hf[id];
      if (!ds) return json(res, 404, { error: 'Repository not found' });
      if (!hfAuthorized(req, ds)) return json(res, 401, { error: `Access to dataset ${id} is restricted. You must have access to it and be authenticated to access it.` });
      if (rev !== undefined && rev !== 'main' && rev !== ds.sha) return json(res, 404, { error: `Invalid rev id: ${rev}` });
      return json(res, 200, {
        _id: 'fixture',
        id,
        sha: ds.sha,
        siblings: Object.entries(ds.files).map(([rfilename, b]) => (url.searchParams.get('blobs') === 'true' ? { rfilename, size: b.length } : { rfilename })),
        ...(ds.cardData ? { cardData: ds.cardData } : {}),
      });
    }
    m = /^\/api\/datasets\/([^/]+\/[^/]+)\/parquet(?:\/([^/]+)\/([^/]+)\/(\d+)\.parquet)?$/.exec(url.pathname);
    if (m) {
      const id = m[1] as string;
      const ds = fixture.hf[id];
      if (!ds) return json(res, 404, { error: 'Repository not found' });
      if (!hfAuthorized(req, ds)) return json(res, 401, { error: 'Unauthorized' });
      if (!ds.converted) return json(res, 404, { error: 'Not found' });
      if (!m[2]) {
        const listing: Record<string, Record<string, string[]>> = {};
        for (const [config, splits] of Object.entries(ds.converted)) {
          listing[config] = {};
          for (const [split, shards] of Object.entries(splits)) {
            (listing[config] as Record<string, string[]>)[split] = shards.map((_, i) => `${base}/api/datasets/${id}/parquet/${config}/${split}/${i}.parquet`);
          }
        }
        return json(res, 200, listing);
      }
      const n = Number(m[4]);
      res.writeHead(302, { location: `/datasets/${id}/resolve/${encodeURIComponent('refs/convert/parquet')}/${m[2]}/${m[3]}/${String(n).padStart(4, '0')}.parquet` });
      return void res.end();
    }
    m = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (m) {
      const id = m[1] as string;
      const rev = decodeURIComponent(m[2] as string);
      const file = decodeURIComponent(m[3] as string);
      const ds = fixture.hf[id];
      if (!ds) return json(res, 404, { error: 'Repository not found' });
      if (!hfAuthorized(req, ds)) return json(res, 401, { error: 'Unauthorized' });
      if (rev === 'refs/convert/parquet') {
        const [config, split, name] = file.split('/');
        const shard = ds.converted?.[config as string]?.[split as string]?.[Number(name?.replace('.parquet', ''))];
        return shard ? bytes(res, shard) : json(res, 404, { error: 'Entry not found' });
      }
      if (rev !== ds.sha && rev !== 'main') return json(res, 404, { error: `Invalid rev id: ${rev}` });
      const data = ds.files[file];
      return data ? bytes(res, data) : json(res, 404, { error: 'Entry not found' });
    }

    // ── Kaggle ──────────────────────────────────────────────────────────────────────────────────────────────────
    if (path.startsWith('/api/v1/')) {
      if (!kaggleAuthorized(req)) return json(res, 401, { code: 401, message: 'Unauthenticated' });
      let files: Readonly<Record<string, Buffer>> | undefined;
      let file: string | undefined;
      if ((m = /^\/api\/v1\/competitions\/data\/download-all\/([^/]+)$/.exec(path))) files = fixture.kaggle.competitions[m[1] as string];
      else if ((m = /^\/api\/v1\/competitions\/data\/download\/([^/]+)\/(.+)$/.exec(path))) {
        files = fixture.kaggle.competitions[m[1] as string];
        file = m[2];
      } else if ((m = /^\/api\/v1\/datasets\/download\/([^/]+\/[^/]+)(?:\/(.+))?$/.exec(path))) {
        files = fixture.kaggle.datasets[m[1] as string];
        file = m[2];
      }
      if (!files) return json(res, 404, { code: 404, message: 'Not found' });
      if (file === undefined) return bytes(res, await zipBuffer(files), 'application/zip');
      const data = files[file];
      if (!data) return json(res, 404, { code: 404, message: `File ${file} not found` });
      if (fixture.kaggle.zipSingle?.includes(file)) return bytes(res, await zipBuffer({ [file]: data }), 'application/zip');
      return bytes(res, data);
    }
    json(res, 404, { error: 'no such route' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
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
