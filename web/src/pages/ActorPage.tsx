import { FormEvent, useCallback, useEffect, useState } from 'react';
import { Actor, ActorKind, api, ApiError, Connection } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CheckResult, CheckResultBox } from '../components/CheckResult';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { cleanValue, Schema, SpecForm, withDefaults } from '../components/SpecForm';
import { absoluteTime, relativeTime, scheduleText } from '../format';
import { navigate } from '../router';
import { TITLES } from './Actors';
import { TestStream } from '../components/TestStream';
import { useCan } from '../session';
import '../components/StreamsTable.css';


interface Loaded {
  actor: Actor;
  schema: Schema;
  connections: Connection[]; // the live connections using this actor
  others: Map<string, string>; // id → name of the actors at the other end of those connections
}

/**
 * One source or destination: its spec-generated form prefilled with the stored config (secrets
 * come masked; an untouched mask keeps the stored secret, as the API merges it), test, save,
 * the connections using it, and delete behind a confirm dialog that names them.
 */
export function ActorPage({ kind, id }: { kind: ActorKind; id: string }) {
  const title = TITLES[kind];
  const idField = `${kind}Id`;
  const other: ActorKind = kind === 'source' ? 'destination' : 'source';
  const [data, setData] = useState<Loaded | null>(null);
  const [name, setName] = useState('');
  const [config, setConfig] = useState<any>({});
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState<'' | 'test' | 'save' | 'delete'>('');
  const [confirming, setConfirming] = useState(false);
  const mayEdit = useCan('edit_configs');

  const load = useCallback(async () => {
    try {
      const actor = await api<Actor>(`${kind}s/get`, { [idField]: id });
      const definitionId = kind === 'source' ? actor.sourceDefinitionId : actor.destinationDefinitionId;
      const [spec, { connections }, othersList] = await Promise.all([
        api<{ connectionSpecification: Schema }>(`${kind}_definition_specifications/get`, { [`${kind}DefinitionId`]: definitionId }),
        api<{ connections: Connection[] }>('connections/list', { includeSyncCatalog: false }),
        api<Record<string, Actor[]>>(`${other}s/list`, {}),
      ]);
      const using = connections.filter((c) => (kind === 'source' ? c.sourceId : c.destinationId) === id);
      const others = new Map((othersList[`${other}s`] ?? []).map((a) => [(other === 'source' ? a.sourceId : a.destinationId) ?? '', a.name]));
      setData({ actor, schema: spec.connectionSpecification, connections: using, others });
      setName(actor.name);
      setConfig(withDefaults(spec.connectionSpecification, actor.connectionConfiguration ?? {}));
      document.title = `${actor.name} · sluice`;
    } catch (e) {
      setLoadError(e);
    }
  }, [kind, idField, id, other]);

  useEffect(() => {
    document.title = `${title.one[0].toUpperCase()}${title.one.slice(1)} · sluice`;
    load();
  }, [load, title.one]);

  if (!data) {
    return (
      <section>
        <ErrorBox error={loadError} />
        {!loadError && <p className="loading">Loading…</p>}
        <Link href={`/${kind}s`}>Back to the {title.many.toLowerCase()}</Link>
      </section>
    );
  }

  const fieldErrors: Record<string, string> = {};
  if (error instanceof ApiError) for (const d of error.details) fieldErrors[d.field] = d.message;
  const configBody = () => cleanValue(data.schema, config);
  const { actor, connections } = data;

  const test = async () => {
    setBusy('test');
    setError(null);
    setCheck(null);
    setNotice('');
    try {
      // The edited config, its masked secrets merged with the stored ones by the server.
      setCheck(await api<CheckResult>(`${kind}s/check_connection`, { [idField]: id, connectionConfiguration: configBody() }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    setNotice('');
    try {
      const saved = await api<Actor>(`${kind}s/update`, { [idField]: id, name, connectionConfiguration: configBody() });
      setData({ ...data, actor: saved });
      setName(saved.name);
      setConfig(withDefaults(data.schema, saved.connectionConfiguration ?? {}));
      setNotice(`${saved.name} saved.`);
      document.title = `${saved.name} · sluice`;
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };

  const remove = async () => {
    setBusy('delete');
    try {
      await api(`${kind}s/delete`, { [idField]: id });
      setConfirming(false);
      navigate(`/${kind}s`);
    } catch (err) {
      setConfirming(false);
      setError(err);
      setBusy('');
    }
  };

  const otherName = (c: Connection) => data.others.get(kind === 'source' ? c.destinationId : c.sourceId) ?? '?';
  const connector = (kind === 'source' ? actor.sourceName : actor.destinationName) ?? actor.connectorName;

  return (
    <section aria-labelledby="actor-title">
      <div className="page-head">
        <div>
          <p className="crumb">
            <Link href={`/${kind}s`}>{title.many}</Link> /
          </p>
          <h1 id="actor-title">{actor.name}</h1>
          <p className="muted">
            {connector} <code>{actor.connectorName}</code> · created <span title={absoluteTime(actor.createdAt)}>{relativeTime(actor.createdAt)}</span>
          </p>
        </div>
      </div>

      <form className="card form" onSubmit={save} aria-label={`Settings of the ${title.one}`}>
        {!mayEdit && <p className="empty" data-read-only>Your role can read this {title.one}; an admin or a data engineer changes it.</p>}
        <fieldset className="plain" disabled={!mayEdit}>
          <div className="field">
            <label htmlFor="actor-name">
              {title.one === 'source' ? 'Source' : 'Destination'} name<span className="required" aria-hidden="true"> *</span>
            </label>
            <input id="actor-name" type="text" required value={name} aria-invalid={!!fieldErrors.name || undefined}
              aria-describedby={fieldErrors.name ? 'actor-name-error' : undefined} onChange={(e) => setName(e.target.value)} />
            {fieldErrors.name && (
              <p className="field-error" id="actor-name-error">
                {fieldErrors.name}
              </p>
            )}
          </div>
          <SpecForm schema={data.schema} value={config} onChange={setConfig} errors={fieldErrors} keepMaskedSecrets />
        </fieldset>
        <CheckResultBox check={check} />
        <ErrorBox error={error} />
        <p className="notice" role="status" aria-live="polite">
          {notice}
        </p>
        {mayEdit && (
          <div className="actions split">
            <div className="actions">
              <button type="button" className="secondary" onClick={test} disabled={busy !== ''}>
                {busy === 'test' ? 'Testing…' : 'Test connection'}
              </button>
              <button type="submit" disabled={busy !== ''}>
                {busy === 'save' ? 'Saving…' : 'Save'}
              </button>
            </div>
            <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={busy !== ''}>
              Delete this {title.one}
            </button>
          </div>
        )}
      </form>

      {kind === 'source' && mayEdit && actor.connectorName === 'source-declarative-manifest' && <TestStream sourceId={id} />}

      <section className="edit-section" aria-labelledby="used-by-title">
        <h2 id="used-by-title">Connections using this {title.one}</h2>
        {connections.length === 0 ? (
          <div className="empty">
            <p>No connection uses this {title.one}.</p>
          </div>
        ) : (
          <div className="table-wrap">
            <table className="list" aria-labelledby="used-by-title">
              <thead>
                <tr>
                  <th scope="col">Connection</th>
                  <th scope="col">{other === 'source' ? 'Source' : 'Destination'}</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {connections.map((c) => (
                  <tr key={c.connectionId} data-connection-id={c.connectionId}>
                    <th scope="row" className="name">
                      <Link href={`/connections/${encodeURIComponent(c.connectionId)}`}>{c.name}</Link>
                    </th>
                    <td>{otherName(c)}</td>
                    <td>{scheduleText(c)}</td>
                    <td>{c.status === 'active' ? 'Enabled' : 'Disabled'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <ConfirmDialog open={confirming} title={`Delete ${actor.name}?`} confirmLabel={`Delete the ${title.one}`} busy={busy === 'delete'}
        onConfirm={remove} onCancel={() => setConfirming(false)}>
        {connections.length === 0 ? (
          <p>No connection uses this {title.one}. This cannot be undone.</p>
        ) : (
          <>
            <p>
              {connections.length === 1 ? 'This connection uses' : `These ${connections.length} connections use`} it and{' '}
              {connections.length === 1 ? 'is' : 'are'} deleted with it:
            </p>
            <ul data-affected-connections>
              {connections.map((c) => (
                <li key={c.connectionId}>
                  <strong>{c.name}</strong> ({kind === 'source' ? `to ${otherName(c)}` : `from ${otherName(c)}`})
                </li>
              ))}
            </ul>
            <p>
              Their schedules stop and a running sync is cancelled. Data already synced stays where it is. This cannot be undone.
            </p>
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
