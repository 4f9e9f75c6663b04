import { FormEvent, useEffect, useMemo, useState } from 'react';
import { Actor, api, Connection, SyncCatalog } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { ConnectionSettings, DEFAULT_SETTINGS, NameField, NamespaceFields, problemsFinder, ScheduleFields, settingsBody } from '../components/ConnectionFields';
import { initialRow, rowsToCatalog, StreamRow, StreamsTable } from '../components/StreamsTable';
import { navigate } from '../router';

/** The connection wizard: source and destination, streams, namespace, prefix, schedule, name. */
export function NewConnectionPage() {
  const [sources, setSources] = useState<Actor[] | null>(null);
  const [destinations, setDestinations] = useState<Actor[] | null>(null);
  const [sourceId, setSourceId] = useState('');
  const [destinationId, setDestinationId] = useState('');
  const [rows, setRows] = useState<StreamRow[] | null>(null);
  const [destinationModes, setDestinationModes] = useState<string[]>([]);
  const [loadingStreams, setLoadingStreams] = useState(false);
  const [settings, setSettings] = useState<ConnectionSettings>(DEFAULT_SETTINGS);
  const [nameTouched, setNameTouched] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'New connection · sluice';
    Promise.all([api<{ sources: Actor[] }>('sources/list', {}), api<{ destinations: Actor[] }>('destinations/list', {})])
      .then(([s, d]) => {
        setSources(s.sources);
        setDestinations(d.destinations);
      })
      .catch(setError);
  }, []);

  const source = useMemo(() => sources?.find((s) => s.sourceId === sourceId), [sources, sourceId]);
  const destination = useMemo(() => destinations?.find((d) => d.destinationId === destinationId), [destinations, destinationId]);

  useEffect(() => {
    if (!nameTouched && source && destination) setSettings((s) => ({ ...s, name: `${source.name} → ${destination.name}` }));
  }, [source, destination, nameTouched]);

  // Discover the source's streams and the destination's sync modes once both are chosen.
  useEffect(() => {
    setRows(null);
    if (!source || !destination) return;
    let cancelled = false;
    setLoadingStreams(true);
    setError(null);
    Promise.all([
      api<{ catalog: SyncCatalog }>('sources/discover_schema', { sourceId: source.sourceId }),
      api<{ supportedDestinationSyncModes?: string[] }>('destination_definition_specifications/get', {
        destinationDefinitionId: destination.destinationDefinitionId,
      }),
    ])
      .then(([discovered, spec]) => {
        if (cancelled) return;
        const modes = spec.supportedDestinationSyncModes ?? ['overwrite', 'append'];
        setDestinationModes(modes);
        setRows(discovered.catalog.streams.map((s) => initialRow(s.stream, s.config, modes)));
      })
      .catch((e) => !cancelled && setError(e))
      .finally(() => !cancelled && setLoadingStreams(false));
    return () => {
      cancelled = true;
    };
  }, [source, destination]);

  const problems = problemsFinder(error);
  const change = (c: Partial<ConnectionSettings>) => {
    if (c.name !== undefined) setNameTouched(true);
    setSettings((s) => ({ ...s, ...c }));
  };
  const fieldProps = { idPrefix: 'wizard', value: settings, onChange: change, problems };

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api<Connection>('connections/create', {
        sourceId,
        destinationId,
        status: 'active',
        ...settingsBody(settings),
        syncCatalog: rowsToCatalog(rows ?? []),
      });
      navigate(`/connections/${created.connectionId}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const selectedCount = rows?.filter((r) => r.selected).length ?? 0;

  return (
    <section aria-labelledby="new-connection-title">
      <div className="page-head">
        <h1 id="new-connection-title">New connection</h1>
        <Link href="/connections">Back to the connections</Link>
      </div>
      <form className="card form wide" onSubmit={create}>
        <fieldset className="group">
          <legend>Source and destination</legend>
          <div className="two-columns">
            <div className="field">
              <label htmlFor="wizard-source">Source</label>
              <select id="wizard-source" value={sourceId} onChange={(e) => setSourceId(e.target.value)} disabled={!sources} required>
                <option value="">{sources ? (sources.length ? 'Choose a source…' : 'No source yet') : 'Loading…'}</option>
                {sources?.map((s) => (
                  <option key={s.sourceId} value={s.sourceId}>
                    {s.name} ({s.sourceName ?? s.connectorName})
                  </option>
                ))}
              </select>
              {problems(['sourceId']).length > 0 && <p className="field-error">{problems(['sourceId'])[0].message}</p>}
            </div>
            <div className="field">
              <label htmlFor="wizard-destination">Destination</label>
              <select id="wizard-destination" value={destinationId} onChange={(e) => setDestinationId(e.target.value)}
                disabled={!destinations} required>
                <option value="">{destinations ? (destinations.length ? 'Choose a destination…' : 'No destination yet') : 'Loading…'}</option>
                {destinations?.map((d) => (
                  <option key={d.destinationId} value={d.destinationId}>
                    {d.name} ({d.destinationName ?? d.connectorName})
                  </option>
                ))}
              </select>
              {problems(['destinationId']).length > 0 && <p className="field-error">{problems(['destinationId'])[0].message}</p>}
            </div>
          </div>
          {sources?.length === 0 && (
            <p className="help">
              <Link href="/sources/new">Create a source</Link> first.
            </p>
          )}
          {destinations?.length === 0 && (
            <p className="help">
              <Link href="/destinations/new">Create a destination</Link> first.
            </p>
          )}
        </fieldset>

        {loadingStreams && <p className="loading">Discovering the source's streams…</p>}

        {rows && (
          <>
            <fieldset className="group">
              <legend>Streams</legend>
              <p className="help">
                {selectedCount} of {rows.length} streams selected. The destination supports: {destinationModes.join(', ')}.
              </p>
              <StreamsTable rows={rows} destinationModes={destinationModes} onChange={setRows}
                errorsFor={(i) => problems([`syncCatalog.streams[${i}]`])} />
            </fieldset>
            <NamespaceFields {...fieldProps} />
            <ScheduleFields {...fieldProps} />
            <NameField {...fieldProps} />
          </>
        )}
        <ErrorBox error={error} />
        {rows && (
          <div className="actions">
            <button type="submit" disabled={busy || selectedCount === 0}>
              {busy ? 'Creating…' : 'Create the connection'}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}
