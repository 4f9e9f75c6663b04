import { useCallback, useEffect, useRef, useState } from 'react';
import { Actor, api, can, Connection, ConnectionStatus, JobInfo, Me } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { absoluteTime, count, failureMessage, lastAttempt, relativeTime, scheduleText, statusBadge } from '../format';

interface Row {
  connection: Connection;
  source?: Actor;
  destination?: Actor;
  status?: ConnectionStatus;
  lastJob?: JobInfo; // the newest finished sync
}

/** A viewer may read the connections' status only: names, running flags and last syncs. */
async function loadStatusRows(): Promise<Row[]> {
  const statuses = await api<ConnectionStatus[]>('connections/status', {});
  return statuses.map((status) => ({
    connection: { connectionId: status.connectionId, name: status.name, status: status.status } as Connection,
    status,
    lastJob: status.lastSyncJob,
  }));
}

async function loadRows(): Promise<Row[]> {
  const [{ connections }, { sources }, { destinations }] = await Promise.all([
    api<{ connections: Connection[] }>('connections/list', { includeSyncCatalog: false }),
    api<{ sources: Actor[] }>('sources/list', {}),
    api<{ destinations: Actor[] }>('destinations/list', {}),
  ]);
  const ids = connections.map((c) => c.connectionId);
  const statuses = ids.length ? await api<ConnectionStatus[]>('connections/status', { connectionIds: ids }) : [];
  return connections.map((connection) => {
    const status = statuses.find((s) => s.connectionId === connection.connectionId);
    return {
      connection,
      source: sources.find((s) => s.sourceId === connection.sourceId),
      destination: destinations.find((d) => d.destinationId === connection.destinationId),
      status,
      lastJob: status?.lastSyncJob,
    };
  });
}

export function ConnectionsPage({ me }: { me: Me }) {
  const mayEdit = can(me, 'edit_configs');
  const mayRun = can(me, 'run_syncs');
  const statusOnly = !can(me, 'read_configs');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const [notice, setNotice] = useState('');
  const timer = useRef<number>();

  const refresh = useCallback(async () => {
    try {
      const loaded = await (statusOnly ? loadStatusRows() : loadRows());
      setRows(loaded);
      setError(null);
      const active = loaded.some((r) => r.status?.isRunning || r.status?.activeJob);
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(refresh, active ? 1000 : 10000);
    } catch (e) {
      setError(e);
    }
  }, [statusOnly]);

  useEffect(() => {
    document.title = 'Connections · sluice';
    refresh();
    return () => window.clearTimeout(timer.current);
  }, [refresh]);

  const act = async (id: string, what: () => Promise<unknown>, done: string) => {
    setBusy((b) => ({ ...b, [id]: true }));
    setError(null);
    try {
      await what();
      setNotice(done);
    } catch (e) {
      setError(e);
    } finally {
      setBusy((b) => ({ ...b, [id]: false }));
      refresh();
    }
  };

  return (
    <section aria-labelledby="connections-title">
      <div className="page-head">
        <h1 id="connections-title">Connections</h1>
        {mayEdit && (
          <Link className="button" href="/connections/new">
            New connection
          </Link>
        )}
      </div>
      <ErrorBox error={error} />
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      {rows === null ? (
        <p className="loading">Loading…</p>
      ) : rows.length === 0 ? (
        <div className="empty">
          {mayEdit ? (
            <p>No connection yet. Create a source and a destination, then a <Link href="/connections/new">new connection</Link>.</p>
          ) : (
            <p>No connection yet. An admin or a data engineer creates them.</p>
          )}
        </div>
      ) : (
        <div className="table-wrap">
          <table className="list" aria-label="Connections">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source → Destination</th>
                <th scope="col">Schedule</th>
                <th scope="col">Last sync</th>
                <th scope="col">Last sync time</th>
                <th scope="col" className="num">Records</th>
                <th scope="col">Enabled</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const c = row.connection;
                const running = !!(row.status?.isRunning || row.status?.activeJob);
                const badge = statusBadge(running ? row.status?.activeJob?.status : row.lastJob?.job.status, running);
                const attempt = lastAttempt(row.lastJob);
                const ended = attempt?.endedAt ?? row.lastJob?.job.updatedAt;
                const enabled = c.status === 'active';
                return (
                  <tr key={c.connectionId} data-connection-id={c.connectionId}>
                    <th scope="row" className="name">
                      {statusOnly ? c.name : <Link href={`/connections/${c.connectionId}`}>{c.name}</Link>}
                    </th>
                    <td>
                      {statusOnly ? '—' : <>{row.source?.name ?? '?'} <span aria-label="to">→</span> {row.destination?.name ?? '?'}</>}
                    </td>
                    <td>{statusOnly ? '—' : scheduleText(c)}</td>
                    <td className="status" data-status={running ? 'running' : row.lastJob?.job.status ?? 'none'}>
                      {badge.icon && <span aria-hidden="true">{badge.icon} </span>}
                      {badge.label}
                      {!running && row.lastJob?.job.status === 'failed' && failureMessage(row.lastJob) && (
                        <p className="field-error list-failure" title={failureMessage(row.lastJob)}>
                          {failureMessage(row.lastJob)}
                        </p>
                      )}
                    </td>
                    <td title={absoluteTime(ended)}>{row.lastJob ? relativeTime(ended) : '—'}</td>
                    <td className="num">{row.lastJob ? count(attempt?.recordsSynced ?? 0) : '—'}</td>
                    <td>
                      <label className="switch">
                        <input
                          type="checkbox"
                          role="switch"
                          checked={enabled}
                          disabled={busy[c.connectionId] || !mayEdit}
                          aria-label={`Enabled: ${c.name}`}
                          onChange={() =>
                            act(
                              c.connectionId,
                              () => api('connections/update', { connectionId: c.connectionId, status: enabled ? 'inactive' : 'active' }),
                              `${c.name} ${enabled ? 'disabled' : 'enabled'}.`,
                            )
                          }
                        />
                        <span className="slider" aria-hidden="true" />
                      </label>
                    </td>
                    <td>
                      <button
                        className="small"
                        disabled={busy[c.connectionId] || running || !mayRun}
                        title={mayRun ? undefined : 'Your role cannot start syncs'}
                        aria-label={`Sync now: ${c.name}`}
                        onClick={() =>
                          act(c.connectionId, () => api('connections/sync', { connectionId: c.connectionId }), `Sync of ${c.name} started.`)
                        }
                      >
                        Sync now
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
