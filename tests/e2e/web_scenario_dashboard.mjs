// The dashboard in a real browser (run by test_web_dashboard.py): the totals equal the API's
// figures (options.expected), the four charts have bars with values on hover, the table view,
// the period and connection filters, the empty state, and the page at 1280 and 800 px.
export default async function dashboard(page, context, lib) {
  const { options, base, STEP_TIMEOUT, step, shot, expectText, assertNoHorizontalScroll } = lib;
  const expected = options.expected;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(options.email);
  await page.getByLabel('Password').fill(options.password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor({ timeout: STEP_TIMEOUT });

  // Totals: as the API counted them (in the browser's time zone, the test's too).
  const totals = async () =>
    page.evaluate(() => ({
      records: document.querySelector('#total-records')?.textContent,
      bytes: document.querySelector('#total-bytes')?.getAttribute('title'),
      syncs: document.querySelector('#total-syncs')?.childNodes[0]?.textContent,
      failureRate: document.querySelector('#total-failure-rate')?.textContent,
    }));
  await page.locator('#total-records').waitFor({ timeout: STEP_TIMEOUT });
  await expectText(page.locator('#total-syncs'), `${expected.succeeded} succeeded, ${expected.failed} failed`);
  const shown = await totals();
  step('totals', shown);
  for (const key of ['records', 'bytes', 'syncs', 'failureRate']) {
    if (shown[key] !== expected[key]) throw new Error(`total ${key}: shown ${shown[key]}, the API says ${expected[key]}`);
  }
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  if (options.timeZone && zone !== options.timeZone) throw new Error(`the browser's time zone is ${zone}, not ${options.timeZone}`);
  await expectText(page.locator('.dashboard .page-head p'), `(days in ${zone})`);

  // Four charts, each a figure with a caption, an image with a summary, and bars with titles.
  const charts = await page.evaluate(() =>
    [...document.querySelectorAll('figure.chart')].map((f) => ({
      caption: f.querySelector('figcaption .chart-title')?.textContent,
      label: f.querySelector('svg[role="img"]')?.getAttribute('aria-label'),
      bars: f.querySelectorAll('svg rect.bar').length,
      titles: [...f.querySelectorAll('svg rect.bar title')].map((t) => t.textContent),
      width: f.querySelector('svg')?.getBoundingClientRect().width,
    })),
  );
  step('charts', { charts: charts.map((c) => ({ caption: c.caption, bars: c.bars, width: c.width })) });
  const captions = ['Records committed per day', 'Bytes committed per day', 'Sync durations per day', 'Succeeded and failed syncs per day'];
  if (JSON.stringify(charts.map((c) => c.caption)) !== JSON.stringify(captions)) throw new Error(`chart captions: ${charts.map((c) => c.caption)}`);
  for (const c of charts) {
    if (c.bars < 1) throw new Error(`${c.caption}: no bar`);
    if (!c.label || c.label.length < 20) throw new Error(`${c.caption}: no summary for screen readers`);
    if (!(c.width > 300)) throw new Error(`${c.caption}: drawn ${c.width} px wide`);
  }
  const outcome = charts[3];
  if (!outcome.titles.some((t) => t.endsWith(`Failed: ${expected.failed}`))) throw new Error(`no failed bar: ${outcome.titles}`);
  if (!outcome.titles.some((t) => t.endsWith(`Succeeded: ${expected.succeeded}`))) throw new Error(`no succeeded bar: ${outcome.titles}`);
  if (!outcome.label.includes(`failure rate of ${expected.failureRate}`)) throw new Error(`summary: ${outcome.label}`);
  if (!charts[0].titles.some((t) => t.endsWith(`Records: ${expected.recordsCompact}`))) throw new Error(`records bar: ${charts[0].titles}`);
  await expectText(page.locator('figure.chart').nth(3).locator('.chart-note'), `Failure rate ${expected.failureRate}`);

  // The table view of the outcomes chart: 14 days, today's row with the day's figures.
  const outcomes = page.locator('figure.chart').nth(3);
  const toggle = outcomes.getByRole('button', { name: 'Show as table' });
  await toggle.click();
  const table = outcomes.locator('table');
  await table.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  if ((await outcomes.getByRole('button', { name: 'Hide table' }).getAttribute('aria-expanded')) !== 'true') throw new Error('the toggle does not say it is expanded');
  const rowCount = async () => table.locator('tbody tr').count();
  if ((await rowCount()) !== 14) throw new Error(`the table has ${await rowCount()} rows, not 14`);
  const lastRow = await table.locator('tbody tr').last().locator('td').allTextContents();
  step('table today', { lastRow });
  if (JSON.stringify(lastRow) !== JSON.stringify([String(expected.succeeded), String(expected.failed)])) throw new Error(`today's row: ${lastRow}`);
  await shot(page, 'dashboard');

  // Another period: 7 days.
  await page.getByLabel('Period').selectOption('7');
  await page.waitForFunction(() => document.querySelectorAll('figure.chart')[3]?.querySelectorAll('tbody tr').length === 7, null, { timeout: STEP_TIMEOUT });
  await expectText(page.locator('.dashboard .page-head p'), 'the last 7 days');
  const afterSwitch = await totals();
  if (afterSwitch.records !== expected.records) throw new Error(`7 days: records ${afterSwitch.records}`);
  step('period switched', { days: 7 });

  // One connection: the failing one only fails; one without syncs shows the empty state.
  await page.getByLabel('Connection').selectOption({ label: options.failingName });
  await expectText(page.locator('#total-failure-rate'), '100 %');
  await expectText(page.locator('#total-records'), expected.failingRecords);
  await page.getByLabel('Connection').selectOption({ label: options.idleName });
  await expectText(page.locator('.dash-empty'), 'No sync finished in the last 7 days for this connection');
  if (await page.locator('figure.chart').count()) throw new Error('charts shown without any sync');
  await shot(page, 'dashboard-empty');
  await page.getByLabel('Connection').selectOption({ label: 'All connections' });
  await page.getByLabel('Period').selectOption('30');
  await page.waitForFunction(() => document.querySelectorAll('figure.chart').length === 4, null, { timeout: STEP_TIMEOUT });
  await expectText(page.locator('#total-syncs'), `${expected.succeeded} succeeded`);
  step('filters');

  // Keyboard: the filters are reachable and the first chart's toggle works with Enter.
  await page.getByLabel('Period').focus();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.id);
  if (focused !== 'dash-connection') throw new Error(`Tab from the period goes to ${focused}`);
  const firstToggle = page.locator('figure.chart').first().getByRole('button', { name: 'Show as table' });
  await firstToggle.focus();
  await page.keyboard.press('Enter');
  await page.locator('figure.chart').first().locator('table').waitFor({ state: 'visible', timeout: STEP_TIMEOUT });

  // 800 px: one chart per row, nothing scrolls sideways, the charts redraw at the new width.
  await page.setViewportSize({ width: 800, height: 900 });
  await page.waitForFunction(() => {
    const svg = document.querySelector('figure.chart svg');
    return svg && svg.getBoundingClientRect().width < 760;
  }, null, { timeout: STEP_TIMEOUT });
  await assertNoHorizontalScroll(page, 'dashboard at 800 px');
  await shot(page, 'dashboard-800');
  step('done');
}
