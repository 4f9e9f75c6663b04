// Drives the sluice web UI in Debian's chromium with playwright-core (installed in web/ by
// scripts/setup.sh; the browser is /usr/bin/chromium, never a downloaded one). Run by
// test_web_ui.py:
//
//   node web_driver.mjs <scenario> '<json options>'
//
// Scenarios: "main" (log in, change the password, lists, new-source form, Sync now) and
// "console-error" (a page that logs an error: the driver must fail). Prints one JSON line per
// step on stdout; exits 1 with the reason on stderr when a step fails or the browser console
// showed an error. Screenshots go to options.screenshots.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = process.env.SLUICE_SOURCE_DIR ?? path.resolve(here, '../..');
const require = createRequire(path.join(sourceDir, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [scenario, optionsJson] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '{}');
const base = options.baseUrl;
const shots = options.screenshots;
const STEP_TIMEOUT = 15000;

const consoleErrors = [];
let allowHttpErrors = false; // set around steps whose 4xx answers are the point (a wrong password)

function step(name, extra = {}) {
  console.log(JSON.stringify({ step: name, ...extra }));
}

async function expectText(locator, text, timeout = STEP_TIMEOUT) {
  await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  step('screenshot', { name });
}

async function assertNoHorizontalScroll(page, what) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  if (scroll > width + 1) throw new Error(`${what}: the page scrolls sideways at ${width} px (${scroll} px wide)`);
}

async function mainScenario(page, context) {
  // --- login, by keyboard only, after one wrong password ---
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Log in to sluice' }).waitFor();
  await shot(page, 'login');
  const focused = await page.evaluate(() => document.activeElement?.id);
  if (focused !== 'login-email') throw new Error(`the email field is not focused at first (${focused})`);
  await page.keyboard.type(options.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not-the-password');
  allowHttpErrors = true;
  await page.keyboard.press('Enter');
  await page.getByRole('alert').waitFor({ timeout: STEP_TIMEOUT });
  allowHttpErrors = false;
  step('wrong password refused', { message: await page.getByRole('alert').innerText() });
  await page.getByLabel('Password').fill(options.password);
  await page.getByLabel('Password').press('Enter');

  // --- the must-change-password step ---
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor({ timeout: STEP_TIMEOUT });
  await shot(page, 'change-password');
  await page.getByLabel('Current password').fill(options.password);
  await page.getByLabel('New password', { exact: true }).fill(options.newPassword);
  await page.getByLabel('New password again').fill(options.newPassword);
  await page.getByRole('button', { name: 'Save the new password' }).click();

  // --- connections (empty) ---
  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: STEP_TIMEOUT });
  if (!page.url().endsWith('/connections')) throw new Error(`not on /connections: ${page.url()}`);
  await expectText(page.locator('.empty'), 'No connection yet');
  step('logged in with the new password');

  // --- the new-source form, generated from the spec: Postgres (secrets, oneOf, required) ---
  await page.getByRole('link', { name: 'Sources' }).click();
  await page.getByRole('heading', { name: 'Sources' }).waitFor();
  await page.getByRole('link', { name: 'New source' }).click();
  await page.getByRole('heading', { name: 'New source' }).waitFor();
  await page.getByLabel('Connector').selectOption({ label: 'Postgres' });
  await page.getByLabel(/^Host/).waitFor({ timeout: STEP_TIMEOUT });
  const pgForm = await page.evaluate(() => {
    const byLabel = (text) => {
      const label = [...document.querySelectorAll('label')].find((l) => l.textContent.trim().startsWith(text));
      return label ? document.getElementById(label.htmlFor) : null;
    };
    return {
      passwordType: byLabel('Password')?.type,
      hostRequired: byLabel('Host')?.required,
      portValue: byLabel('Port')?.value,
      sslSelect: byLabel('SSL mode: option')?.tagName,
      sslOptions: [...(byLabel('SSL mode: option')?.options ?? [])].map((o) => o.textContent),
      legends: [...document.querySelectorAll('legend')].map((l) => l.textContent),
      unlabelled: [...document.querySelectorAll('form input, form select, form textarea')]
        .filter((el) => !el.labels?.length && !el.getAttribute('aria-label'))
        .map((el) => el.outerHTML.slice(0, 80)),
    };
  });
  step('postgres form', pgForm);
  if (pgForm.passwordType !== 'password') throw new Error(`the secret field is not a password input: ${JSON.stringify(pgForm)}`);
  if (pgForm.hostRequired !== true) throw new Error('Host is not required');
  if (pgForm.portValue !== '5432') throw new Error(`Port has no default: ${pgForm.portValue}`);
  if (pgForm.sslSelect !== 'SELECT' || !pgForm.sslOptions.includes('require')) throw new Error('no oneOf select for SSL mode');
  if (!pgForm.legends.includes('Update Method')) throw new Error(`no Update Method group: ${pgForm.legends}`);
  if (pgForm.unlabelled.length) throw new Error(`fields without a label: ${pgForm.unlabelled.join(', ')}`);
  const xmin = page.getByLabel('Update Method: option');
  await xmin.selectOption({ label: 'Detect Changes with Xmin System Column' });
  await shot(page, 'new-source-postgres');
  await page.setViewportSize({ width: 800, height: 900 });
  await assertNoHorizontalScroll(page, 'new source form');
  await shot(page, 'new-source-postgres-800');
  await page.setViewportSize({ width: 1280, height: 900 });

  // --- a faker source through the form: test, then save ---
  await page.getByLabel('Connector').selectOption({ label: 'Sample Data (Faker)' });
  await page.getByLabel(/^Count/).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByLabel(/^Source name/).fill('Faker users');
  await page.getByLabel(/^Count/).fill(String(options.count));
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('[data-check]').waitFor({ timeout: 30000 });
  const check = await page.locator('[data-check]').innerText();
  if (!check.includes('The connection test succeeded.')) throw new Error(`the check failed: ${check}`);
  step('test connection', { result: check });
  await shot(page, 'new-source-faker');
  await page.getByRole('button', { name: 'Save the source' }).click();
  await page.getByRole('heading', { name: 'Sources' }).waitFor({ timeout: STEP_TIMEOUT });
  await expectText(page.locator('table.list tbody tr'), 'Faker users');
  await shot(page, 'sources');

  // --- a destination and a connection through the API (the wizard is not built yet) ---
  const call = async (route, body) => {
    const r = await context.request.post(`${base}/api/v1/${route}`, { data: body });
    if (!r.ok()) throw new Error(`${route}: ${r.status()} ${await r.text()}`);
    return r.json();
  };
  const { sources } = await call('sources/list', {});
  const source = sources.find((s) => s.name === 'Faker users');
  if (!source || source.connectionConfiguration.count !== options.count) throw new Error(`source not saved as typed: ${JSON.stringify(sources)}`);
  const destination = await call('destinations/create', {
    destinationDefinitionId: 'destination-local',
    name: 'Local files',
    connectionConfiguration: { destination_path: options.destinationPath },
  });
  const connection = await call('connections/create', {
    sourceId: source.sourceId,
    destinationId: destination.destinationId,
    name: 'Faker to files',
  });
  step('connection created', { connectionId: connection.connectionId });

  await page.getByRole('link', { name: 'Destinations' }).click();
  await page.getByRole('heading', { name: 'Destinations' }).waitFor();
  await expectText(page.locator('table.list tbody tr'), 'Local files');
  await shot(page, 'destinations');

  // --- connections list: Sync now, then 🟢 Succeeded with the records ---
  await page.getByRole('link', { name: 'Connections' }).click();
  const row = page.locator(`tr[data-connection-id="${connection.connectionId}"]`);
  await row.waitFor({ timeout: STEP_TIMEOUT });
  await expectText(row, 'Faker users → Local files');
  await expectText(row, 'Never synced');
  await row.getByRole('button', { name: 'Sync now: Faker to files' }).click();
  await row.locator('td.status[data-status="succeeded"]').waitFor({ timeout: 60000 });
  const cells = await row.locator('th, td').allInnerTexts();
  step('synced', { cells });
  if (!cells[3].includes('🟢') || !cells[3].includes('Succeeded')) throw new Error(`status cell: ${cells[3]}`);
  if (Number(cells[5].replace(/,/g, '')) < options.count) throw new Error(`records cell: ${cells[5]} < ${options.count}`);
  if (cells[4] === '—') throw new Error('no last sync time');
  await shot(page, 'connections');

  // --- the enable toggle persists ---
  const toggle = row.getByRole('switch', { name: 'Enabled: Faker to files' });
  if (!(await toggle.isChecked())) throw new Error('a new connection is not enabled');
  await toggle.focus();
  await page.keyboard.press('Space');
  await page.getByRole('status').filter({ hasText: 'Faker to files disabled.' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.reload();
  await row.waitFor({ timeout: STEP_TIMEOUT });
  if (await row.getByRole('switch').isChecked()) throw new Error('disabling did not persist');
  const stored = await call('connections/get', { connectionId: connection.connectionId });
  if (stored.status !== 'inactive') throw new Error(`connection status ${stored.status}`);
  step('toggle persisted');

  await page.setViewportSize({ width: 800, height: 700 });
  await assertNoHorizontalScroll(page, 'connections');
  const syncBox = await row.getByRole('button', { name: 'Sync now: Faker to files' }).boundingBox();
  if (!syncBox || syncBox.x + syncBox.width > 800) throw new Error(`"Sync now" is off screen at 800 px: ${JSON.stringify(syncBox)}`);
  await shot(page, 'connections-800');
  await page.setViewportSize({ width: 1280, height: 800 });

  // --- an unknown page, then log out ---
  await page.goto(`${base}/no/such/page`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to sluice' }).waitFor({ timeout: STEP_TIMEOUT });
  step('logged out');
}

async function consoleErrorScenario(page) {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Log in to sluice' }).waitFor();
  await page.evaluate(() => console.error('deliberate console error'));
}

const browser = await chromium.launch({
  executablePath: options.chromium ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failure = null;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (allowHttpErrors && /Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) return;
    consoleErrors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (!req.url().startsWith(base)) consoleErrors.push(`request outside the server: ${req.url()}`);
  });
  page.on('request', (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith('data:')) consoleErrors.push(`request outside the server: ${req.url()}`);
  });
  if (scenario === 'main') await mainScenario(page, context);
  else if (scenario === 'console-error') await consoleErrorScenario(page);
  else throw new Error(`unknown scenario ${scenario}`);
  await page.waitForTimeout(200); // late console messages
} catch (e) {
  failure = e;
} finally {
  await browser.close();
}
if (failure) {
  console.error(`FAILED: ${failure.stack ?? failure}`);
  if (consoleErrors.length) console.error(`browser console errors:\n${consoleErrors.join('\n')}`);
  process.exit(1);
}
if (consoleErrors.length) {
  console.error(`browser console errors:\n${consoleErrors.join('\n')}`);
  process.exit(1);
}
step('done');
