// The dashboard: finished syncs per day (jobs/stats) over 7 to 90 days, for every connection or
// one: totals on top, then records, bytes, durations (median and longest) and outcomes per day.
// Days are cut at the browser's local midnights.
import { useEffect, useState } from 'react';
import { api, Connection } from '../api';
import { BarChart, BarDatum } from '../components/Charts';
import { ErrorBox } from '../components/ErrorBox';
import { Link } from '../components/Link';
import { bytes, count, duration } from '../format';
import './Dashboard.css';

export interface DayFigures {
  date: string;
  recordsCommitted: number;
  bytesCommitted: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  durationSecondsP50: number | null;
  durationSecondsMax: number | null;
}

export interface JobStats {
  days: DayFigures[];
  totals: Omit<DayFigures, 'date'> & { failureRate: number | null; syncs: number };
  timeZone: string;
}

const PERIODS = [7, 14, 30, 90];

const COLORS = {
  records: '#3b4ba8',
  bytes: '#2f7d8c',
  p50: '#3b4ba8',
  max: '#a9b3e6',
  succeeded: '#1e7b34',
  failed: '#b3261e',
};

/** "33.3 %" */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)} %`;
}

function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** "Mon, Nov 30" and "Nov 30" for an ISO date (a calendar day: read in UTC, not shifted). */
function dayLabels(date: string): { label: string; shortLabel: string } {
  const d = new Date(`${date}T00:00:00Z`);
  return {
    label: d.toLocaleDateString('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }),
    shortLabel: d.toLocaleDateString('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' }),
  };
}

/** A duration for the charts: milliseconds below 1 s ("40 ms"), tenths below 10 s ("2.5 s"),
 *  else as elsewhere ("1 min 5 s"). */
export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s > 0 && s < 1) return `${Math.round(s * 1000)} ms`;
  if (s > 0 && s < 10) return `${+s.toFixed(1)} s`;
  return duration(s);
}

/** A compact "1.2k" for axis labels of counts. */
function compact(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(1)}`;
}

/** " The highest is 1,200 on Mon, Nov 30, 2026." (empty when every day is zero) */
function peak(days: DayFigures[], value: (d: DayFigures) => number | null, format: (n: number) => string, what = 'The highest is'): string {
  let best: DayFigures | null = null;
  for (const d of days) if ((value(d) ?? 0) > 0 && (!best || (value(d) ?? 0) > (value(best) ?? 0))) best = d;
  return best ? ` ${what} ${format(value(best) ?? 0)} on ${dayLabels(best.date).label}.` : '';
}

export function DashboardPage() {
  const [days, setDays] = useState(14);
  const [connectionId, setConnectionId] = useState('');
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [stats, setStats] = useState<JobStats | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const timeZone = browserTimeZone();

  useEffect(() => {
    document.title = 'Dashboard · sluice';
    api<{ connections: Connection[] }>('connections/list', { includeSyncCatalog: false })
      .then((r) => setConnections(r.connections))
      .catch(() => setConnections([])); // the filter is optional: the figures still show
  }, []);

  useEffect(() => {
    let live = true;
    setLoading(true);
    const body: Record<string, unknown> = { days, timeZone };
    if (connectionId) body.connectionId = connectionId;
    api<JobStats>('jobs/stats', body)
      .then((s) => {
        if (!live) return;
        setStats(s);
        setError(null);
      })
      .catch((e) => live && setError(e))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [days, connectionId, timeZone]);

  const t = stats?.totals;
  const chartDays = (stats?.days ?? []).map((d) => ({ ...d, ...dayLabels(d.date) }));
  const series = (value: (d: DayFigures) => (number | null)[]): BarDatum[] =>
    chartDays.map((d) => ({ label: d.label, shortLabel: d.shortLabel, values: value(d) }));
  const period = `the last ${days} days`;

  return (
    <section aria-labelledby="dashboard-title" className="dashboard">
      <div className="page-head">
        <div>
          <h1 id="dashboard-title">Dashboard</h1>
          <p className="muted">
            Finished syncs per day, {period} (days in {timeZone}).
          </p>
        </div>
        <form className="dash-filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="dash-period">Period</label>
            <select id="dash-period" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  Last {p} days
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="dash-connection">Connection</label>
            <select id="dash-connection" value={connectionId} onChange={(e) => setConnectionId(e.target.value)}>
              <option value="">All connections</option>
              {(connections ?? []).map((c) => (
                <option key={c.connectionId} value={c.connectionId}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
        </form>
      </div>
      <ErrorBox error={error} />
      <p className="visually-hidden" role="status" aria-live="polite">
        {loading ? 'Loading the figures…' : stats ? `Showing ${period}.` : ''}
      </p>
      {stats === null ? (
        !error && <p className="loading">Loading…</p>
      ) : (
        <div aria-busy={loading} className={loading ? 'dash-body refreshing' : 'dash-body'}>
          <dl className="dash-totals card" aria-label="Totals">
            <div>
              <dt>Records</dt>
              <dd id="total-records">{count(t!.recordsCommitted)}</dd>
            </div>
            <div>
              <dt>Bytes</dt>
              <dd id="total-bytes" title={`${count(t!.bytesCommitted)} bytes`}>
                {bytes(t!.bytesCommitted)}
              </dd>
            </div>
            <div>
              <dt>Syncs</dt>
              <dd id="total-syncs">
                {count(t!.syncs)}
                <span className="muted dash-split">
                  {' '}
                  ({count(t!.succeeded)} succeeded, {count(t!.failed)} failed
                  {t!.cancelled ? `, ${count(t!.cancelled)} cancelled` : ''})
                </span>
              </dd>
            </div>
            <div>
              <dt>Failure rate</dt>
              <dd id="total-failure-rate" className={t!.failed ? 'dash-bad' : undefined}>
                {percent(t!.failureRate)}
              </dd>
            </div>
          </dl>
          {t!.syncs === 0 ? (
            <div className="empty dash-empty">
              <p>
                No sync finished in {period}
                {connectionId ? ' for this connection' : ''}. Run one from the <Link href="/connections">connections</Link>; its figures
                show here once it ends.
              </p>
            </div>
          ) : (
            <div className="dash-charts">
              <BarChart
                title="Records committed per day"
                summary={`Records committed per day over ${period}: ${count(t!.recordsCommitted)} in all.${peak(stats.days, (d) => d.recordsCommitted, count)}`}
                series={[{ name: 'Records', color: COLORS.records }]}
                data={series((d) => [d.recordsCommitted])}
                format={compact}
              />
              <BarChart
                title="Bytes committed per day"
                summary={`Bytes committed per day over ${period}: ${bytes(t!.bytesCommitted)} in all.${peak(stats.days, (d) => d.bytesCommitted, bytes)}`}
                series={[{ name: 'Bytes', color: COLORS.bytes }]}
                data={series((d) => [d.bytesCommitted])}
                format={bytes}
              />
              <BarChart
                title="Sync durations per day"
                note={`Median over the period ${seconds(t!.durationSecondsP50)}, longest ${seconds(t!.durationSecondsMax)}`}
                summary={`Sync durations per day over ${period}: the median is ${seconds(t!.durationSecondsP50)} and the longest ${seconds(t!.durationSecondsMax)}.${peak(stats.days, (d) => d.durationSecondsMax, seconds, 'The longest sync took')}`}
                series={[
                  { name: 'Median', color: COLORS.p50 },
                  { name: 'Longest', color: COLORS.max },
                ]}
                data={series((d) => [d.durationSecondsP50, d.durationSecondsMax])}
                format={seconds}
              />
              <BarChart
                title="Succeeded and failed syncs per day"
                note={`Failure rate ${percent(t!.failureRate)}`}
                summary={`Syncs per day over ${period}: ${count(t!.succeeded)} succeeded and ${count(t!.failed)} failed, a failure rate of ${percent(t!.failureRate)}.${peak(stats.days, (d) => d.failed, count, 'The most failures in a day:')}`}
                series={[
                  { name: 'Succeeded', color: COLORS.succeeded },
                  { name: 'Failed', color: COLORS.failed },
                ]}
                data={series((d) => [d.succeeded, d.failed])}
                format={compact}
                mode="stacked"
              />
            </div>
          )}
        </div>
      )}
    </section>
  );
}
