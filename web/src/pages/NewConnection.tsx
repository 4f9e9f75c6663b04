import { FormEvent, useEffect, useMemo, useState } from 'react';
import { Actor, AirbyteStream, api, ApiError, Connection, StreamConfig, SyncCatalog } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { SYNC_MODES } from '../format';
import { navigate } from '../router';

/** One row of the streams table: the discovered stream and what the user chose. */
interface StreamRow {
  stream: AirbyteStream;
  selected: boolean;
  mode: string; // SYNC_MODES value, e.g. "incremental:append"
  cursor: string; // a top-level property
  primaryKey: string; // a top-level property
}

function properties(stream: AirbyteStream): string[] {
  return Object.keys(stream.jsonSchema?.properties ?? {});
}

/** The modes a stream offers with this destination, in Airbyte's order. */
function modesFor(stream: AirbyteStream, destinationModes: string[]) {
  const source = stream.supportedSyncModes?.length ? stream.supportedSyncModes : ['full_refresh'];
  return SYNC_MODES.filter((m) => source.includes(m.syncMode) && destinationModes.includes(m.destinationSyncMode));
}

function initialRow(stream: AirbyteStream, config: StreamConfig | undefined, destinationModes: string[]): StreamRow {
  const modes = modesFor(stream, destinationModes);
  const wanted = config ? `${config.syncMode}:${config.destinationSyncMode}` : '';
  const mode = modes.find((m) => m.value === wanted)?.value ?? modes[0]?.value ?? '';
  const props = properties(stream);
  const cursor = config?.cursorField?.[0] ?? stream.defaultCursorField?.[0] ?? props[0] ?? '';
  const primaryKey = config?.primaryKey?.[0]?.[0] ?? stream.sourceDefinedPrimaryKey?.[0]?.[0] ?? props[0] ?? '';
  return { stream, selected: config?.selected ?? true, mode, cursor, primaryKey };
}

const TIME_ZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
})();

/** The connection wizard: source and destination, streams, namespace, prefix, schedule, name. */
export function NewConnectionPage() {
  const [sources, setSources] = useState<Actor[] | null>(null);
  const [destinations, setDestinations] = useState<Actor[] | null>(null);
  const [sourceId, setSourceId] = useState('');
  const [destinationId, setDestinationId] = useState('');
  const [rows, setRows] = useState<StreamRow[] | null>(null);
  const [destinationModes, setDestinationModes] = useState<string[]>([]);
  const [loadingStreams, setLoadingStreams] = useState(false);
  const [namespaceDefinition, setNamespaceDefinition] = useState<'source' | 'destination' | 'customformat'>('source');
  const [namespaceFormat, setNamespaceFormat] = useState('${SOURCE_NAMESPACE}');
  const [prefix, setPrefix] = useState('');
  const [scheduleType, setScheduleType] = useState<'manual' | 'basic' | 'cron'>('manual');
  const [hours, setHours] = useState('24');
  const [cronExpression, setCronExpression] = useState('0 0 * * *');
  const [cronTimeZone, setCronTimeZone] = useState(TIME_ZONE);
  const [name, setName] = useState('');
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
    if (!nameTouched && source && destination) setName(`${source.name} → ${destination.name}`);
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

  const fieldErrors: Record<string, string> = {};
  if (error instanceof ApiError) for (const d of error.details) fieldErrors[d.field] = d.message;
  // The errors of a field: details naming it (or what is under it), or naming one of `parents`
  // exactly (the server may name the enclosing object, e.g. `scheduleData.cron`).
  const errorsUnder = (prefixes: string[], parents: string[] = []) =>
    Object.entries(fieldErrors)
      .filter(([f]) => parents.includes(f) || prefixes.some((p) => f === p || f.startsWith(`${p}.`) || f.startsWith(`${p}[`)))
      .map(([f, m]) => ({ field: f, message: m }));
  const CRON_PARENTS = ['scheduleData', 'scheduleData.cron'];
  const cronInvalid = errorsUnder(['scheduleData.cron.cronExpression'], CRON_PARENTS).length > 0;

  const update = (i: number, change: Partial<StreamRow>) =>
    setRows((rs) => rs && rs.map((r, j) => (j === i ? { ...r, ...change } : r)));

  const syncCatalog = (): SyncCatalog => ({
    streams: (rows ?? []).map((r) => {
      const mode = SYNC_MODES.find((m) => m.value === r.mode) ?? SYNC_MODES[0];
      const config: StreamConfig = {
        syncMode: mode.syncMode,
        destinationSyncMode: mode.destinationSyncMode,
        aliasName: r.stream.name,
        selected: r.selected,
      };
      if (mode.syncMode === 'incremental' && r.cursor) config.cursorField = [r.cursor];
      if (mode.destinationSyncMode === 'append_dedup' && r.primaryKey) config.primaryKey = [[r.primaryKey]];
      else if (r.stream.sourceDefinedPrimaryKey?.length) config.primaryKey = r.stream.sourceDefinedPrimaryKey;
      return { stream: r.stream, config };
    }),
  });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body: Record<string, unknown> = {
      sourceId,
      destinationId,
      name,
      namespaceDefinition,
      prefix,
      scheduleType,
      status: 'active',
      syncCatalog: syncCatalog(),
    };
    if (namespaceDefinition === 'customformat') body.namespaceFormat = namespaceFormat;
    if (scheduleType === 'basic') body.scheduleData = { basicSchedule: { units: Number(hours), timeUnit: 'hours' } };
    if (scheduleType === 'cron') body.scheduleData = { cron: { cronExpression, cronTimeZone } };
    try {
      const created = await api<Connection>('connections/create', body);
      navigate(`/connections/${created.connectionId}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const fieldError = (id: string, fields: string[], parents: string[] = []) => {
    const errs = errorsUnder(fields, parents);
    return errs.length ? (
      <p className="field-error" id={id}>
        {errs.map((x) => x.message).join('; ')}
      </p>
    ) : null;
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
              {fieldError('wizard-source-error', ['sourceId'])}
            </div>
            <div className="field">
              <label htmlFor="wizard-destination">Destination</label>
              <select
                id="wizard-destination"
                value={destinationId}
                onChange={(e) => setDestinationId(e.target.value)}
                disabled={!destinations}
                required
              >
                <option value="">{destinations ? (destinations.length ? 'Choose a destination…' : 'No destination yet') : 'Loading…'}</option>
                {destinations?.map((d) => (
                  <option key={d.destinationId} value={d.destinationId}>
                    {d.name} ({d.destinationName ?? d.connectorName})
                  </option>
                ))}
              </select>
              {fieldError('wizard-destination-error', ['destinationId'])}
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
              <div className="table-wrap">
                <table className="list streams" aria-label="Streams">
                  <thead>
                    <tr>
                      <th scope="col">Sync</th>
                      <th scope="col">Stream</th>
                      <th scope="col">Sync mode</th>
                      <th scope="col">Cursor field</th>
                      <th scope="col">Primary key</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r, i) => {
                      const n = r.stream.name;
                      const modes = modesFor(r.stream, destinationModes);
                      const incremental = r.mode.startsWith('incremental:');
                      const dedup = r.mode.endsWith(':append_dedup');
                      const props = properties(r.stream);
                      const errs = errorsUnder([`syncCatalog.streams[${i}]`]);
                      return (
                        <tr key={`${r.stream.namespace ?? ''}.${n}`} data-stream={n}>
                          <td>
                            <input
                              type="checkbox"
                              checked={r.selected}
                              aria-label={`Sync ${n}`}
                              onChange={(e) => update(i, { selected: e.target.checked })}
                            />
                          </td>
                          <th scope="row" className="name">
                            {r.stream.namespace ? <span className="muted">{r.stream.namespace}.</span> : null}
                            {n}
                            {errs.length > 0 && (
                              <p className="field-error" data-field-error={errs.map((x) => x.field).join(' ')}>
                                {errs.map((x) => `${x.field.replace(`syncCatalog.streams[${i}].`, '')}: ${x.message}`).join('; ')}
                              </p>
                            )}
                          </th>
                          <td>
                            <select
                              aria-label={`Sync mode: ${n}`}
                              value={r.mode}
                              disabled={!r.selected}
                              onChange={(e) => update(i, { mode: e.target.value })}
                            >
                              {modes.map((m) => (
                                <option key={m.value} value={m.value}>
                                  {m.label}
                                </option>
                              ))}
                            </select>
                          </td>
                          <td>
                            {incremental ? (
                              <select
                                aria-label={`Cursor field: ${n}`}
                                value={r.cursor}
                                disabled={!r.selected}
                                aria-invalid={errs.some((x) => x.field.includes('cursorField')) || undefined}
                                onChange={(e) => update(i, { cursor: e.target.value })}
                              >
                                {props.map((p) => (
                                  <option key={p} value={p}>
                                    {p}
                                    {r.stream.sourceDefinedCursor && r.stream.defaultCursorField?.[0] === p ? ' (source-defined)' : ''}
                                  </option>
                                ))}
                              </select>
                            ) : (
                              <span className="muted">—</span>
                            )}
                          </td>
                          <td>
                            {dedup ? (
                              <select
                                aria-label={`Primary key: ${n}`}
                                value={r.primaryKey}
                                disabled={!r.selected}
                                aria-invalid={errs.some((x) => x.field.includes('primaryKey')) || undefined}
                                onChange={(e) => update(i, { primaryKey: e.target.value })}
                              >
                                {props.map((p) => (
                                  <option key={p} value={p}>
                                    {p}
                                    {r.stream.sourceDefinedPrimaryKey?.[0]?.[0] === p ? ' (source-defined)' : ''}
                                  </option>
                                ))}
                              </select>
                            ) : (
                              <span className="muted">{r.stream.sourceDefinedPrimaryKey?.map((k) => k.join('.')).join(', ') || '—'}</span>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            </fieldset>

            <fieldset className="group">
              <legend>Destination namespace and stream prefix</legend>
              <div className="two-columns">
                <div className="field">
                  <label htmlFor="wizard-namespace">Destination namespace</label>
                  <select
                    id="wizard-namespace"
                    value={namespaceDefinition}
                    onChange={(e) => setNamespaceDefinition(e.target.value as typeof namespaceDefinition)}
                  >
                    <option value="source">Mirror the source's namespace</option>
                    <option value="destination">The destination's default</option>
                    <option value="customformat">Custom format</option>
                  </select>
                  {fieldError('wizard-namespace-error', ['namespaceDefinition'])}
                </div>
                {namespaceDefinition === 'customformat' && (
                  <div className="field">
                    <label htmlFor="wizard-namespace-format">Namespace format</label>
                    <input
                      id="wizard-namespace-format"
                      type="text"
                      value={namespaceFormat}
                      aria-describedby="wizard-namespace-format-help"
                      onChange={(e) => setNamespaceFormat(e.target.value)}
                    />
                    <p className="help" id="wizard-namespace-format-help">
                      e.g. <code>production_${'{SOURCE_NAMESPACE}'}</code>
                    </p>
                    {fieldError('wizard-namespace-format-error', ['namespaceFormat'])}
                  </div>
                )}
              </div>
              <div className="field">
                <label htmlFor="wizard-prefix">
                  Stream prefix <span className="optional">(optional)</span>
                </label>
                <input
                  id="wizard-prefix"
                  type="text"
                  value={prefix}
                  placeholder="e.g. faker_"
                  aria-describedby="wizard-prefix-help"
                  onChange={(e) => setPrefix(e.target.value)}
                />
                <p className="help" id="wizard-prefix-help">
                  Put before each stream's name in the destination.
                </p>
                {fieldError('wizard-prefix-error', ['prefix'])}
              </div>
            </fieldset>

            <fieldset className="group">
              <legend>Schedule</legend>
              <div className="two-columns">
                <div className="field">
                  <label htmlFor="wizard-schedule">Schedule type</label>
                  <select id="wizard-schedule" value={scheduleType} onChange={(e) => setScheduleType(e.target.value as typeof scheduleType)}>
                    <option value="manual">Manual</option>
                    <option value="basic">Every N hours</option>
                    <option value="cron">Cron</option>
                  </select>
                  {fieldError('wizard-schedule-error', ['scheduleType', 'schedule'], scheduleType === 'manual' ? ['scheduleData'] : [])}
                </div>
                {scheduleType === 'basic' && (
                  <div className="field">
                    <label htmlFor="wizard-hours">Every how many hours</label>
                    <input id="wizard-hours" type="number" min={1} max={8760} value={hours} onChange={(e) => setHours(e.target.value)} />
                    {fieldError('wizard-hours-error', ['scheduleData.basicSchedule'], ['scheduleData'])}
                  </div>
                )}
              </div>
              {scheduleType === 'cron' && (
                <div className="two-columns">
                  <div className="field">
                    <label htmlFor="wizard-cron">Cron expression</label>
                    <input
                      id="wizard-cron"
                      type="text"
                      value={cronExpression}
                      aria-describedby={cronInvalid ? "wizard-cron-help wizard-cron-error" : "wizard-cron-help"}
                      aria-invalid={cronInvalid || undefined}
                      onChange={(e) => setCronExpression(e.target.value)}
                    />
                    <p className="help" id="wizard-cron-help">
                      5-field Unix (<code>0 */6 * * *</code>) or Quartz (<code>0 0 12 * * ?</code>).
                    </p>
                    {fieldError('wizard-cron-error', ['scheduleData.cron.cronExpression'], CRON_PARENTS)}
                  </div>
                  <div className="field">
                    <label htmlFor="wizard-timezone">Time zone</label>
                    <input id="wizard-timezone" type="text" value={cronTimeZone} onChange={(e) => setCronTimeZone(e.target.value)} />
                    {fieldError('wizard-timezone-error', ['scheduleData.cron.cronTimeZone'])}
                  </div>
                </div>
              )}
            </fieldset>

            <div className="field">
              <label htmlFor="wizard-name">
                Connection name<span className="required" aria-hidden="true"> *</span>
              </label>
              <input
                id="wizard-name"
                type="text"
                required
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  setNameTouched(true);
                }}
              />
              {fieldError('wizard-name-error', ['name'])}
            </div>
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
