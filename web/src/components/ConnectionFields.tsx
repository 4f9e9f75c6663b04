// The connection's own fields, shared by the wizard and the connection's settings: namespace
// definition and format, stream prefix, schedule (manual, every N hours, cron) and name, with the
// server's 422 problems shown under the field they name. Ids are `${idPrefix}-…` (the wizard's
// are wizard-namespace, wizard-cron, …).
import { ApiError, Connection } from '../api';

export interface ConnectionSettings {
  name: string;
  namespaceDefinition: 'source' | 'destination' | 'customformat';
  namespaceFormat: string;
  prefix: string;
  scheduleType: 'manual' | 'basic' | 'cron' | 'continuous';
  units: string;
  timeUnit: string;
  cronExpression: string;
  cronTimeZone: string;
}

const TIME_ZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
})();

export const DEFAULT_SETTINGS: ConnectionSettings = {
  name: '',
  namespaceDefinition: 'source',
  namespaceFormat: '${SOURCE_NAMESPACE}',
  prefix: '',
  scheduleType: 'manual',
  units: '24',
  timeUnit: 'hours',
  cronExpression: '0 0 * * *',
  cronTimeZone: TIME_ZONE,
};

export function settingsOf(c: Connection): ConnectionSettings {
  const basic = c.scheduleData?.basicSchedule;
  const cron = c.scheduleData?.cron;
  return {
    name: c.name,
    namespaceDefinition: c.namespaceDefinition ?? 'source',
    namespaceFormat: c.namespaceFormat ?? DEFAULT_SETTINGS.namespaceFormat,
    prefix: c.prefix ?? '',
    scheduleType: c.scheduleType,
    units: basic ? String(basic.units) : DEFAULT_SETTINGS.units,
    timeUnit: basic?.timeUnit ?? 'hours',
    cronExpression: cron?.cronExpression ?? DEFAULT_SETTINGS.cronExpression,
    cronTimeZone: cron?.cronTimeZone ?? TIME_ZONE,
  };
}

/** The fields of a connections/create or connections/update body. */
export function settingsBody(s: ConnectionSettings): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: s.name,
    namespaceDefinition: s.namespaceDefinition,
    prefix: s.prefix,
    scheduleType: s.scheduleType,
  };
  if (s.namespaceDefinition === 'customformat') body.namespaceFormat = s.namespaceFormat;
  if (s.scheduleType === 'basic') body.scheduleData = { basicSchedule: { units: Number(s.units), timeUnit: s.timeUnit } };
  if (s.scheduleType === 'cron') body.scheduleData = { cron: { cronExpression: s.cronExpression, cronTimeZone: s.cronTimeZone } };
  return body;
}

export type Problem = { field: string; message: string };

/**
 * The problems of a field: the 422 details naming it (or what is under it), or naming one of
 * `parents` exactly (the server may name the enclosing object, e.g. `scheduleData.cron`).
 */
export function problemsFinder(error: unknown) {
  const details: Problem[] = error instanceof ApiError ? error.details : [];
  return (prefixes: string[], parents: string[] = []): Problem[] =>
    details.filter(({ field: f }) => parents.includes(f) || prefixes.some((p) => f === p || f.startsWith(`${p}.`) || f.startsWith(`${p}[`)));
}

type Finder = ReturnType<typeof problemsFinder>;

function FieldError({ id, problems }: { id: string; problems: Problem[] }) {
  return problems.length ? (
    <p className="field-error" id={id}>
      {problems.map((x) => x.message).join('; ')}
    </p>
  ) : null;
}

interface Props {
  idPrefix: string;
  value: ConnectionSettings;
  onChange: (change: Partial<ConnectionSettings>) => void;
  problems: Finder;
}

export function NamespaceFields({ idPrefix: p, value: s, onChange, problems }: Props) {
  return (
    <fieldset className="group">
      <legend>Destination namespace and stream prefix</legend>
      <div className="two-columns">
        <div className="field">
          <label htmlFor={`${p}-namespace`}>Destination namespace</label>
          <select id={`${p}-namespace`} value={s.namespaceDefinition}
            onChange={(e) => onChange({ namespaceDefinition: e.target.value as ConnectionSettings['namespaceDefinition'] })}>
            <option value="source">Mirror the source's namespace</option>
            <option value="destination">The destination's default</option>
            <option value="customformat">Custom format</option>
          </select>
          <FieldError id={`${p}-namespace-error`} problems={problems(['namespaceDefinition'])} />
        </div>
        {s.namespaceDefinition === 'customformat' && (
          <div className="field">
            <label htmlFor={`${p}-namespace-format`}>Namespace format</label>
            <input id={`${p}-namespace-format`} type="text" value={s.namespaceFormat} aria-describedby={`${p}-namespace-format-help`}
              aria-invalid={problems(['namespaceFormat']).length > 0 || undefined}
              onChange={(e) => onChange({ namespaceFormat: e.target.value })} />
            <p className="help" id={`${p}-namespace-format-help`}>
              e.g. <code>production_${'{SOURCE_NAMESPACE}'}</code>
            </p>
            <FieldError id={`${p}-namespace-format-error`} problems={problems(['namespaceFormat'])} />
          </div>
        )}
      </div>
      <div className="field">
        <label htmlFor={`${p}-prefix`}>
          Stream prefix <span className="optional">(optional)</span>
        </label>
        <input id={`${p}-prefix`} type="text" value={s.prefix} placeholder="e.g. faker_" aria-describedby={`${p}-prefix-help`}
          onChange={(e) => onChange({ prefix: e.target.value })} />
        <p className="help" id={`${p}-prefix-help`}>
          Put before each stream's name in the destination.
        </p>
        <FieldError id={`${p}-prefix-error`} problems={problems(['prefix'])} />
      </div>
    </fieldset>
  );
}

const CRON_PARENTS = ['scheduleData', 'scheduleData.cron'];

export function ScheduleFields({ idPrefix: p, value: s, onChange, problems }: Props) {
  const cronProblems = problems(['scheduleData.cron.cronExpression'], CRON_PARENTS);
  const basicProblems = problems(['scheduleData.basicSchedule'], ['scheduleData']);
  return (
    <fieldset className="group">
      <legend>Schedule</legend>
      <div className="two-columns">
        <div className="field">
          <label htmlFor={`${p}-schedule`}>Schedule type</label>
          <select id={`${p}-schedule`} value={s.scheduleType}
            onChange={(e) => onChange({ scheduleType: e.target.value as ConnectionSettings['scheduleType'] })}>
            <option value="manual">Manual</option>
            <option value="basic">Every N hours</option>
            <option value="cron">Cron</option>
            <option value="continuous">Continuous (CDC)</option>
          </select>
          <FieldError id={`${p}-schedule-error`} problems={problems(['scheduleType', 'schedule'], s.scheduleType === 'manual' || s.scheduleType === 'continuous' ? ['scheduleData'] : [])} />
        </div>
        {s.scheduleType === 'basic' && (
          <div className="field">
            <label htmlFor={`${p}-hours`}>{s.timeUnit === 'hours' ? 'Every how many hours' : `Every how many ${s.timeUnit}`}</label>
            <input id={`${p}-hours`} type="number" min={1} max={8760} value={s.units} aria-invalid={basicProblems.length > 0 || undefined}
              onChange={(e) => onChange({ units: e.target.value })} />
            {s.timeUnit !== 'hours' && (
              <p className="help">
                Stored in {s.timeUnit};{' '}
                <button type="button" className="small secondary" onClick={() => onChange({ timeUnit: 'hours' })}>
                  count in hours
                </button>
              </p>
            )}
            <FieldError id={`${p}-hours-error`} problems={basicProblems} />
          </div>
        )}
        {s.scheduleType === 'continuous' && (
          <p className="help">
            One sync kept running: changes arrive within seconds. Needs a source that reads a change log
            (PostgreSQL with replication method Logical Replication (CDC)).
          </p>
        )}
      </div>
      {s.scheduleType === 'cron' && (
        <div className="two-columns">
          <div className="field">
            <label htmlFor={`${p}-cron`}>Cron expression</label>
            <input id={`${p}-cron`} type="text" value={s.cronExpression}
              aria-describedby={cronProblems.length ? `${p}-cron-help ${p}-cron-error` : `${p}-cron-help`}
              aria-invalid={cronProblems.length > 0 || undefined} onChange={(e) => onChange({ cronExpression: e.target.value })} />
            <p className="help" id={`${p}-cron-help`}>
              5-field Unix (<code>0 */6 * * *</code>) or Quartz (<code>0 0 12 * * ?</code>).
            </p>
            <FieldError id={`${p}-cron-error`} problems={cronProblems} />
          </div>
          <div className="field">
            <label htmlFor={`${p}-timezone`}>Time zone</label>
            <input id={`${p}-timezone`} type="text" value={s.cronTimeZone} onChange={(e) => onChange({ cronTimeZone: e.target.value })} />
            <FieldError id={`${p}-timezone-error`} problems={problems(['scheduleData.cron.cronTimeZone'])} />
          </div>
        </div>
      )}
    </fieldset>
  );
}

export function NameField({ idPrefix: p, value: s, onChange, problems }: Props) {
  const nameProblems = problems(['name']);
  return (
    <div className="field">
      <label htmlFor={`${p}-name`}>
        Connection name<span className="required" aria-hidden="true"> *</span>
      </label>
      <input id={`${p}-name`} type="text" required value={s.name} aria-invalid={nameProblems.length > 0 || undefined}
        aria-describedby={nameProblems.length ? `${p}-name-error` : undefined} onChange={(e) => onChange({ name: e.target.value })} />
      <FieldError id={`${p}-name-error`} problems={nameProblems} />
    </div>
  );
}
