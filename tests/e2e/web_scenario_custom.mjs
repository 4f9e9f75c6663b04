// A custom connector from a declarative manifest in the web UI (run by test_web_custom.py through
// web_driver.mjs): "New custom connector" from the sources list; pasted invalid YAML answered with
// the line; the manifest chosen as a file; the new definition picked in "New source" with the
// manifest's spec as its form (the API key a password input); "Test connection" against the local
// REST API server; saved; listed under the custom connector's name; "Test a stream" on its page (records,
// each request with the key shown as ****). No API answer may hold the key.
export default async function custom(page, context, lib) {
  const { options, base, step, shot, expectText, assertNoHorizontalScroll, STEP_TIMEOUT } = lib;
  const leaks = lib.watchLeaks(page, options.secret);

  await lib.logIn(page);

  await page.getByRole('link', { name: 'Sources' }).click();
  await page.getByRole('link', { name: 'New custom connector' }).click();
  await page.getByRole('heading', { name: 'New custom connector' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByLabel(/^Connector name/).fill('Items API');
  await page.locator('#custom-manifest').fill('streams:\n  - name: [unclosed\n');
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Create the connector' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  const message = await alert.innerText();
  if (!message.includes('invalid YAML') || !message.includes('manifest.yaml:')) throw new Error(`YAML error: ${message}`);
  step('invalid YAML', { message });

  await page.getByLabel('Manifest file (YAML)').setInputFiles(options.manifestPath);
  for (let i = 0; !(await page.locator('#custom-manifest').inputValue()).includes('DeclarativeStream'); ++i) {
    if (i > 50) throw new Error('the chosen file did not fill the manifest field');
    await page.waitForTimeout(100);
  }
  await page.setViewportSize({ width: 800, height: 900 });
  await assertNoHorizontalScroll(page, 'new custom connector');
  await shot(page, 'custom-connector');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Create the connector' }).click();

  // "New source" with the new definition picked and the manifest's spec as the form.
  await page.getByRole('heading', { name: 'New source' }).waitFor({ timeout: STEP_TIMEOUT });
  const connector = page.getByLabel('Connector');
  await page.getByLabel('base_url').waitFor({ timeout: STEP_TIMEOUT });
  const picked = await connector.locator('option:checked').innerText();
  if (picked !== 'Items API (custom)') throw new Error(`picked connector: ${picked}`);
  const key = page.getByLabel('api_key');
  if ((await key.getAttribute('type')) !== 'password') throw new Error('the manifest\'s secret is not a password input');
  await page.getByLabel(/^Source name/).fill('Items');
  await page.getByLabel('base_url').fill(options.apiBase);
  await key.fill(options.secret);
  await shot(page, 'custom-source-form');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('[data-check]').waitFor({ timeout: 30000 });
  const check = await page.locator('[data-check]').innerText();
  if (!check.includes('succeeded')) throw new Error(`check: ${check}`);
  step('checked');
  await page.getByRole('button', { name: 'Save the source' }).click();
  await page.getByRole('heading', { name: 'Sources' }).waitFor({ timeout: STEP_TIMEOUT });
  const row = page.getByRole('row').filter({ hasText: 'Items' });
  await expectText(row, 'Items API');
  await expectText(row, 'source-declarative-manifest');

  // --- "Test a stream" on the source's page: records and each request, the key redacted ---
  await row.getByRole('link', { name: 'Items' }).click();
  await page.getByRole('heading', { name: 'Test a stream' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.locator('#test-stream option[value="items"]').waitFor({ state: 'attached', timeout: 30000 });
  await page.getByLabel('Records at most').fill('3');
  await page.getByRole('button', { name: 'Test the stream' }).click();
  await page.locator('[data-test-read]').waitFor({ timeout: 30000 });
  const records = Number(await page.locator('pre[data-records]').getAttribute('data-records'));
  if (!(records > 0 && records <= 3)) throw new Error(`test read records: ${records}`);
  const first = page.locator('li[data-page="0"]');
  await expectText(first, 'GET');
  await expectText(first, '/api/items');
  await first.locator('summary').click();
  const headers = await first.locator('pre').first().innerText();
  if (!headers.includes('"X-API-Key": "****"')) throw new Error(`request headers: ${headers}`);
  if ((await page.content()).includes(options.secret)) throw new Error('the key is in the page');
  await shot(page, 'test-stream');
  step('test read', { records });
  if (leaks.length) throw new Error(`the key is in answers of ${leaks.join(', ')}`);
  step('done');
}
