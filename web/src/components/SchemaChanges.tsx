// Pending schema changes of a connection (Airbyte's schemaChange / catalogDiff): a banner with
// counts (breaking in red, as an alert) and a review dialog that discovers the source again
// (web_backend/connections/get withRefreshedCatalog), lists the changes per stream and saves the
// refreshed catalog with connections/update ("Accept"), which clears the pending change.
// The dialog is a native modal <dialog>: focus moves in, Tab stays inside, Escape closes, focus
// returns to the "Review changes" button.
import { useEffect, useId, useRef, useState } from 'react';
import { api, CatalogDiff, FieldTransform, StreamTransform, SyncCatalog } from '../api';
import { ErrorBox } from './ErrorBox';
import './StreamsTable.css';

export interface DiffCounts {
  streamsAdded: number;
  streamsRemoved: number;
  fieldsAdded: number;
  fieldsRemoved: number;
  fieldsChanged: number;
  breaking: number;
}

export function countDiff(diff: CatalogDiff | undefined): DiffCounts {
  const n: DiffCounts = { streamsAdded: 0, streamsRemoved: 0, fieldsAdded: 0, fieldsRemoved: 0, fieldsChanged: 0, breaking: 0 };
  for (const t of diff?.transforms ?? []) {
    if (t.transformType === 'add_stream') n.streamsAdded++;
    if (t.transformType === 'remove_stream') n.streamsRemoved++;
    for (const f of t.updateStream?.fieldTransforms ?? []) {
      if (f.transformType === 'add_field') n.fieldsAdded++;
      if (f.transformType === 'remove_field') n.fieldsRemoved++;
      if (f.transformType === 'update_field_schema') n.fieldsChanged++;
      if (f.breaking) n.breaking++;
    }
  }
  return n;
}

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

export function countsText(n: DiffCounts): string {
  const parts: string[] = [];
  if (n.streamsAdded) parts.push(plural(n.streamsAdded, 'stream added', 'streams added'));
  if (n.streamsRemoved) parts.push(plural(n.streamsRemoved, 'stream removed', 'streams removed'));
  if (n.fieldsAdded) parts.push(plural(n.fieldsAdded, 'field added', 'fields added'));
  if (n.fieldsRemoved) parts.push(plural(n.fieldsRemoved, 'field removed', 'fields removed'));
  if (n.fieldsChanged) parts.push(plural(n.fieldsChanged, 'field changed type', 'fields changed type'));
  return parts.join(', ');
}

function streamName(t: StreamTransform) {
  const d = t.streamDescriptor;
  return d.namespace ? `${d.namespace}.${d.name}` : d.name;
}

function typeOf(schema: any): string {
  if (!schema || typeof schema !== 'object') return 'any';
  const t = Array.isArray(schema.type) ? schema.type.filter((x: string) => x !== 'null') : [schema.type];
  const base = t.length === 1 && t[0] ? String(t[0]) : 'json';
  const detail = schema.airbyte_type ?? schema.format;
  return detail ? `${base} (${detail})` : base;
}

function fieldLine(f: FieldTransform): string {
  const name = f.fieldName.join('.');
  if (f.transformType === 'add_field') return `${name}: added (${typeOf(f.addField?.schema)})`;
  if (f.transformType === 'remove_field') return `${name}: removed`;
  return `${name}: ${typeOf(f.updateFieldSchema?.oldSchema)} → ${typeOf(f.updateFieldSchema?.newSchema)}`;
}

/** The banner shown on a connection page while a schema change is pending. */
export function SchemaChangeBanner({ schemaChange, diff, status, mayEdit, onReview }: {
  schemaChange: string;
  diff?: CatalogDiff;
  status: string;
  mayEdit: boolean;
  onReview: () => void;
}) {
  if (schemaChange !== 'breaking' && schemaChange !== 'non_breaking') return null;
  const breaking = schemaChange === 'breaking';
  const counts = countDiff(diff);
  const text = countsText(counts);
  return (
    <div className={breaking ? 'error schema-banner' : 'warning schema-banner'} role={breaking ? 'alert' : 'status'} data-schema-change={schemaChange}>
      <p>
        <strong>{breaking ? 'Breaking schema change' : 'Schema changes'} in the source</strong>
        {text && <>: {text}</>}
        {breaking && counts.breaking > 0 && <> ({plural(counts.breaking, 'breaking change', 'breaking changes')})</>}.{' '}
        {breaking || status === 'inactive'
          ? 'Syncs are disabled until the changes are reviewed.'
          : 'Syncs keep running with the saved streams until you review them.'}
      </p>
      {mayEdit && (
        <button type="button" className={breaking ? 'small danger' : 'small'} onClick={onReview}>
          Review changes
        </button>
      )}
    </div>
  );
}

/** The review dialog: the fresh diff per stream, "Accept" saves the refreshed catalog. */
export function SchemaReviewDialog({ connectionId, open, onClose, onAccepted }: {
  connectionId: string;
  open: boolean;
  onClose: () => void;
  onAccepted: (message: string) => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const [loaded, setLoaded] = useState<{ diff: CatalogDiff; catalog: SyncCatalog; status: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !open || dialog.open) return undefined;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    cancelRef.current?.focus();
    setLoaded(null);
    setError(null);
    api<{ catalogDiff: CatalogDiff; syncCatalog: SyncCatalog; status: string }>('web_backend/connections/get', {
      connectionId,
      withRefreshedCatalog: true,
    })
      .then((r) => setLoaded({ diff: r.catalogDiff, catalog: r.syncCatalog, status: r.status }))
      .catch(setError);
    return () => {
      if (dialog.open) dialog.close();
      if (opener && document.contains(opener)) opener.focus();
    };
  }, [open, connectionId]);

  const accept = async () => {
    if (!loaded) return;
    setBusy(true);
    setError(null);
    try {
      await api('connections/update', { connectionId, syncCatalog: loaded.catalog });
      onAccepted(
        loaded.status === 'inactive'
          ? 'Schema changes accepted. The connection is still disabled: enable it to sync again.'
          : 'Schema changes accepted.',
      );
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const transforms = loaded?.diff.transforms ?? [];
  return (
    <dialog ref={ref} className="confirm schema-review" aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onClose();
      }}>
      {open && (
        <>
          <h2 id={titleId}>Review schema changes</h2>
          <ErrorBox error={error} />
          {!loaded && !error && <p className="loading">Discovering the source…</p>}
          {loaded && transforms.length === 0 && <p>The source matches the connection's streams: nothing to review.</p>}
          {loaded && transforms.length > 0 && (
            <>
              <p>{countsText(countDiff(loaded.diff))}. Accepting saves the streams with the source's current schema.</p>
              <ul className="schema-diff" aria-label="Changes by stream">
                {transforms.map((t) => (
                  <li key={t.transformType + streamName(t)} data-stream={streamName(t)}>
                    <strong>{streamName(t)}</strong>
                    {t.transformType === 'add_stream' && ': new stream (added unselected: select it in Settings to sync it)'}
                    {t.transformType === 'remove_stream' && ': removed from the source (removed from the connection)'}
                    {t.transformType === 'update_stream' && (
                      <ul>
                        {(t.updateStream?.fieldTransforms ?? []).map((f) => (
                          <li key={f.transformType + f.fieldName.join('.')} className={f.breaking ? 'breaking' : undefined}>
                            {fieldLine(f)}
                            {f.breaking && <strong className="field-error"> — breaking</strong>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
          <div className="actions">
            <button type="button" className="secondary" ref={cancelRef} onClick={onClose} disabled={busy}>
              Cancel
            </button>
            <button type="button" onClick={accept} disabled={busy || !loaded}>
              {busy ? 'Saving…' : 'Accept'}
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
