import { FormEvent, useEffect, useMemo, useState } from 'react';
import { ActorKind, api, ApiError, Definition, definitionId } from '../api';
import { CheckResult, CheckResultBox } from '../components/CheckResult';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { cleanValue, initialValue, Schema, SpecForm } from '../components/SpecForm';
import { navigate } from '../router';
import { TITLES } from './Actors';


/** "New source/destination": pick a connector, fill the form generated from its spec, test, save. */
export function NewActorPage({ kind }: { kind: ActorKind }) {
  const title = TITLES[kind];
  const [definitions, setDefinitions] = useState<Definition[] | null>(null);
  // ?definition=ID picks a connector (a custom one just created).
  const [picked, setPicked] = useState(() => new URLSearchParams(window.location.search).get('definition') ?? '');
  const [schema, setSchema] = useState<Schema | null>(null);
  const [name, setName] = useState('');
  const [config, setConfig] = useState<any>({});
  const [error, setError] = useState<unknown>(null);
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [busy, setBusy] = useState<'' | 'test' | 'save'>('');

  useEffect(() => {
    document.title = `New ${title.one} · sluice`;
    api<Record<string, Definition[]>>(`${kind}_definitions/list`, {})
      .then((r) => setDefinitions((r[`${kind}Definitions`] ?? []).sort((a, b) => a.name.localeCompare(b.name))))
      .catch(setError);
  }, [kind, title.one]);

  const definition = useMemo(() => definitions?.find((d) => definitionId(kind, d) === picked), [definitions, picked, kind]);

  useEffect(() => {
    setSchema(null);
    setCheck(null);
    setError(null);
    if (!definition) return;
    setName(definition.name);
    api<{ connectionSpecification: Schema }>(`${kind}_definition_specifications/get`, { [`${kind}DefinitionId`]: picked })
      .then((spec) => {
        setSchema(spec.connectionSpecification);
        setConfig(initialValue(spec.connectionSpecification) ?? {});
      })
      .catch(setError);
  }, [definition, kind, picked]);

  const fieldErrors: Record<string, string> = {};
  if (error instanceof ApiError) for (const d of error.details) fieldErrors[d.field] = d.message;

  const body = () => ({ [`${kind}DefinitionId`]: picked, connectionConfiguration: cleanValue(schema!, config) });

  const test = async () => {
    setBusy('test');
    setError(null);
    setCheck(null);
    try {
      setCheck(await api<CheckResult>(`${kind}s/check_connection`, body()));
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
    try {
      await api(`${kind}s/create`, { ...body(), name });
      navigate(`/${kind}s`);
    } catch (err) {
      setError(err);
      setBusy('');
    }
  };

  return (
    <section aria-labelledby="new-title">
      <div className="page-head">
        <h1 id="new-title">New {title.one}</h1>
        <Link href={`/${kind}s`}>Back to the {title.many.toLowerCase()}</Link>
      </div>
      <form className="card form" onSubmit={save} noValidate={false}>
        <div className="field">
          <label htmlFor="connector">Connector</label>
          <select id="connector" value={picked} onChange={(e) => setPicked(e.target.value)} disabled={!definitions}>
            <option value="">{definitions ? `Choose a ${title.one} connector…` : 'Loading…'}</option>
            {definitions?.map((d) => (
              <option key={definitionId(kind, d)} value={definitionId(kind, d)}>
                {d.custom ? `${d.name} (custom)` : d.name}
              </option>
            ))}
          </select>
          {definition?.description && <p className="help">{definition.description}</p>}
          {kind === 'source' && (
            <p className="help">
              An API without a connector? <Link href="/sources/custom/new">New custom connector</Link> from a declarative YAML manifest.
            </p>
          )}
        </div>
        {definition && !schema && !error && <p className="loading">Loading the connector's settings…</p>}
        {schema && (
          <>
            <div className="field">
              <label htmlFor="actor-name">
                {title.one === 'source' ? 'Source' : 'Destination'} name<span className="required" aria-hidden="true"> *</span>
              </label>
              <input id="actor-name" type="text" required value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <SpecForm schema={schema} value={config} onChange={setConfig} errors={fieldErrors} />
            <CheckResultBox check={check} />
            <ErrorBox error={error} />
            <div className="actions">
              <button type="button" className="secondary" onClick={test} disabled={busy !== ''}>
                {busy === 'test' ? 'Testing…' : 'Test connection'}
              </button>
              <button type="submit" disabled={busy !== ''}>
                {busy === 'save' ? 'Saving…' : `Save the ${title.one}`}
              </button>
            </div>
          </>
        )}
        {!schema && <ErrorBox error={error} />}
      </form>
    </section>
  );
}
