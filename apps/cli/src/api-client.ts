import { context, propagation } from '@opentelemetry/api';
import type { RunEvent } from '@distillery/contracts';
import type { Page, TimelineRow } from '@distillery/timeline';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The caller's trace context (W3C `traceparent`) added to a request's headers, so the API continues its trace. */
export function withTraceHeaders(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  propagation.inject(context.active(), headers, { set: (h, k, v) => h.set(k, v) });
  return { ...init, headers };
}

/** A thin client of the HTTP API: the CLI's read commands go through it, like any other client. */
export class ApiClient {
  /** `apiKey`: sent as `Authorization: Bearer` on every request (DISTILLERY_API_KEY, or the local key of `distillery up`). */
  constructor(
    readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  /** Trace context and the API key added to a request's headers. */
  private init(init: RequestInit = {}): RequestInit {
    const withTrace = withTraceHeaders(init);
    if (!this.apiKey) return withTrace;
    const headers = new Headers(withTrace.headers);
    headers.set('authorization', `Bearer ${this.apiKey}`);
    return { ...withTrace, headers };
  }

  async request<T>(path: string, init?: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), this.init(init));
    } catch (err) {
      throw new ApiError(`cannot reach the Distillery API at ${this.baseUrl} (${(err as Error).message}). Is \`distillery up\` running? Set DISTILLERY_API_URL otherwise.`);
    }
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const hint = res.status === 401 ? ' (set DISTILLERY_API_KEY to an API key; `distillery up` keeps an admin key in its data folder)' : '';
      throw new ApiError(`${init?.method ?? 'GET'} ${path}: ${res.status} ${(body as { message?: string })?.message ?? text}${hint}`, res.status);
    }
    return body as T;
  }

  /** A streamed response (JSON Lines exports): the body as it arrives; a non-2xx status is an ApiError. */
  async stream(path: string): Promise<ReadableStream<Uint8Array>> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), this.init());
    } catch (err) {
      throw new ApiError(`cannot reach the Distillery API at ${this.baseUrl} (${(err as Error).message}). Is \`distillery up\` running? Set DISTILLERY_API_URL otherwise.`);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        /* not JSON: the text is the message */
      }
      throw new ApiError(`GET ${path}: ${res.status} ${message}`, res.status);
    }
    return res.body;
  }

  /** A support bundle's ZIP bytes: the one-time token goes in the `x-distillery-bundle-token` header, never the URL. */
  async downloadSupportBundle(bundleId: string, token: string): Promise<Buffer> {
    const path = `/api/support-bundles/${encodeURIComponent(bundleId)}/download`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { headers: { 'x-distillery-bundle-token': token } });
    } catch (err) {
      throw new ApiError(`cannot reach the Distillery API at ${this.baseUrl} (${(err as Error).message}). Is \`distillery up\` running? Set DISTILLERY_API_URL otherwise.`);
    }
    const data = Buffer.from(await res.arrayBuffer());
    if (!res.ok) {
      let message = data.toString('utf8');
      try {
        message = (JSON.parse(message) as { message?: string }).message ?? message;
      } catch {
        /* not JSON: the text is the message */
      }
      throw new ApiError(`GET ${path}: ${res.status} ${message}`, res.status);
    }
    return data;
  }

  /** Every page of the timeline under a root run (follows cursors; never stops at the first page). */
  async timelineTree(runId: string, projectId?: string): Promise<TimelineRow[]> {
    const rows: TimelineRow[] = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ root_run_id: runId, limit: '500' });
      if (projectId) q.set('project_id', projectId);
      if (cursor) q.set('cursor', cursor);
      const page: Page<TimelineRow> = await this.request(`/api/timeline?${q}`);
      rows.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return rows;
  }

  /** Reads a run's SSE stream until `until` says stop or the signal aborts. */
  async streamRun(
    runId: string,
    projectId: string,
    onEvent: (e: RunEvent & { seq: number }) => boolean | void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await fetch(new URL(`/api/runs/${runId}/stream?project_id=${projectId}`, this.baseUrl), this.init({ signal }));
    if (!res.ok || !res.body) throw new ApiError(`stream of ${runId}: ${res.status}`, res.status);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let idx: number;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!data || !frame.includes('event: run_event')) continue;
        if (onEvent(JSON.parse(data) as RunEvent & { seq: number }) === true) return;
      }
    }
  }
}
