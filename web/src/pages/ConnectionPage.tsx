import { useCallback, useEffect, useRef, useState } from 'react';
import { Actor, api, ApiError, CatalogDiff, Connection, ConnectionStatus, JobInfo } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { useCan } from '../session';
import { ConnectionSettingsForm } from '../components/ConnectionSettingsForm';
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

/** A connection: status, schedule, enable, sync now, reset, settings (edit, delete), job history, logs, cancel. */
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
                    <td>{JOB_TYPES[j.job.configType] ?? j.job.configType}</td>
                    <td className="status">
                      <StatusCell status={j.job.status} />
                      {j.attempts.length > 1 && <span className="muted"> ({j.attempts.length} attempts)</span>}
                      {message && <p className="field-error job-failure">{message}</p>}
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
