// "Test a stream" on the page of a declarative-manifest source (built-in source-declarative-manifest
// or a custom connector): the streams from sources/discover_schema, a record limit, and
// connector_builder/stream/read's answer — each request (method, URL, headers) with its response
// (status, body) and the records it gave, per slice; logs; the inferred schema. The server has
// already redacted credentials (shown as ****).
import { FormEvent, useEffect, useState } from 'react';
import { api, SyncCatalog } from '../api';
import { ErrorBox } from './ErrorBox';

interface Exchange {
  request: { url: string; http_method: string; headers: Record<string, string>; body?: unknown };
  response: { status?: number; headers?: Record<string, string>; body?: unknown; error?: string };
  records: unknown[];
}

interface ReadAnswer {
  logs: { level: string; message: string }[];
  slices: { slice_descriptor: unknown; state: unknown[]; pages: Exchange[] }[];
  test_read_limit_reached: boolean;
  inferred_schema: unknown;
}

const pretty = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

export function TestStream({ sourceId }: { sourceId: string }) {
  const [streams, setStreams] = useState<string[] | null>(null);
  const [stream, setStream] = useState('');
  const [limit, setLimit] = useState(10);
  const [answer, setAnswer] = useState<ReadAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api<{ catalog?: SyncCatalog; message?: string }>('sources/discover_schema', { sourceId })
      .then((r) => {
        if (!r.catalog) throw new Error(r.message ?? 'discover failed');
        const names = r.catalog.streams.map((s) => s.stream.name);
        setStreams(names);
        setStream((old) => old || names[0] || '');
      })
      .catch(setError);
  }, [sourceId]);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await api<ReadAnswer>('connector_builder/stream/read', { sourceId, stream, record_limit: limit, page_limit: 5 }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const pages = answer?.slices.flatMap((s) => s.pages) ?? [];
  const records = pages.flatMap((p) => p.records);
  return (
    <section className="edit-section" aria-labelledby="test-stream-title">
      <h2 id="test-stream-title">Test a stream</h2>
      <form className="card form" onSubmit={run}>
        <div className="field">
          <label htmlFor="test-stream">Stream</label>
          <select id="test-stream" value={stream} disabled={!streams} onChange={(e) => setStream(e.target.value)}>
            {!streams && <option value="">Loading…</option>}
            {streams?.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="test-limit">Records at most</label>
          <input id="test-limit" type="number" min={1} max={1000} value={limit} onChange={(e) => setLimit(Number(e.target.value) || 1)} />
        </div>
        <ErrorBox error={error} />
        <div className="actions">
          <button type="submit" disabled={busy || !stream}>
            {busy ? 'Reading…' : 'Test the stream'}
          </button>
        </div>
      </form>
      {answer && (
        <div data-test-read>
          <p role="status">
            {records.length} record(s) from {pages.length} request(s){answer.test_read_limit_reached ? ' (a limit was reached)' : ''}.
          </p>
          {answer.logs.filter((l) => l.level === 'ERROR').map((l, i) => (
            <p key={i} className="field-error" data-test-read-error>
              {l.message}
            </p>
          ))}
          <h3>Records</h3>
          <pre tabIndex={0} aria-label="Records" className="test-read" data-records={records.length}>
            {records.map((r) => JSON.stringify(r)).join('\n')}
          </pre>
          <h3>Requests</h3>
          <ol className="test-read-pages">
            {pages.map((p, i) => (
              <li key={i} data-page={i}>
                <details>
                  <summary>
                    <code>
                      {p.request.http_method} {p.request.url}
                    </code>{' '}
                    → {p.response.status ?? p.response.error} · {p.records.length} record(s)
                  </summary>
                  <h4>Request headers</h4>
                  <pre className="test-read" tabIndex={0}>{pretty(p.request.headers)}</pre>
                  {p.request.body !== undefined && p.request.body !== null && (
                    <>
                      <h4>Request body</h4>
                      <pre className="test-read" tabIndex={0}>{pretty(p.request.body)}</pre>
                    </>
                  )}
                  <h4>Response body</h4>
                  <pre className="test-read" tabIndex={0}>{pretty(p.response.body ?? p.response.error)}</pre>
                </details>
              </li>
            ))}
          </ol>
          <h3>Inferred schema</h3>
          <pre className="test-read" tabIndex={0}>{pretty(answer.inferred_schema)}</pre>
        </div>
      )}
    </section>
  );
}
