// The "Settings" section of a connection page: name, schedule, namespace, prefix, the schema-change
// policy and the streams table (the wizard's), saved with connections/update; "Refresh source schema" (discover again:
// new streams come unselected); "Delete connection" behind a confirm dialog.
import { FormEvent, useEffect, useState } from 'react';
import { Actor, api, Connection, SyncCatalog } from '../api';
import { navigate } from '../router';
import { ConfirmDialog } from './ConfirmDialog';
import { ConnectionSettings, NameField, NamespaceFields, problemsFinder, ScheduleFields, settingsBody, settingsOf } from './ConnectionFields';
import { ErrorBox } from './ErrorBox';
import { initialRow, mergeDiscovered, rowsToCatalog, StreamRow, StreamsTable } from './StreamsTable';
import './StreamsTable.css';

export function ConnectionSettingsForm({ connection, destination, onSaved }: {
  connection: Connection;
  destination?: Actor;
  onSaved: (c: Connection) => void;
}) {
  const [settings, setSettings] = useState<ConnectionSettings>(() => settingsOf(connection));
  const [rows, setRows] = useState<StreamRow[] | null>(null);
  const [destinationModes, setDestinationModes] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState<'' | 'save' | 'refresh' | 'delete'>('');
  const [confirming, setConfirming] = useState(false);
  const [policy, setPolicy] = useState(connection.nonBreakingChangesPreference ?? 'ignore');
  const [notifySchema, setNotifySchema] = useState(connection.notifySchemaChanges ?? false);

  // The stored streams, with the destination's modes (what the selects may offer).
  useEffect(() => {
    if (!destination) return;
    let cancelled = false;
    api<{ supportedDestinationSyncModes?: string[] }>('destination_definition_specifications/get', {
      destinationDefinitionId: destination.destinationDefinitionId,
    })
      .then((spec) => {
        if (cancelled) return;
        const modes = spec.supportedDestinationSyncModes ?? ['overwrite', 'append'];
        setDestinationModes(modes);
        setRows((connection.syncCatalog?.streams ?? []).map((s) => initialRow(s.stream, s.config, modes)));
      })
      .catch((e) => !cancelled && setError(e));
    return () => {
      cancelled = true;
    };
    // Loaded once per connection (not on every poll of the page): the user's edits stay.
  }, [connection.connectionId, destination?.destinationDefinitionId]);

  const problems = problemsFinder(error);
  const fieldProps = { idPrefix: 'settings', value: settings, onChange: (c: Partial<ConnectionSettings>) => setSettings((s) => ({ ...s, ...c })), problems };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    setNotice('');
    try {
      const updated = await api<Connection>('connections/update', {
        connectionId: connection.connectionId,
        ...settingsBody(settings),
        nonBreakingChangesPreference: policy,
        notifySchemaChanges: notifySchema,
        ...(rows ? { syncCatalog: rowsToCatalog(rows) } : {}),
      });
      setSettings(settingsOf(updated));
      if (rows) setRows((updated.syncCatalog?.streams ?? []).map((s) => initialRow(s.stream, s.config, destinationModes)));
      setNotice('Settings saved.');
      onSaved(updated);
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };

  const refreshSchema = async () => {
    if (!rows) return;
    setBusy('refresh');
    setError(null);
    setNotice('');
    try {
      const r = await api<{ catalog?: SyncCatalog; message?: string }>('sources/discover_schema', { sourceId: connection.sourceId, disable_cache: true });
      if (!r.catalog) throw new Error(`Discovering the source failed: ${r.message ?? 'no reason given'}`);
      const merged = mergeDiscovered(rows, r.catalog, destinationModes);
      setRows(merged.rows);
      const parts = [];
      if (merged.added.length) parts.push(`new, not selected: ${merged.added.join(', ')}`);
      if (merged.removed.length) parts.push(`gone: ${merged.removed.join(', ')}`);
      setNotice(`Source schema refreshed${parts.length ? ` (${parts.join('; ')})` : ': no stream added or removed'}. Save to keep it.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };

  const remove = async () => {
    setBusy('delete');
    try {
      await api('connections/delete', { connectionId: connection.connectionId });
      setConfirming(false);
      navigate('/connections');
    } catch (err) {
      setConfirming(false);
      setError(err);
      setBusy('');
    }
  };

  const selectedCount = rows?.filter((r) => r.selected).length ?? 0;
  return (
    <form className="card form wide" onSubmit={save} aria-label="Connection settings">
      <NameField {...fieldProps} />
      <ScheduleFields {...fieldProps} />
      <NamespaceFields {...fieldProps} />
      <fieldset className="group">
        <legend>When the source schema changes</legend>
        <div className="field">
          <label htmlFor="settings-schema-policy">Non-breaking changes</label>
          <select id="settings-schema-policy" value={policy} onChange={(e) => setPolicy(e.target.value)}
            aria-describedby="settings-schema-policy-help">
            <option value="ignore">Ignore: keep syncing the saved streams, let me review</option>
            <option value="disable">Disable the connection</option>
            <option value="propagate_columns">Propagate column changes only</option>
            <option value="propagate_fully">Propagate all changes (columns and streams)</option>
          </select>
          <p className="help" id="settings-schema-policy-help">
            Checked before every sync. A breaking change (a cursor or primary-key column removed, a type that cannot widen) always disables the connection.
          </p>
        </div>
        <div className="field checkbox">
          <input id="settings-schema-notify" type="checkbox" checked={notifySchema} onChange={(e) => setNotifySchema(e.target.checked)} />
          <label htmlFor="settings-schema-notify">Notify me about schema changes</label>
        </div>
      </fieldset>
      <fieldset className="group">
        <legend>Streams</legend>
        {rows === null ? (
          !error && <p className="loading">Loading the streams…</p>
        ) : (
          <>
            <div className="page-head">
              <p className="help">
                {selectedCount} of {rows.length} streams selected. The destination supports: {destinationModes.join(', ')}.
              </p>
              <button type="button" className="secondary small" onClick={refreshSchema} disabled={busy !== ''}>
                {busy === 'refresh' ? 'Discovering…' : 'Refresh source schema'}
              </button>
            </div>
            <StreamsTable rows={rows} destinationModes={destinationModes} onChange={setRows} label="Streams of the connection"
              errorsFor={(i) => problems([`syncCatalog.streams[${i}]`])} />
          </>
        )}
      </fieldset>
      <ErrorBox error={error} />
      <p className="notice" role="status" aria-live="polite">
        {notice}
      </p>
      <div className="actions split">
        <button type="submit" disabled={busy !== '' || (rows !== null && selectedCount === 0)}>
          {busy === 'save' ? 'Saving…' : 'Save the settings'}
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(true)} disabled={busy !== ''}>
          Delete connection
        </button>
      </div>
      <ConfirmDialog open={confirming} title={`Delete ${connection.name}?`} confirmLabel="Delete the connection" busy={busy === 'delete'}
        onConfirm={remove} onCancel={() => setConfirming(false)}>
        <p>
          The connection stops syncing: its schedule ends and a running sync is cancelled. The data already in the destination stays,
          and its job history stays readable through the API. This cannot be undone.
        </p>
      </ConfirmDialog>
    </form>
  );
}
