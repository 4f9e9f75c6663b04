// The streams table of a connection, shared by the wizard and the connection's settings: per
// stream, whether it is synced, its sync mode in Airbyte's words, its cursor field and its
// primary key (several fields, in order). What the source defines itself (sourceDefinedCursor,
// sourceDefinedPrimaryKey) is shown read-only.
//
// Cursor and key fields are the stream's top-level properties: the platform stores any path
// (cursorField ["payload","updated_at"]), but source-postgres (the one source with a user-chosen
// cursor) and destination-postgres refuse nested fields, so none is offered. A nested path
// already stored (through the API) is shown and kept.
import { AirbyteStream, StreamConfig, SyncCatalog } from '../api';
import { SYNC_MODES } from '../format';
import './StreamsTable.css';

export type FieldPath = string[];

/** One row of the streams table: the stream and what the user chose. */
export interface StreamRow {
  stream: AirbyteStream;
  selected: boolean;
  mode: string; // a SYNC_MODES value, e.g. "incremental:append"
  cursor: FieldPath; // [] = none chosen
  primaryKey: FieldPath[]; // user-chosen key fields, in order
  aliasName?: string;
}

export function pathText(path: FieldPath): string {
  return path.join('.');
}

const pathKey = (path: FieldPath) => JSON.stringify(path);

/** Whether a property's values can be compared: a scalar type, not an object, an array or any
 *  JSON value (`{}`, e.g. a jsonb column). */
function comparable(schema: any): boolean {
  const branches = schema?.anyOf ?? schema?.oneOf;
  if (Array.isArray(branches) && branches.length) return branches.filter((b) => b?.type !== 'null').every(comparable);
  const types = ([] as string[]).concat(schema?.type ?? []).filter((t) => t !== 'null');
  return types.length > 0 && !types.includes('object') && !types.includes('array');
}

/** The fields a cursor or key may name: the stream's top-level comparable properties, plus `keep`. */
export function fieldPaths(stream: AirbyteStream, keep: FieldPath[] = []): FieldPath[] {
  const properties: Record<string, unknown> = stream.jsonSchema?.properties ?? {};
  const out = Object.keys(properties)
    .filter((p) => comparable(properties[p]))
    .map((p) => [p]);
  for (const k of keep) if (k.length && !out.some((p) => pathKey(p) === pathKey(k))) out.push(k);
  return out;
}

/** The modes a stream offers with this destination, in Airbyte's order. */
export function modesFor(stream: AirbyteStream, destinationModes: string[]) {
  const source = stream.supportedSyncModes?.length ? stream.supportedSyncModes : ['full_refresh'];
  return SYNC_MODES.filter((m) => source.includes(m.syncMode) && destinationModes.includes(m.destinationSyncMode));
}

const sourceCursor = (s: AirbyteStream) => (s.sourceDefinedCursor && s.defaultCursorField?.length ? s.defaultCursorField : null);
const sourceKey = (s: AirbyteStream) => (s.sourceDefinedPrimaryKey?.length ? s.sourceDefinedPrimaryKey : null);

/** A row from a discovered or stored stream; `config` is the stored choice, if any. */
export function initialRow(stream: AirbyteStream, config: StreamConfig | undefined, destinationModes: string[], selected?: boolean): StreamRow {
  const modes = modesFor(stream, destinationModes);
  const wanted = config ? `${config.syncMode}:${config.destinationSyncMode}` : '';
  const mode = modes.find((m) => m.value === wanted)?.value ?? modes[0]?.value ?? '';
  const cursor = config?.cursorField?.length ? config.cursorField : stream.defaultCursorField?.length ? stream.defaultCursorField : [];
  const primaryKey = config?.primaryKey?.length ? config.primaryKey : stream.sourceDefinedPrimaryKey ?? [];
  return { stream, selected: selected ?? config?.selected ?? true, mode, cursor, primaryKey, aliasName: config?.aliasName };
}

/** The syncCatalog the API takes (Airbyte's forms: cursorField [...], primaryKey [[...], ...]). */
export function rowsToCatalog(rows: StreamRow[]): SyncCatalog {
  return {
    streams: rows.map((r) => {
      const mode = SYNC_MODES.find((m) => m.value === r.mode) ?? SYNC_MODES[0];
      const config: StreamConfig = {
        syncMode: mode.syncMode,
        destinationSyncMode: mode.destinationSyncMode,
        aliasName: r.aliasName ?? r.stream.name,
        selected: r.selected,
      };
      const cursor = sourceCursor(r.stream) ?? r.cursor;
      if (mode.syncMode === 'incremental' && cursor.length) config.cursorField = cursor;
      const key = sourceKey(r.stream) ?? r.primaryKey.filter((p) => p.length);
      if (key.length) config.primaryKey = key;
      return { stream: r.stream, config };
    }),
  };
}

/** Discovered streams merged into the current rows: known streams keep their choices (with the
 *  new schema), new ones come unselected; the names of streams that disappeared are returned. */
export function mergeDiscovered(rows: StreamRow[], discovered: SyncCatalog, destinationModes: string[]): { rows: StreamRow[]; added: string[]; removed: string[] } {
  const id = (s: AirbyteStream) => `${s.namespace ?? ''}\u0000${s.name}`;
  const current = new Map(rows.map((r) => [id(r.stream), r]));
  const added: string[] = [];
  const merged = discovered.streams.map(({ stream, config }) => {
    const old = current.get(id(stream));
    if (!old) {
      added.push(stream.name);
      return initialRow(stream, config, destinationModes, false);
    }
    const row = initialRow(stream, rowsToCatalog([old]).streams[0].config, destinationModes);
    return { ...row, selected: old.selected };
  });
  const seen = new Set(discovered.streams.map((s) => id(s.stream)));
  const removed = rows.filter((r) => !seen.has(id(r.stream))).map((r) => r.stream.name);
  return { rows: merged, added, removed };
}

type FieldErrors = { field: string; message: string }[];

/**
 * The table. `errorsFor(i)` gives the server's problems under syncCatalog.streams[i]; `label`
 * names the table (aria-label).
 */
export function StreamsTable({ rows, destinationModes, onChange, errorsFor, label = 'Streams' }: {
  rows: StreamRow[];
  destinationModes: string[];
  onChange: (rows: StreamRow[]) => void;
  errorsFor: (index: number) => FieldErrors;
  label?: string;
}) {
  const update = (i: number, change: Partial<StreamRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <div className="table-wrap">
      <table className="list streams" aria-label={label}>
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
          {rows.map((r, i) => (
            <StreamLine key={`${r.stream.namespace ?? ''}.${r.stream.name}`} row={r} index={i} destinationModes={destinationModes}
              errors={errorsFor(i)} onChange={(change) => update(i, change)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StreamLine({ row: r, index: i, destinationModes, errors, onChange }: {
  row: StreamRow;
  index: number;
  destinationModes: string[];
  errors: FieldErrors;
  onChange: (change: Partial<StreamRow>) => void;
}) {
  const n = r.stream.name;
  const modes = modesFor(r.stream, destinationModes);
  const incremental = r.mode.startsWith('incremental:');
  const dedup = r.mode.endsWith(':append_dedup');
  const definedCursor = sourceCursor(r.stream);
  const definedKey = sourceKey(r.stream);
  const cursorChoices = fieldPaths(r.stream, [r.cursor]);
  const keyChoices = fieldPaths(r.stream, r.primaryKey);
  const cursorInvalid = errors.some((x) => x.field.includes('cursorField')) || undefined;
  const keyInvalid = errors.some((x) => x.field.includes('primaryKey')) || undefined;
  // One select per key field; an empty key shows one select to choose the first field.
  const keyFields = r.primaryKey.length ? r.primaryKey : [[]];
  const setKey = (k: number, path: FieldPath | null) => {
    const next = keyFields.map((p) => p);
    if (path === null) next.splice(k, 1);
    else next[k] = path;
    onChange({ primaryKey: next.filter((p) => p.length) });
  };
  const unusedKey = keyChoices.find((p) => !keyFields.some((k) => pathKey(k) === pathKey(p)));

  return (
    <tr data-stream={n}>
      <td>
        <input type="checkbox" checked={r.selected} aria-label={`Sync ${n}`} onChange={(e) => onChange({ selected: e.target.checked })} />
      </td>
      <th scope="row" className="name">
        {r.stream.namespace ? <span className="muted">{r.stream.namespace}.</span> : null}
        {n}
        {errors.length > 0 && (
          <p className="field-error" data-field-error={errors.map((x) => x.field).join(' ')}>
            {errors.map((x) => `${x.field.replace(`syncCatalog.streams[${i}].`, '')}: ${x.message}`).join('; ')}
          </p>
        )}
      </th>
      <td>
        <select aria-label={`Sync mode: ${n}`} value={r.mode} disabled={!r.selected} onChange={(e) => onChange({ mode: e.target.value })}>
          {modes.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </td>
      <td>
        {!incremental ? (
          <span className="muted">—</span>
        ) : definedCursor ? (
          <span className="source-defined" data-cursor={pathText(definedCursor)}>
            <code>{pathText(definedCursor)}</code> <span className="muted">(source-defined)</span>
          </span>
        ) : (
          <select aria-label={`Cursor field: ${n}`} value={r.cursor.length ? pathKey(r.cursor) : ''} disabled={!r.selected}
            aria-invalid={cursorInvalid} onChange={(e) => onChange({ cursor: e.target.value ? JSON.parse(e.target.value) : [] })}>
            {!r.cursor.length && <option value="">Choose a field…</option>}
            {cursorChoices.map((p) => (
              <option key={pathKey(p)} value={pathKey(p)}>
                {pathText(p)}
              </option>
            ))}
          </select>
        )}
      </td>
      <td>
        {definedKey ? (
          <span className="source-defined" data-primary-key={definedKey.map(pathText).join(',')}>
            <code>{definedKey.map(pathText).join(', ')}</code> <span className="muted">(source-defined)</span>
          </span>
        ) : !dedup ? (
          <span className="muted">{r.primaryKey.length ? r.primaryKey.map(pathText).join(', ') : '—'}</span>
        ) : (
          <ol className="key-fields" aria-label={`Primary key fields of ${n}, in order`}>
            {keyFields.map((path, k) => (
              <li key={k}>
                <span className="key-position" aria-hidden="true">
                  {k + 1}.
                </span>
                <select aria-label={k === 0 ? `Primary key: ${n}` : `Primary key field ${k + 1}: ${n}`}
                  value={path.length ? pathKey(path) : ''} disabled={!r.selected} aria-invalid={keyInvalid}
                  onChange={(e) => setKey(k, e.target.value ? JSON.parse(e.target.value) : [])}>
                  {!path.length && <option value="">Choose a field…</option>}
                  {keyChoices
                    .filter((p) => pathKey(p) === pathKey(path) || !keyFields.some((other) => pathKey(other) === pathKey(p)))
                    .map((p) => (
                      <option key={pathKey(p)} value={pathKey(p)}>
                        {pathText(p)}
                      </option>
                    ))}
                </select>
                {keyFields.length > 1 && (
                  <button type="button" className="small secondary icon" disabled={!r.selected} onClick={() => setKey(k, null)}>
                    <span aria-hidden="true">×</span>
                    <span className="visually-hidden">Remove {pathText(path) || 'this field'} from the primary key of {n}</span>
                  </button>
                )}
              </li>
            ))}
            {unusedKey && keyFields.every((p) => p.length) && (
              <li>
                <button type="button" className="small secondary" disabled={!r.selected}
                  onClick={() => onChange({ primaryKey: [...keyFields, unusedKey] })}>
                  Add a key field<span className="visually-hidden"> to {n}</span>
                </button>
              </li>
            )}
          </ol>
        )}
      </td>
    </tr>
  );
}
