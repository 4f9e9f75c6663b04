// A form generated from a connector's JSON-Schema spec (connectionSpecification): required
// fields, enums as selects, oneOf groups (a select of the options, then the chosen option's
// fields), airbyte_secret as password inputs, defaults, descriptions, `order`.
import { createContext, useContext, useId } from 'react';

/** What the API answers in place of a stored secret; sent back unchanged, it keeps the secret. */
export const SECRET_MASK = '**********';

// Editing a stored config: a masked secret field says that leaving it keeps the saved value.
const KeepMaskedSecrets = createContext(false);

export type Schema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  oneOf?: Schema[];
  items?: Schema;
  airbyte_secret?: boolean;
  order?: number;
  examples?: unknown[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  multiline?: boolean;
};

type Json = any;

export function typeOf(schema: Schema): string {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? 'string';
  if (schema.type) return schema.type;
  if (schema.properties || schema.oneOf) return 'object';
  if (schema.enum) return typeof schema.enum[0] === 'number' ? 'number' : 'string';
  return 'string';
}

/** The fixed value an option of a oneOf is recognised by: a property with `const` or one enum value. */
function discriminator(option: Schema): [string, unknown] | null {
  for (const [key, prop] of Object.entries(option.properties ?? {})) {
    if (prop.const !== undefined) return [key, prop.const];
    if (prop.enum && prop.enum.length === 1) return [key, prop.enum[0]];
  }
  return null;
}

function chosenOption(schema: Schema, value: Json): number {
  const options = schema.oneOf ?? [];
  if (value && typeof value === 'object') {
    const found = options.findIndex((o) => {
      const d = discriminator(o);
      return d !== null && value[d[0]] === d[1];
    });
    if (found >= 0) return found;
  }
  return 0;
}

/** The initial value of a schema: its defaults (and the first oneOf option's), recursively. */
export function initialValue(schema: Schema): Json {
  const type = typeOf(schema);
  if (type === 'object') {
    if (schema.oneOf?.length) {
      const option = schema.oneOf[chosenOption(schema, schema.default)];
      return { ...initialValue(option), ...(typeof schema.default === 'object' ? schema.default : {}) };
    }
    const out: Record<string, Json> = {};
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      const v = initialValue(prop);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length === 1) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  return undefined;
}

/** A stored config with the schema's defaults filled in where it has no value (for editing). */
export function withDefaults(schema: Schema, value: Json): Json {
  if (value === undefined || value === null) return initialValue(schema);
  if (typeOf(schema) !== 'object' || typeof value !== 'object' || Array.isArray(value)) return value;
  const shape = schema.oneOf?.length ? schema.oneOf[chosenOption(schema, value)] : schema;
  if (!shape.properties) return value;
  const out: Record<string, Json> = { ...value };
  for (const [key, prop] of Object.entries(shape.properties)) {
    const v = withDefaults(prop, value[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function sortedProperties(schema: Schema): [string, Schema][] {
  return Object.entries(schema.properties ?? {})
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry[1].order ?? 1e6 + a.index) - (b.entry[1].order ?? 1e6 + b.index))
    .map((x) => x.entry);
}

/** The value to send: empty optional fields left out, numbers parsed, array text split. */
export function cleanValue(schema: Schema, value: Json): Json {
  const type = typeOf(schema);
  if (type === 'object') {
    if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const props = schema.oneOf?.length ? schema.oneOf[chosenOption(schema, value)].properties ?? {} : schema.properties;
    if (!props) return value; // free-form object
    const out: Record<string, Json> = {};
    for (const [key, v] of Object.entries(value)) {
      const prop = props[key];
      if (!prop) continue; // a field of another oneOf option
      const cleaned = cleanValue(prop, v);
      if (cleaned === undefined || cleaned === '') continue;
      out[key] = cleaned;
    }
    return out;
  }
  if ((type === 'integer' || type === 'number') && typeof value === 'string') {
    if (value.trim() === '') return undefined;
    const n = Number(value);
    return Number.isNaN(n) ? value : n;
  }
  return value;
}

interface FieldProps {
  name: string;
  schema: Schema;
  value: Json;
  required: boolean;
  onChange: (value: Json) => void;
  path: string;
  errors: Record<string, string>;
}

/** `keepMaskedSecrets`: the value is a stored config whose secrets came masked (editing). */
export function SpecForm({ schema, value, onChange, errors, keepMaskedSecrets = false }: {
  schema: Schema;
  value: Json;
  onChange: (value: Json) => void;
  errors: Record<string, string>;
  keepMaskedSecrets?: boolean;
}) {
  return (
    <div className="spec-form">
      <KeepMaskedSecrets.Provider value={keepMaskedSecrets}>
        <ObjectFields schema={schema} value={value ?? {}} onChange={onChange} path="connectionConfiguration" errors={errors} />
      </KeepMaskedSecrets.Provider>
    </div>
  );
}

function ObjectFields({ schema, value, onChange, path, errors }: {
  schema: Schema;
  value: Record<string, Json>;
  onChange: (value: Json) => void;
  path: string;
  errors: Record<string, string>;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {sortedProperties(schema).map(([key, prop]) => {
        if (prop.const !== undefined) return null; // a oneOf discriminator: set by the option select
        return (
          <Field
            key={key}
            name={key}
            schema={prop}
            value={value[key]}
            required={required.has(key)}
            path={`${path}.${key}`}
            errors={errors}
            onChange={(v) => onChange({ ...value, [key]: v })}
          />
        );
      })}
    </>
  );
}

function Label({ id, schema, name, required }: { id: string; schema: Schema; name: string; required: boolean }) {
  return (
    <label htmlFor={id}>
      {schema.title ?? name}
      {required ? (
        <span className="required" aria-hidden="true">
          {' '}
          *
        </span>
      ) : (
        <span className="optional"> (optional)</span>
      )}
    </label>
  );
}

function Field({ name, schema, value, required, onChange, path, errors }: FieldProps) {
  const id = useId();
  const type = typeOf(schema);
  const error = errors[path];
  const masked = useContext(KeepMaskedSecrets) && !!schema.airbyte_secret && value === SECRET_MASK;
  const describedBy = [schema.description ? `${id}-desc` : '', masked ? `${id}-kept` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  const help = (
    <>
      {schema.description && (
        <p className="help" id={`${id}-desc`}>
          {schema.description}
        </p>
      )}
      {masked && (
        <p className="help" id={`${id}-kept`}>
          A value is saved (not shown). Leave the field as it is to keep it, or type a new one.
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-err`}>
          {error}
        </p>
      )}
    </>
  );

  if (type === 'object' && schema.oneOf?.length) {
    const options = schema.oneOf;
    const index = chosenOption(schema, value);
    const option = options[index];
    const current = value && typeof value === 'object' ? value : initialValue(option);
    return (
      <fieldset className="group" data-field={path}>
        <legend>{schema.title ?? name}</legend>
        {schema.description && (
          <p className="help" id={`${id}-desc`}>
            {schema.description}
          </p>
        )}
        <div className="field">
          <label htmlFor={id}>{(schema.title ?? name) + ': option'}</label>
          <select id={id} value={index} aria-describedby={schema.description ? `${id}-desc` : undefined}
            onChange={(e) => onChange(initialValue(options[Number(e.target.value)]))}>
            {options.map((o, i) => (
              <option key={i} value={i}>
                {o.title ?? String(discriminator(o)?.[1] ?? `Option ${i + 1}`)}
              </option>
            ))}
          </select>
          {option.description && <p className="help">{option.description}</p>}
        </div>
        <ObjectFields schema={option} value={current} onChange={onChange} path={path} errors={errors} />
      </fieldset>
    );
  }

  if (type === 'object') {
    if (schema.properties) {
      return (
        <fieldset className="group" data-field={path}>
          <legend>{schema.title ?? name}</legend>
          {schema.description && <p className="help">{schema.description}</p>}
          <ObjectFields schema={schema} value={value ?? {}} onChange={onChange} path={path} errors={errors} />
        </fieldset>
      );
    }
    return <JsonField id={id} name={name} schema={schema} value={value} required={required} onChange={onChange} help={help} describedBy={describedBy} path={path} />;
  }

  if (type === 'boolean') {
    return (
      <div className="field checkbox" data-field={path}>
        <input id={id} type="checkbox" checked={!!value} aria-describedby={describedBy} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={id}>{schema.title ?? name}</label>
        {help}
      </div>
    );
  }

  if (schema.enum && schema.enum.length > 0) {
    return (
      <div className="field" data-field={path}>
        <Label id={id} schema={schema} name={name} required={required} />
        <select id={id} required={required} aria-describedby={describedBy} aria-invalid={!!error}
          value={value === undefined ? '' : String(value)}
          onChange={(e) => {
            const picked = schema.enum!.find((v) => String(v) === e.target.value);
            onChange(e.target.value === '' ? undefined : picked);
          }}>
          {(!required || value === undefined) && <option value="">{required ? 'Choose…' : '(none)'}</option>}
          {schema.enum.map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
        {help}
      </div>
    );
  }

  if (type === 'array') {
    // A list of plain values, one per line.
    const text = Array.isArray(value) ? value.join('\n') : '';
    return (
      <div className="field" data-field={path}>
        <Label id={id} schema={schema} name={name} required={required} />
        <textarea id={id} rows={3} required={required} aria-describedby={describedBy} aria-invalid={!!error} value={text}
          placeholder="one value per line"
          onChange={(e) => {
            const items = e.target.value.split('\n').map((s) => s.trim()).filter(Boolean);
            const itemType = schema.items ? typeOf(schema.items) : 'string';
            onChange(items.length === 0 ? undefined : itemType === 'integer' || itemType === 'number' ? items.map(Number) : items);
          }} />
        {help}
      </div>
    );
  }

  const numeric = type === 'integer' || type === 'number';
  const secret = !!schema.airbyte_secret;
  const example = schema.examples?.length ? String(schema.examples[0]) : undefined;
  const common = {
    id,
    required,
    'aria-describedby': describedBy,
    'aria-invalid': !!error,
    value: value === undefined || value === null ? '' : String(value),
    placeholder: example,
  };
  return (
    <div className="field" data-field={path}>
      <Label id={id} schema={schema} name={name} required={required} />
      {schema.multiline && !secret ? (
        <textarea {...common} rows={4} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} />
      ) : (
        <input
          {...common}
          type={secret ? 'password' : numeric ? 'number' : 'text'}
          autoComplete={secret ? 'new-password' : 'off'}
          onFocus={masked ? (e) => e.currentTarget.select() : undefined}
          step={type === 'integer' ? 1 : numeric ? 'any' : undefined}
          min={schema.minimum}
          max={schema.maximum}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
        />
      )}
      {help}
    </div>
  );
}

function JsonField({ id, name, schema, value, required, onChange, help, describedBy, path }: {
  id: string; name: string; schema: Schema; value: Json; required: boolean; onChange: (v: Json) => void;
  help: React.ReactNode; describedBy?: string; path: string;
}) {
  return (
    <div className="field" data-field={path}>
      <Label id={id} schema={schema} name={name} required={required} />
      <textarea id={id} rows={4} className="mono" aria-describedby={describedBy}
        defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
        placeholder="JSON object"
        onChange={(e) => {
          try {
            onChange(e.target.value.trim() === '' ? undefined : JSON.parse(e.target.value));
          } catch {
            /* kept until it parses */
          }
        }} />
      {help}
    </div>
  );
}
