import { useCallback, useEffect, useRef, useState } from 'react';
import { Actor, api, ApiError, CatalogDiff, Connection, ConnectionStatus, JobInfo, StreamAction } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { useCan } from '../session';
import { ConnectionSettingsForm } from '../components/ConnectionSettingsForm';
import { OperationsSection } from '../components/OperationsSection';
import { SchemaChangeBanner, SchemaReviewDialog } from '../components/SchemaChanges';
import {
  absoluteTime,
  bytes,
  count,
  duration,
  failureMessage,
  isFinished,
  JOB_TYPES,
  lastAttempt,
  relativeTime,
  scheduleText,
  statusBadge,
  syncModeLabel,
} from '../format';

interface Loaded {
  connection: Connection;
  source?: Actor;
  destination?: Actor;
  status?: ConnectionStatus;
  jobs: JobInfo[];
  pendingDiff?: CatalogDiff;
}

function jobDuration(j: JobInfo): number | undefined {
  const start = j.job.startedAt ?? j.job.createdAt;
  const end = isFinished(j.job.status) ? lastAttempt(j)?.endedAt ?? j.job.updatedAt : Date.now() / 1000;
  return start ? end - start : undefined;
}

function StatusCell({ status }: { status: string }) {
  const badge = statusBadge(status, false);
  return (
    <span data-status={status}>
      {badge.icon && <span aria-hidden="true">{badge.icon} </span>}
      {badge.label}
    </span>
  );
}

interface StreamRef {
  name: string;
  namespace?: string | null;
}

/** What the refresh / clear dialog is about: some streams, or every selected one (`streams` empty). */
interface StreamsRequest {
  kind: 'refresh' | 'clear';
  streams: StreamRef[];
}

function streamLabel(s: StreamRef): string {
  return s.namespace ? `${s.namespace}.${s.name}` : s.name;
}

/** "Refresh (remove records): public.users" — how a refresh / clear job treated its streams. */
function streamActionsText(actions: StreamAction[] | undefined): string {
  if (!actions?.length) return '';
  const groups = new Map<string, string[]>();
  for (const a of actions) {
    const how = a.action === 'clear' ? 'cleared' : a.refreshMode === 'Merge' ? 'keep records' : 'remove records';
    groups.set(how, [...(groups.get(how) ?? []), streamLabel({ name: a.streamName, namespace: a.streamNamespace })]);
  }
  return [...groups.entries()].map(([how, names]) => `${how}: ${names.join(', ')}`).join('; ');
}

/** A small menu button (Refresh…, Clear data…): Escape or a click elsewhere closes it. */
function ActionsMenu({ label, disabled, onRefresh, onClear }: {
  label: string;
  disabled: boolean;
  onRefresh: () => void;
  onClear: () => void;
}) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return undefined;
    const close = (e: MouseEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const pick = (f: () => void) => () => {
    setOpen(false);
    f();
  };
  return (
    <div className="menu-wrap" ref={root} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
      <button className="small secondary" aria-haspopup="menu" aria-expanded={open} aria-label={label} disabled={disabled}
        onClick={() => setOpen((v) => !v)}>
        ⋯
      </button>
      {open && (
        <div className="menu" role="menu" aria-label={label}>
          <button role="menuitem" onClick={pick(onRefresh)} autoFocus>
            Refresh stream…
          </button>
          <button role="menuitem" className="danger-text" onClick={pick(onClear)}>
            Clear data…
          </button>
        </div>
      )}
    </div>
  );
}

/** A connection: status, schedule, enable, sync now, reset, refresh and clear (per stream or all), settings (edit, delete), job history, logs, cancel. */
export function ConnectionPage({ id }: { id: string }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [openJob, setOpenJob] = useState<number | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [showSettings, setShowSettings] = useState(() => new URLSearchParams(window.location.search).has('settings'));
  const timer = useRef<number>();
  const mayEdit = useCan('edit_configs');
  const mayRun = useCan('run_syncs');
  const [request, setRequest] = useState<StreamsRequest | null>(null);
  const [refreshMode, setRefreshMode] = useState<'Truncate' | 'Merge'>('Truncate');

  const refresh = useCallback(async () => {
    try {
      const connection = await api<Connection>('connections/get', { connectionId: id });
      const [{ sources }, { destinations }, statuses, { jobs }] = await Promise.all([
        api<{ sources: Actor[] }>('sources/list', {}),
        api<{ destinations: Actor[] }>('destinations/list', {}),
        api<ConnectionStatus[]>('connections/status', { connectionIds: [id] }),
        api<{ jobs: JobInfo[] }>('jobs/list', { configId: id, configTypes: ['sync', 'reset_connection', 'refresh', 'clear'], pagination: { pageSize: 25 } }),
      ]);
      // The pending change's diff, for the banner's counts (stored: no discover here).
      const pendingDiff =
        connection.schemaChange && connection.schemaChange !== 'no_change'
          ? (await api<{ catalogDiff: CatalogDiff }>('web_backend/connections/get', { connectionId: id })).catalogDiff
          : undefined;
      setData({
        connection,
        pendingDiff,
        source: sources.find((s) => s.sourceId === connection.sourceId),
        destination: destinations.find((d) => d.destinationId === connection.destinationId),
        status: statuses[0],
        jobs,
      });
      document.title = `${connection.name} · sluice`;
      const active = jobs.some((j) => !isFinished(j.job.status));
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(refresh, active ? 1000 : 10000);
    } catch (e) {
      setError(e);
      if (!(e instanceof ApiError && e.status === 404)) {
        window.clearTimeout(timer.current);
        timer.current = window.setTimeout(refresh, 10000);
      }
    }
  }, [id]);

  useEffect(() => {
    document.title = 'Connection · sluice';
    setData(null);
    setError(null);
    refresh();
    return () => window.clearTimeout(timer.current);
  }, [refresh]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const result: any = await what();
      setNotice(done);
      if (result?.job?.id) setOpenJob(result.job.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      refresh();
    }
  };

  if (!data) {
    return (
      <section>
        <ErrorBox error={error} />
        {!error && <p className="loading">Loading…</p>}
        <Link href="/connections">Back to the connections</Link>
      </section>
    );
  }

  const c = data.connection;
  const enabled = c.status === 'active';
  const running = data.jobs.some((j) => !isFinished(j.job.status));
  const newest = data.jobs[0];
  const lastFinished = data.jobs.find((j) => isFinished(j.job.status));
  const headStatus = running ? newest?.job.status : lastFinished?.job.status;
  const badge = statusBadge(headStatus, running && newest?.job.status !== 'pending');
  const failure = !running && lastFinished?.job.status === 'failed' ? failureMessage(lastFinished) : undefined;
  const selected = c.syncCatalog?.streams.filter((s) => s.config.selected) ?? [];

  return (
    <section aria-labelledby="connection-title">
      <div className="page-head">
        <div>
          <p className="crumb">
            <Link href="/connections">Connections</Link> /
          </p>
          <h1 id="connection-title">{c.name}</h1>
          <p className="muted">
            {data.source?.name ?? '?'} <span aria-label="to">→</span> {data.destination?.name ?? '?'}
          </p>
        </div>
        <div className="actions">
          <label className="switch-label">
            <span className="switch">
              <input
                type="checkbox"
                role="switch"
                checked={enabled}
                disabled={busy || !mayEdit}
                aria-label="Enabled"
                onChange={() =>
                  act(
                    () => api('connections/update', { connectionId: c.connectionId, status: enabled ? 'inactive' : 'active' }),
                    `${c.name} ${enabled ? 'disabled' : 'enabled'}.`,
                  )
                }
              />
              <span className="slider" aria-hidden="true" />
            </span>
            {enabled ? 'Enabled' : 'Disabled'}
          </label>
          <button disabled={busy || running || !mayRun} onClick={() => act(() => api('connections/sync', { connectionId: c.connectionId }), 'Sync started.')}>
            Sync now
          </button>
          {mayEdit && (
            <button className="secondary" aria-expanded={showSettings} aria-controls="connection-settings" onClick={() => setShowSettings((v) => !v)}>
              Settings
            </button>
          )}
          <button
            className="secondary"
            disabled={busy || running || !mayRun}
            onClick={() => {
              if (window.confirm(`Reset the data of ${c.name}? Its streams are cleared in the destination and the saved state is dropped; the next sync copies everything again.`))
                act(() => api('connections/reset', { connectionId: c.connectionId }), 'Reset started.');
            }}
          >
            Reset data
          </button>
          <ActionsMenu label="Refresh or clear every stream" disabled={busy || running || !mayRun}
            onRefresh={() => setRequest({ kind: 'refresh', streams: [] })}
            onClear={() => setRequest({ kind: 'clear', streams: [] })} />
        </div>
      </div>
      <ErrorBox error={error} />
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <SchemaChangeBanner
        schemaChange={c.schemaChange ?? 'no_change'}
        diff={data.pendingDiff}
        status={c.status}
        mayEdit={mayEdit}
        onReview={() => setReviewing(true)}
      />
      <SchemaReviewDialog
        connectionId={c.connectionId}
        open={reviewing}
        onClose={() => setReviewing(false)}
        onAccepted={(message) => {
          setReviewing(false);
          setNotice(message);
          refresh();
        }}
      />

      <dl className="card facts">
        <div>
          <dt>Status</dt>
          <dd className="status" data-status={running ? 'running' : headStatus ?? 'none'}>
            {badge.icon && <span aria-hidden="true">{badge.icon} </span>}
            {badge.label}
            {lastFinished && !running && (
              <span className="muted" title={absoluteTime(lastAttempt(lastFinished)?.endedAt ?? lastFinished.job.updatedAt)}>
                {' '}
                · {relativeTime(lastAttempt(lastFinished)?.endedAt ?? lastFinished.job.updatedAt)}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>{scheduleText(c)}</dd>
        </div>
        <div>
          <dt>Streams</dt>
          <dd>
            {selected.length
              ? selected.map((s) => `${s.stream.name}: ${syncModeLabel(s.config.syncMode, s.config.destinationSyncMode)}`).join(', ')
              : '—'}
          </dd>
        </div>
        <div>
          <dt>Namespace</dt>
          <dd>
            {c.namespaceDefinition === 'customformat' ? <code>{c.namespaceFormat}</code> : c.namespaceDefinition === 'destination' ? "The destination's default" : "The source's"}
            {c.prefix ? (
              <>
                {' '}
                · prefix <code>{c.prefix}</code>
              </>
            ) : null}
          </dd>
        </div>
      </dl>
      {failure && (
        <div className="error" role="alert" data-failure>
          <p>
            <strong>The last sync failed:</strong> {failure}
          </p>
        </div>
      )}

      {showSettings && mayEdit && (
        <section id="connection-settings" className="edit-section" aria-labelledby="connection-settings-title">
          <h2 id="connection-settings-title">Settings</h2>
          <ConnectionSettingsForm connection={c} destination={data.destination} onSaved={() => refresh()} />
        </section>
      )}

      <OperationsSection connection={c} mayEdit={mayEdit} onChanged={() => refresh()} />

      {selected.length > 0 && (
        <>
          <h2>Streams</h2>
          <div className="table-wrap">
            <table className="list" aria-label="Streams">
              <thead>
                <tr>
                  <th scope="col">Stream</th>
                  <th scope="col">Sync mode</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {selected.map((st) => {
                  const ref = { name: st.stream.name, namespace: st.stream.namespace };
                  return (
                    <tr key={streamLabel(ref)} data-stream={streamLabel(ref)}>
                      <th scope="row">{streamLabel(ref)}</th>
                      <td>{syncModeLabel(st.config.syncMode, st.config.destinationSyncMode)}</td>
                      <td className="row-actions">
                        <ActionsMenu label={`Actions of stream ${streamLabel(ref)}`} disabled={busy || running || !mayRun}
                          onRefresh={() => setRequest({ kind: 'refresh', streams: [ref] })}
                          onClear={() => setRequest({ kind: 'clear', streams: [ref] })} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
      <StreamsDialog request={request} mode={refreshMode} setMode={setRefreshMode} busy={busy}
        onCancel={() => setRequest(null)}
        onConfirm={() => {
          if (!request) return;
          const streams = request.streams.map((r) => ({ streamName: r.name, streamNamespace: r.namespace ?? undefined }));
          const what = request.streams.length ? request.streams.map(streamLabel).join(', ') : 'every stream';
          const call =
            request.kind === 'refresh'
              ? () => api('connections/refresh', { connectionId: c.connectionId, refreshMode, streams })
              : request.streams.length
                ? () => api('connections/clear/stream', { connectionId: c.connectionId, streams })
                : () => api('connections/clear', { connectionId: c.connectionId });
          setRequest(null);
          act(call, request.kind === 'refresh' ? `Refresh of ${what} started.` : `Clear of ${what} started.`);
        }} />

      <h2>Job history</h2>
      {data.jobs.length === 0 ? (
        <div className="empty">
          <p>No job yet: "Sync now" starts one.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="list" aria-label="Jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Duration</th>
                <th scope="col" className="num">Records</th>
                <th scope="col" className="num">Bytes</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.jobs.map((j) => {
                const a = lastAttempt(j);
                const finished = isFinished(j.job.status);
                const message = j.job.status === 'failed' ? failureMessage(j) : undefined;
                const open = openJob === j.job.id;
                return (
                  <tr key={j.job.id} data-job-id={j.job.id}>
                    <th scope="row">#{j.job.id}</th>
                    <td data-job-type={j.job.configType}>
                      {JOB_TYPES[j.job.configType] ?? j.job.configType}
                      {j.job.configType !== 'reset_connection' && streamActionsText(j.job.streamActions) && (
                        <p className="muted job-streams">{streamActionsText(j.job.streamActions)}</p>
                      )}
                    </td>
                    <td className="status">
                      <StatusCell status={j.job.status} />
                      {j.attempts.length > 1 && <span className="muted"> ({j.attempts.length} attempts)</span>}
                      {message && <p className="field-error job-failure">{message}</p>}
                      {a?.operations?.length ? (
                        <ul className="job-steps" aria-label={`Operations of job ${j.job.id}`}>
                          {a.operations.map((o) => (
                            <li key={o.operationId} data-step={o.name} data-step-status={o.status}>
                              {o.status === 'succeeded' ? '🟢' : '🔴'} {o.name} ({o.operatorType}): {o.status} in {duration(o.durationMs / 1000)}
                            </li>
                          ))}
                        </ul>
                      ) : null}
                    </td>
                    <td title={absoluteTime(j.job.startedAt ?? j.job.createdAt)}>{relativeTime(j.job.startedAt ?? j.job.createdAt)}</td>
                    <td>{duration(jobDuration(j))}</td>
                    <td className="num">{a ? count(a.recordsSynced) : '—'}</td>
                    <td className="num">{a ? bytes(a.bytesSynced) : '—'}</td>
                    <td className="row-actions">
                      <button
                        className="small secondary"
                        aria-expanded={open}
                        aria-controls={`logs-${j.job.id}`}
                        aria-label={`${open ? 'Hide logs' : 'Logs'} of job ${j.job.id}`}
                        onClick={() => setOpenJob(open ? null : j.job.id)}
                      >
                        {open ? 'Hide logs' : 'Logs'}
                      </button>
                      {!finished && (
                        <button
                          className="small danger"
                          disabled={busy || !mayRun}
                          aria-label={`Cancel job ${j.job.id}`}
                          onClick={() => act(() => api('jobs/cancel', { id: j.job.id }), `Job ${j.job.id} cancelled.`)}
                        >
                          Cancel
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {openJob !== null && data.jobs.some((j) => j.job.id === openJob) && (
        <JobLogs job={data.jobs.find((j) => j.job.id === openJob)!} />
      )}
    </section>
  );
}

/** The confirming dialog of a refresh (remove or keep records) or a clear. */
function StreamsDialog({ request, mode, setMode, busy, onConfirm, onCancel }: {
  request: StreamsRequest | null;
  mode: 'Truncate' | 'Merge';
  setMode: (m: 'Truncate' | 'Merge') => void;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const what = request?.streams.length ? request.streams.map(streamLabel).join(', ') : 'every stream';
  const refresh = request?.kind === 'refresh';
  return (
    <ConfirmDialog open={request !== null} busy={busy} busyLabel="Starting…"
      title={refresh ? `Refresh ${what}?` : `Clear the data of ${what}?`}
      confirmLabel={refresh ? 'Refresh' : 'Clear data'} onConfirm={onConfirm} onCancel={onCancel}>
      {refresh ? (
        <fieldset className="refresh-mode">
          <legend>The source is read again from the start; the other streams sync as usual.</legend>
          <label className="inline">
            <input type="radio" name="refresh-mode" value="Truncate" checked={mode === 'Truncate'} onChange={() => setMode('Truncate')} />
            Remove records: the destination keeps the current rows until the refresh succeeds, then holds only the re-read ones.
          </label>
          <label className="inline">
            <input type="radio" name="refresh-mode" value="Merge" checked={mode === 'Merge'} onChange={() => setMode('Merge')} />
            Keep records: the re-read rows are added beside the current ones (a new generation).
          </label>
        </fieldset>
      ) : (
        <p>Its rows are removed from the destination and its saved state is dropped; the next sync copies it again from the start. This cannot be undone.</p>
      )}
    </ConfirmDialog>
  );
}

/**
 * The logs of a job: every attempt's lines from jobs/get; while the job runs, the last
 * attempt's new lines are polled from jobs/logs (afterSeq) every second (a live tail).
 */
function JobLogs({ job }: { job: JobInfo }) {
  const id = job.job.id;
  const status = job.job.status;
  const attempts = job.attempts.length;
  const [lines, setLines] = useState<{ attempt: number; text: string }[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  const finished = isFinished(status);

  useEffect(() => {
    let stopped = false;
    let timerId: number | undefined;
    setError(null);
    if (finished || attempts === 0) {
      // The whole stored tail of every attempt.
      if (attempts === 0) {
        setLines([]);
        return;
      }
      api<JobInfo>('jobs/get', { id })
        .then((full) => {
          if (stopped) return;
          setLines(full.attempts.flatMap((a, i) => (a.logs?.logLines ?? []).map((text) => ({ attempt: a.attempt.attemptNumber ?? i + 1, text }))));
        })
        .catch((e) => !stopped && setError(e));
      return () => {
        stopped = true;
      };
    }
    // Live tail of the running attempt.
    let after = 0;
    setLines([]);
    const poll = async () => {
      try {
        const r = await api<{ attemptNumber: number; lines: { seq: number; line: string }[]; lastSeq: number; jobStatus: string }>(
          'jobs/logs',
          { id, attemptNumber: attempts, afterSeq: after, limit: 1000 },
        );
        if (stopped) return;
        if (r.lines.length) {
          after = r.lastSeq;
          setLines((old) => [...old, ...r.lines.map((l) => ({ attempt: r.attemptNumber, text: l.line }))]);
        }
      } catch (e) {
        if (!stopped) setError(e);
      }
      if (!stopped) timerId = window.setTimeout(poll, 1000);
    };
    poll();
    return () => {
      stopped = true;
      window.clearTimeout(timerId);
    };
  }, [id, finished, attempts]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines, follow]);

  let lastAttemptShown = 0;
  return (
    <section className="card logs" id={`logs-${id}`} aria-labelledby={`logs-title-${id}`}>
      <div className="page-head">
        <h2 id={`logs-title-${id}`}>
          Logs of job #{id} <StatusCell status={status} />
          {!finished && attempts > 0 && <span className="live"> · live</span>}
        </h2>
        <div className="actions">
          <label className="inline">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
          {attempts > 0 && (
            <a className="button secondary small" href={`/api/v1/jobs/logs/download?id=${id}`} download>
              Download
            </a>
          )}
        </div>
      </div>
      <ErrorBox error={error} />
      {attempts === 0 ? (
        <p className="loading">Waiting for a worker to start the job…</p>
      ) : (
        <pre ref={pre} tabIndex={0} aria-label={`Log lines of job ${id}`} data-log-lines={lines.length}>
          {lines.map((l, i) => {
            const header = attempts > 1 && l.attempt !== lastAttemptShown;
            lastAttemptShown = l.attempt;
            return (
              <span key={i}>
                {header && <strong>{`--- attempt ${l.attempt} ---\n`}</strong>}
                <span className={/ (ERROR|FATAL) /.test(l.text) ? 'log-error' : / WARN /.test(l.text) ? 'log-warn' : undefined}>{l.text}</span>
                {'\n'}
              </span>
            );
          })}
        </pre>
      )}
    </section>
  );
}
