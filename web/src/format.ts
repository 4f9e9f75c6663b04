import type { Attempt, Connection, JobInfo } from './api';

/** Airbyte's status dots: 🟢 succeeded, 🔴 failed, 🟡 running, ⚪ cancelled. */
export function statusBadge(status: string | undefined, running: boolean): { icon: string; label: string } {
  if (running) return { icon: '🟡', label: 'Running' };
  switch (status) {
    case 'succeeded':
      return { icon: '🟢', label: 'Succeeded' };
    case 'failed':
      return { icon: '🔴', label: 'Failed' };
    case 'cancelled':
      return { icon: '⚪', label: 'Cancelled' };
    case 'pending':
    case 'running':
    case 'incomplete':
      return { icon: '🟡', label: status === 'pending' ? 'Queued' : 'Running' };
    default:
      return { icon: '', label: 'Never synced' };
  }
}

export function scheduleText(c: Connection): string {
  if (c.scheduleType === 'basic' && c.scheduleData?.basicSchedule) {
    const { units, timeUnit } = c.scheduleData.basicSchedule;
    const unit = timeUnit.replace(/s$/, '');
    return units === 1 ? `Every ${unit}` : `Every ${units} ${unit}s`;
  }
  if (c.scheduleType === 'cron' && c.scheduleData?.cron) {
    const tz = c.scheduleData.cron.cronTimeZone;
    return `Cron ${c.scheduleData.cron.cronExpression}${tz ? ` (${tz})` : ''}`;
  }
  if (c.scheduleType === 'continuous') return 'Continuous (CDC)';
  return 'Manual';
}

/** "3 min ago" for a unix time in seconds. */
export function relativeTime(seconds: number | null | undefined, now = Date.now()): string {
  if (!seconds) return '—';
  const diff = Math.max(0, Math.round(now / 1000 - seconds));
  if (diff < 60) return diff <= 5 ? 'just now' : `${diff} s ago`;
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)} h ago`;
  return `${Math.floor(diff / 86400)} days ago`;
}

export function absoluteTime(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toLocaleString() : '';
}

export function count(n: number | undefined): string {
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

/** Airbyte's words for a (sync mode, destination sync mode) pair. */
export const SYNC_MODES: { value: string; syncMode: string; destinationSyncMode: string; label: string }[] = [
  { value: 'full_refresh:overwrite', syncMode: 'full_refresh', destinationSyncMode: 'overwrite', label: 'Full Refresh | Overwrite' },
  { value: 'full_refresh:append', syncMode: 'full_refresh', destinationSyncMode: 'append', label: 'Full Refresh | Append' },
  { value: 'incremental:append', syncMode: 'incremental', destinationSyncMode: 'append', label: 'Incremental | Append' },
  { value: 'incremental:append_dedup', syncMode: 'incremental', destinationSyncMode: 'append_dedup', label: 'Incremental | Append + Deduped' },
];

export function syncModeLabel(syncMode: string, destinationSyncMode: string): string {
  return SYNC_MODES.find((m) => m.syncMode === syncMode && m.destinationSyncMode === destinationSyncMode)?.label ?? `${syncMode} | ${destinationSyncMode}`;
}

/** "1.2 MB" */
export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** "1 min 5 s" from seconds. */
export function duration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function lastAttempt(job?: JobInfo): Attempt | undefined {
  return job?.attempts.length ? job.attempts[job.attempts.length - 1].attempt : undefined;
}

/** The failure of a failed job in words: the last attempt's first external message. */
export function failureMessage(job?: JobInfo): string | undefined {
  for (let i = (job?.attempts.length ?? 0) - 1; i >= 0; i--) {
    const f = job!.attempts[i].attempt.failureSummary?.failures?.[0];
    if (f?.externalMessage) return f.externalMessage;
  }
  return undefined;
}

export function isFinished(status: string | undefined): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

export const JOB_TYPES: Record<string, string> = { sync: 'Sync', reset_connection: 'Reset', refresh: 'Refresh', clear: 'Clear' };
