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

/** A thin client of the HTTP API: the CLI's read commands go through it, like any other client. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request<T>(path: string, init?: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), init);
    } catch (err) {
      throw new ApiError(`cannot reach the Distillery API at ${this.baseUrl} (${(err as Error).message}). Is \`distillery up\` running? Set DISTILLERY_API_URL otherwise.`);
    }
    const text = await res.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) throw new ApiError(`${init?.method ?? 'GET'} ${path}: ${res.status} ${(body as { message?: string })?.message ?? text}`, res.status);
    return body as T;
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
    const res = await fetch(new URL(`/api/runs/${runId}/stream?project_id=${projectId}`, this.baseUrl), { signal });
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
