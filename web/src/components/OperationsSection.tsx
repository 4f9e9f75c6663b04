// The "Normalization and operations" section of a connection page: the normalization setting
// (basic | none: an operation with operatorType normalization in the connection's operationIds,
// Airbyte's shape) and the after-sync operations (dbt project, webhook) listed in the order they
// run, added, edited and removed through operations/create|update|delete and connections/update
// operationIds. Read-only without edit_configs.
import { FormEvent, useCallback, useEffect, useState } from 'react';
import { api, Connection, Operation, OperatorConfiguration } from '../api';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorBox } from './ErrorBox';
import { problemsFinder } from './ConnectionFields';

type Kind = 'dbt' | 'webhook';

interface Draft {
  operationId?: string;
  name: string;
  kind: Kind;
  repo: string;
  branch: string;
  args: string;
  url: string;
  body: string;
}

const EMPTY: Draft = { name: '', kind: 'dbt', repo: '', branch: '', args: 'run', url: '', body: '' };

function draftOf(o: Operation): Draft {
  const c = o.operatorConfiguration;
  return {
    operationId: o.operationId,
    name: o.name,
    kind: c.operatorType === 'webhook' ? 'webhook' : 'dbt',
    repo: c.dbt?.gitRepoUrl ?? '',
    branch: c.dbt?.gitRepoBranch ?? '',
    args: c.dbt?.dbtArguments ?? 'run',
    url: c.webhook?.executionUrl ?? '',
    body: c.webhook?.executionBody ?? '',
  };
}

function configOf(d: Draft): OperatorConfiguration {
  if (d.kind === 'webhook') {
    return { operatorType: 'webhook', webhook: { executionUrl: d.url.trim(), ...(d.body.trim() ? { executionBody: d.body } : {}) } };
  }
  return {
    operatorType: 'dbt',
    dbt: { gitRepoUrl: d.repo.trim(), ...(d.branch.trim() ? { gitRepoBranch: d.branch.trim() } : {}), dbtArguments: d.args.trim() || 'run' },
  };
}

/** What an operation does, in words. */
export function operationSummary(c: OperatorConfiguration): string {
  if (c.operatorType === 'dbt') return `dbt ${c.dbt?.dbtArguments || 'run'} · ${c.dbt?.gitRepoUrl ?? ''}${c.dbt?.gitRepoBranch ? ` (${c.dbt.gitRepoBranch})` : ''}`;
  if (c.operatorType === 'webhook') return `POST ${c.webhook?.executionUrl ?? ''}`;
  return 'Basic normalization';
}

export function OperationsSection({ connection, mayEdit, onChanged }: {
  connection: Connection;
  mayEdit: boolean;
  onChanged: () => void;
}) {
  const [operations, setOperations] = useState<Operation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [removing, setRemoving] = useState<Operation | null>(null);
  const ids = (connection.operationIds ?? []).join(',');

  const load = useCallback(async () => {
    try {
      const r = await api<{ operations: Operation[] }>('operations/list', { connectionId: connection.connectionId });
      setOperations(r.operations);
    } catch (e) {
      setError(e);
    }
  }, [connection.connectionId]);

  useEffect(() => {
    load();
  }, [load, ids]);

  const run = async (what: () => Promise<void>, done: string) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      await what();
      setNotice(done);
      await load();
      onChanged();
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const setIds = (operationIds: string[]) => api('connections/update', { connectionId: connection.connectionId, operationIds });

  if (!operations) {
    return (
      <section aria-labelledby="operations-title">
        <h2 id="operations-title">Normalization and operations</h2>
        <ErrorBox error={error} />
        {!error && <p className="loading">Loading…</p>}
      </section>
    );
  }

  const normalization = operations.find((o) => o.operatorConfiguration.operatorType === 'normalization');
  const steps = operations.filter((o) => o.operatorConfiguration.operatorType !== 'normalization');
  const currentIds = operations.map((o) => o.operationId);

  const setNormalization = (value: string) =>
    run(async () => {
      if (value === 'basic' && !normalization) {
        const created = await api<Operation>('operations/create', {
          name: 'Normalization',
          operatorConfiguration: { operatorType: 'normalization', normalization: { option: 'basic' } },
        });
        await setIds([created.operationId, ...currentIds]);
      } else if (value === 'none' && normalization) {
        await api('operations/delete', { operationId: normalization.operationId });
      }
    }, value === 'basic' ? 'Basic normalization on: nested data becomes flat tables and child tables.' : 'Normalization off: records are loaded as JSON.');

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft) return;
    const body = { name: draft.name.trim(), operatorConfiguration: configOf(draft) };
    const ok = await run(async () => {
      if (draft.operationId) {
        await api('operations/update', { operationId: draft.operationId, ...body });
      } else {
        const created = await api<Operation>('operations/create', body);
        await setIds([...currentIds, created.operationId]);
      }
    }, draft.operationId ? `Operation ${body.name} saved.` : `Operation ${body.name} added.`);
    if (ok) setDraft(null);
  };

  const move = (index: number, by: number) => {
    const order = [...steps];
    const [o] = order.splice(index, 1);
    order.splice(index + by, 0, o);
    return run(() => setIds([...(normalization ? [normalization.operationId] : []), ...order.map((x) => x.operationId)]).then(() => undefined),
      `Operation ${o.name} moved.`);
  };

  const problems = problemsFinder(error);
  const fieldError = (field: string) => {
    const p = problems([field]);
    return p.length ? <p className="field-error" id={`op-${field}-error`}>{p.map((x) => x.message).join('; ')}</p> : null;
  };

  return (
    <section aria-labelledby="operations-title" className="operations">
      <h2 id="operations-title">Normalization and operations</h2>
      <ErrorBox error={draft ? null : error} />
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <div className="field">
        <label htmlFor="normalization">Normalization</label>
        <select id="normalization" value={normalization ? 'basic' : 'none'} disabled={busy || !mayEdit}
          aria-describedby="normalization-help" onChange={(e) => setNormalization(e.target.value)}>
          <option value="basic">Basic: nested JSON to flat tables and child tables</option>
          <option value="none">None: raw JSON records</option>
        </select>
        <p className="help" id="normalization-help">Applied while loading (destination-postgres).</p>
      </div>

      <h3>After each successful sync</h3>
      {steps.length === 0 ? (
        <p className="muted">No operation: the job ends with the sync.</p>
      ) : (
        <div className="table-wrap">
          <table className="list" aria-label="Operations">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Operation</th>
                <th scope="col">Type</th>
                <th scope="col">What it does</th>
                {mayEdit && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {steps.map((o, i) => (
                <tr key={o.operationId} data-operation={o.name}>
                  <td>{i + 1}</td>
                  <th scope="row">{o.name}</th>
                  <td>{o.operatorConfiguration.operatorType}</td>
                  <td className="wrap">{operationSummary(o.operatorConfiguration)}</td>
                  {mayEdit && (
                    <td className="row-actions">
                      <button className="small secondary" disabled={busy || i === 0} aria-label={`Move ${o.name} up`} onClick={() => move(i, -1)}>
                        ↑
                      </button>
                      <button className="small secondary" disabled={busy} aria-label={`Edit ${o.name}`}
                        onClick={() => {
                          setError(null);
                          setDraft(draftOf(o));
                        }}>
                        Edit
                      </button>
                      <button className="small danger" disabled={busy} aria-label={`Remove ${o.name}`} onClick={() => setRemoving(o)}>
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {mayEdit && !draft && (
        <p>
          <button className="secondary" disabled={busy} onClick={() => {
            setError(null);
            setDraft({ ...EMPTY });
          }}>
            Add an operation
          </button>
        </p>
      )}
      {draft && (
        <form className="card" onSubmit={save} aria-labelledby="operation-form-title" noValidate>
          <h3 id="operation-form-title">{draft.operationId ? `Edit ${draft.name}` : 'New operation'}</h3>
          <ErrorBox error={error} />
          <div className="field">
            <label htmlFor="op-name">Name *</label>
            <input id="op-name" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
            {fieldError('name')}
          </div>
          <div className="field">
            <label htmlFor="op-type">Type</label>
            <select id="op-type" value={draft.kind} disabled={!!draft.operationId}
              onChange={(e) => setDraft({ ...draft, kind: e.target.value as Kind })}>
              <option value="dbt">dbt project (sluice transform)</option>
              <option value="webhook">Webhook</option>
            </select>
          </div>
          {draft.kind === 'dbt' ? (
            <>
              <div className="field">
                <label htmlFor="op-repo">Project folder or git URL *</label>
                <input id="op-repo" required value={draft.repo} aria-describedby="op-repo-help"
                  onChange={(e) => setDraft({ ...draft, repo: e.target.value })} />
                <p className="help" id="op-repo-help">A folder holding dbt_project.yml on the server (absolute path or file://), or a git repository.</p>
                {fieldError('operatorConfiguration.dbt.gitRepoUrl')}
              </div>
              <div className="field">
                <label htmlFor="op-branch">Git branch</label>
                <input id="op-branch" value={draft.branch} onChange={(e) => setDraft({ ...draft, branch: e.target.value })} />
              </div>
              <div className="field">
                <label htmlFor="op-args">dbt arguments</label>
                <input id="op-args" value={draft.args} aria-describedby="op-args-help"
                  onChange={(e) => setDraft({ ...draft, args: e.target.value })} />
                <p className="help" id="op-args-help">run, test or build, with --select, --full-refresh, --vars.</p>
                {fieldError('operatorConfiguration.dbt.dbtArguments')}
              </div>
            </>
          ) : (
            <>
              <div className="field">
                <label htmlFor="op-url">Webhook URL *</label>
                <input id="op-url" type="url" required value={draft.url} onChange={(e) => setDraft({ ...draft, url: e.target.value })} />
                {fieldError('operatorConfiguration.webhook.executionUrl')}
              </div>
              <div className="field">
                <label htmlFor="op-body">Request body (JSON)</label>
                <textarea id="op-body" rows={3} value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} />
                {fieldError('operatorConfiguration.webhook.executionBody')}
              </div>
            </>
          )}
          <div className="actions">
            <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save operation'}</button>
            <button type="button" className="secondary" disabled={busy} onClick={() => {
              setDraft(null);
              setError(null);
            }}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ConfirmDialog open={removing !== null} busy={busy} title={`Remove ${removing?.name ?? ''}?`} confirmLabel="Remove"
        busyLabel="Removing…" onCancel={() => setRemoving(null)}
        onConfirm={async () => {
          const o = removing;
          if (!o) return;
          await run(() => api('operations/delete', { operationId: o.operationId }), `Operation ${o.name} removed.`);
          setRemoving(null);
        }}>
        <p>It no longer runs after this connection's syncs and is deleted.</p>
      </ConfirmDialog>
    </section>
  );
}
