import type { Connection } from './api';

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
  if (c.scheduleType === 'cron' && c.scheduleData?.cron) return `Cron ${c.scheduleData.cron.cronExpression}`;
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
