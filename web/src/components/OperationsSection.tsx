// The "Normalization and operations" section of a connection page: the normalization setting
// (basic | none: an operation with operatorType normalization in the connection's operationIds,
// Airbyte's shape) and the after-sync operations (dbt project, webhook, and sluice's SQL script
// and command) listed in the order they run, added, edited and removed through
// operations/create|update|delete and connections/update operationIds. Read-only without
// edit_configs. A command's secret variables come back masked ("**********"): sent back as they
// are, the server keeps their values.
import { ChangeEvent, FormEvent, useCallback, useEffect, useState } from 'react';
import { api, Connection, Operation, OperatorConfiguration } from '../api';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorBox } from './ErrorBox';
import { problemsFinder } from './ConnectionFields';

type Kind = 'dbt' | 'webhook' | 'sql' | 'command';

const MASK = '**********';

interface Draft {
  operationId?: string;
  name: string;
  kind: Kind;
  repo: string;
  branch: string;
  args: string;
  url: string;
  body: string;
  sql: string;
  database: string;
  schema: string;
  /** argv, one per line */
  argv: string;
  workdir: string;
  /** NAME=value lines */
  env: string;
  secretEnv: string;
  timeout: string;
}

const EMPTY: Draft = {
  name: '', kind: 'dbt', repo: '', branch: '', args: 'run', url: '', body: '',
  sql: '', database: '', schema: '', argv: '', workdir: '', env: '', secretEnv: '', timeout: '',
};

const KINDS: Kind[] = ['dbt', 'webhook', 'sql', 'command'];

/** The draft's text fields (what draftField edits). */
type DraftText = Exclude<keyof Draft, 'operationId' | 'kind'>;

interface FieldOptions {
  help?: string;
  /** the field the server's 422 names (operatorConfiguration.…) */
  errorField?: string;
  required?: boolean;
  /** a textarea of this many rows */
  rows?: number;
  type?: 'text' | 'url' | 'number';
  placeholder?: string;
}

function envLines(env: Record<string, string> | undefined): string {
  return Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
}

/** NAME=value lines → an object; a line without "=" is an error naming it. */
function envOf(text: string, label: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${label}, line ${i + 1}: expected NAME=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return out;
}

function draftOf(o: Operation): Draft {
  const c = o.operatorConfiguration;
  return {
    operationId: o.operationId,
    name: o.name,
    kind: KINDS.includes(c.operatorType as Kind) ? (c.operatorType as Kind) : 'dbt',
    repo: c.dbt?.gitRepoUrl ?? '',
    branch: c.dbt?.gitRepoBranch ?? '',
    args: c.dbt?.dbtArguments ?? 'run',
    url: c.webhook?.executionUrl ?? '',
    body: c.webhook?.executionBody ?? '',
    sql: c.operatorSql?.sql ?? '',
    database: c.operatorSql?.database ?? '',
    schema: c.operatorSql?.schema ?? '',
    argv: (c.operatorCommand?.command ?? []).join('\n'),
    workdir: c.operatorCommand?.workingDirectory ?? '',
    env: envLines(c.operatorCommand?.environment),
    secretEnv: envLines(c.operatorCommand?.secretEnvironment),
    timeout: c.operatorCommand?.timeoutSeconds ? String(c.operatorCommand.timeoutSeconds) : '',
  };
}

function configOf(d: Draft): OperatorConfiguration {
  if (d.kind === 'sql') {
    return {
      operatorType: 'sql',
      operatorSql: { sql: d.sql, ...(d.database.trim() ? { database: d.database.trim() } : {}), ...(d.schema.trim() ? { schema: d.schema.trim() } : {}) },
    };
  }
  if (d.kind === 'command') {
    const env = envOf(d.env, 'Environment');
    const secretEnv = envOf(d.secretEnv, 'Secret environment');
    const timeout = d.timeout.trim();
    return {
      operatorType: 'command',
      operatorCommand: {
        command: d.argv.split('\n').filter((a) => a.trim() !== ''),
        ...(d.workdir.trim() ? { workingDirectory: d.workdir.trim() } : {}),
        ...(Object.keys(env).length ? { environment: env } : {}),
        ...(Object.keys(secretEnv).length ? { secretEnvironment: secretEnv } : {}),
        ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
      },
    };
  }
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
  if (c.operatorType === 'sql') {
    const statements = (c.operatorSql?.sql ?? '').split(';').filter((x) => x.trim()).length;
    const first = (c.operatorSql?.sql ?? '').trim().split('\n')[0].slice(0, 60);
    return `SQL script (${statements} statement${statements === 1 ? '' : 's'}): ${first}`;
  }
  if (c.operatorType === 'command') {
    const argv = (c.operatorCommand?.command ?? []).map((a) => (/[\s"']/.test(a) || a === '' ? JSON.stringify(a) : a)).join(' ');
    return `$ ${argv.length > 120 ? `${argv.slice(0, 120)}…` : argv}`;
  }
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
    let body: { name: string; operatorConfiguration: OperatorConfiguration };
    try {
      body = { name: draft.name.trim(), operatorConfiguration: configOf(draft) };
    } catch (err) {
      setError(err);
      return;
    }
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

  /** One labelled input (or, with `rows`, a monospace textarea) editing a text of the draft, with
   * its help and the server's error for `errorField`. */
  const draftField = (key: DraftText, id: string, label: string, opts: FieldOptions = {}) => {
    if (!draft) return null;
    const common = {
      id,
      value: draft[key],
      required: opts.required,
      'aria-describedby': opts.help ? `${id}-help` : undefined,
      onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setDraft({ ...draft, [key]: e.target.value }),
    };
    return (
      <div className="field">
        <label htmlFor={id}>{label}{opts.required ? ' *' : ''}</label>
        {opts.rows ? (
          <textarea {...common} className="code" rows={opts.rows} spellCheck={false} />
        ) : (
          <input {...common} type={opts.type ?? 'text'} placeholder={opts.placeholder} min={opts.type === 'number' ? 1 : undefined} />
        )}
        {opts.help && <p className="help" id={`${id}-help`}>{opts.help}</p>}
        {opts.errorField && fieldError(opts.errorField)}
      </div>
    );
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
            <input id="op-name" type="text" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
            {fieldError('name')}
          </div>
          <div className="field">
            <label htmlFor="op-type">Type</label>
            <select id="op-type" value={draft.kind} disabled={!!draft.operationId}
              onChange={(e) => setDraft({ ...draft, kind: e.target.value as Kind })}>
              <option value="dbt">dbt project (sluice transform)</option>
              <option value="webhook">Webhook</option>
              <option value="sql">SQL script (destination-postgres)</option>
              <option value="command">Command</option>
            </select>
          </div>
          {draft.kind === 'sql' && (
            <>
              {draftField('sql', 'op-sql', 'SQL script', {
                required: true, rows: 8, errorField: 'operatorConfiguration.operatorSql.sql',
                help: 'Statements separated by ";", run in one transaction on the destination\'s database: a failing one undoes them all. Leave out BEGIN and COMMIT.',
              })}
              {draftField('database', 'op-sql-database', 'Database', {
                errorField: 'operatorConfiguration.operatorSql.database',
                help: 'Another database of the destination\'s server; empty: the destination\'s.',
              })}
              {draftField('schema', 'op-sql-schema', 'Schema', {
                errorField: 'operatorConfiguration.operatorSql.schema',
                help: 'The search_path for unqualified names; empty: the destination\'s schema.',
              })}
            </>
          )}
          {draft.kind === 'command' && (
            <>
              {draftField('argv', 'op-argv', 'Program and arguments', {
                required: true, rows: 4, errorField: 'operatorConfiguration.operatorCommand.command',
                help: 'One per line, run without a shell (for one: sh, -c, then the script). It gets the destination\'s PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD.',
              })}
              {draftField('env', 'op-env', 'Environment', {
                rows: 3, errorField: 'operatorConfiguration.operatorCommand.environment',
                help: 'NAME=value, one per line; shown to everyone who can read the connection.',
              })}
              {draftField('secretEnv', 'op-secret-env', 'Secret environment', {
                rows: 2, errorField: 'operatorConfiguration.operatorCommand.secretEnvironment',
                help: `NAME=value, one per line: tokens and passwords, never shown again nor logged (a value left as ${MASK} is kept).`,
              })}
              {draftField('workdir', 'op-workdir', 'Working folder', {
                errorField: 'operatorConfiguration.operatorCommand.workingDirectory',
                help: 'An absolute folder on the server; empty: a temporary one.',
              })}
              {draftField('timeout', 'op-timeout', 'Timeout (seconds)', {
                type: 'number', placeholder: '3600', errorField: 'operatorConfiguration.operatorCommand.timeoutSeconds',
              })}
            </>
          )}
          {draft.kind === 'dbt' && (
            <>
              {draftField('repo', 'op-repo', 'Project folder or git URL', {
                required: true, errorField: 'operatorConfiguration.dbt.gitRepoUrl',
                help: 'A folder holding dbt_project.yml on the server (absolute path or file://), or a git repository.',
              })}
              {draftField('branch', 'op-branch', 'Git branch')}
              {draftField('args', 'op-args', 'dbt arguments', {
                errorField: 'operatorConfiguration.dbt.dbtArguments',
                help: 'run, test or build, with --select, --full-refresh, --vars.',
              })}
            </>
          )}
          {draft.kind === 'webhook' && (
            <>
              {draftField('url', 'op-url', 'Webhook URL', {
                required: true, type: 'url', errorField: 'operatorConfiguration.webhook.executionUrl',
              })}
              {draftField('body', 'op-body', 'Request body (JSON)', {
                rows: 3, errorField: 'operatorConfiguration.webhook.executionBody',
              })}
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
