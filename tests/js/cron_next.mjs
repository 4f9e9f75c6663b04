// Next fire times of cron expressions by cron-parser, an implementation independent of sluice's,
// for tests/unit/scheduler/cron_reference_test.cc to compare against.
//
// Batch: one request per stdin line, `expression<TAB>time zone<TAB>start instant<TAB>count`;
// one answer per stdout line: the next `count` fire times strictly after the start, as UTC ISO
// instants separated by spaces, or `error: <message>` when cron-parser rejects the expression.
// By hand: node cron_next.mjs '0 2 * * 1-5' Europe/Amsterdam 2026-03-01T00:00:00Z 5
//
// Expressions are in cron-parser's dialect (5 fields, or 6 with seconds first; day-of-week 0-7
// with 0 = Sunday); the caller translates Quartz day-of-week numbers and `?`.
import { createInterface } from 'node:readline';
import { CronExpressionParser } from 'cron-parser';

function nextFireTimes(expression, tz, start, count) {
  try {
    const interval = CronExpressionParser.parse(expression, { currentDate: start, tz });
    return interval.take(Number(count)).map((d) => d.toISOString()).join(' ');
  } catch (e) {
    return `error: ${e.message}`;
  }
}

if (process.argv.length > 2) {
  const [expression, tz, start, count] = process.argv.slice(2);
  console.log(nextFireTimes(expression, tz, start, count ?? 5).split(' ').join('\n'));
} else {
  const out = [];
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line === '') continue;
    const [expression, tz, start, count] = line.split('\t');
    out.push(nextFireTimes(expression, tz, start, count));
  }
  process.stdout.write(out.join('\n') + '\n');
}
