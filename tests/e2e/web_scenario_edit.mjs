// Editing and deleting in the web UI (run by test_web_edit.py through web_driver.mjs): a source's
// page (masked secret kept, a field error, test, save), a destination deleted with its connection
// (confirm dialog: cancelled once, then confirmed), a connection's settings (schedule, stream
// mode, refreshed schema; kept after a reload), a composite primary key in the wizard, one
// stream refreshed from its menu (keep records) and the refresh job in the history, a
// connection deleted. No API answer the browser gets may contain options.secret.
export default async function edit(page, context, lib) {
  const { options, base, step, shot, expectText, assertNoHorizontalScroll, STEP_TIMEOUT } = lib;
  const secret = options.secret;
  const leaks = lib.watchLeaks(page, secret);
  const call = async (route, body, okStatus = true) => {
    const r = await context.request.post(`${base}/api/v1/${route}`, { data: body, headers: await lib.csrfHeaders(context) });
    const text = await r.text();
    if (text.includes(secret)) throw new Error(`${route}: the secret is in the answer`);
    if (okStatus && !r.ok()) throw new Error(`${route}: ${r.status()} ${text}`);
    return { status: r.status(), json: text ? JSON.parse(text) : undefined };
  };
  const at800 = async (what, name) => {
    await page.setViewportSize({ width: 800, height: 900 });
    await assertNoHorizontalScroll(page, what);
    await shot(page, name);
    await page.setViewportSize({ width: 1280, height: 800 });
  };
  const status = (text) => page.getByRole('status').filter({ hasText: text }).waitFor({ timeout: STEP_TIMEOUT });

  // --- log in ---
  await lib.logIn(page);

  // --- a source's page: the stored config, the password masked ---
  await page.getByRole('link', { name: 'Sources' }).click();
  await page.getByRole('link', { name: 'Shop DB' }).click();
  await page.getByRole('heading', { name: 'Shop DB' }).waitFor({ timeout: STEP_TIMEOUT });
  if (!page.url().endsWith(`/sources/${options.sourceId}`)) throw new Error(`source page URL: ${page.url()}`);
  const password = page.getByLabel(/^Password/);
  if ((await password.getAttribute('type')) !== 'password') throw new Error('the secret is not a password field');
  if ((await password.inputValue()) !== '**********') throw new Error('the secret field does not show the mask');
  if ((await page.getByLabel(/^Host/).inputValue()) !== '127.0.0.1') throw new Error('the stored host is not shown');
  await expectText(page.locator('table.list'), 'Shop to files');
  await expectText(page.locator('table.list'), 'Shop to old files');
  await page.getByLabel(/^Source name/).fill('Shop database');
  await page.getByLabel(/^Connect timeout/).fill('15');
  // A 422 from the server shows under its field (schemas must be unique).
  await page.getByLabel(/^Schemas/).fill('public\npublic');
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  const schemasError = page.locator('[data-field="connectionConfiguration.schemas"] .field-error');
  await schemasError.waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  step('422 under the field', { message: await schemasError.innerText() });
  await page.getByLabel(/^Schemas/).fill('public');
  await shot(page, 'source-edit');
  await at800('source page', 'source-edit-800');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await status('Shop database saved.');
  await page.getByRole('heading', { name: 'Shop database' }).waitFor({ timeout: STEP_TIMEOUT });
  // The edited config tested with the stored password (the mask sent back is merged by the server).
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('[data-check]').waitFor({ timeout: 30000 });
  const check = await page.locator('[data-check]').innerText();
  if (!check.includes('succeeded')) throw new Error(`the check with the kept secret failed: ${check}`);
  {
    const got = (await call('sources/get', { sourceId: options.sourceId })).json;
    const c = got.connectionConfiguration;
    if (got.name !== 'Shop database' || c.connect_timeout !== 15 || c.password !== '**********' || c.host !== '127.0.0.1')
      throw new Error(`source not saved as edited: ${JSON.stringify(got)}`);
    const checked = (await call('sources/check_connection', { sourceId: options.sourceId })).json;
    if (checked.status !== 'succeeded') throw new Error(`the stored secret no longer works: ${JSON.stringify(checked)}`);
  }
  await page.reload();
  await page.getByRole('heading', { name: 'Shop database' }).waitFor({ timeout: STEP_TIMEOUT });
  if ((await page.getByLabel(/^Connect timeout/).inputValue()) !== '15') throw new Error('the edit is not kept after a reload');
  step('source edited, secret kept');

  // --- delete a destination used by a connection: cancel once, then confirm ---
  await page.getByRole('link', { name: 'Destinations' }).click();
  await page.getByRole('link', { name: 'Old files' }).click();
  await page.getByRole('heading', { name: 'Old files' }).waitFor({ timeout: STEP_TIMEOUT });
  await expectText(page.locator('table.list'), 'Shop to old files');
  await page.getByRole('button', { name: 'Delete this destination' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete Old files?' });
  await dialog.waitFor({ timeout: STEP_TIMEOUT });
  await expectText(dialog.locator('[data-affected-connections]'), 'Shop to old files');
  await expectText(dialog, 'deleted with it');
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  if (focused !== 'Cancel') throw new Error(`the dialog does not focus Cancel first (${focused})`);
  await shot(page, 'delete-confirm');
  // Keyboard: Escape closes it, nothing deleted; then the Cancel button, likewise.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  await page.getByRole('button', { name: 'Delete this destination' }).click();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  if ((await call('destinations/get', { destinationId: options.oldDestinationId }, false)).status !== 200) throw new Error('cancel deleted the destination');
  await page.getByRole('button', { name: 'Delete this destination' }).click();
  await dialog.getByRole('button', { name: 'Delete the destination' }).click();
  await page.getByRole('heading', { name: 'Destinations' }).waitFor({ timeout: STEP_TIMEOUT });
  await expectText(page.locator('table.list tbody tr'), 'Files');
  if (await page.locator('table.list tbody tr').filter({ hasText: 'Old files' }).count()) throw new Error('the deleted destination is listed');
  {
    const gone = (await call('connections/get', { connectionId: options.oldConnectionId }, false)).json;
    if (gone.status !== 'deprecated') throw new Error(`its connection is not deleted: ${gone.status}`);
    const { connections } = (await call('connections/list', { includeSyncCatalog: false })).json;
    if (connections.some((c) => c.connectionId === options.oldConnectionId)) throw new Error('the deleted connection is listed');
  }
  step('destination deleted with its connection');

  // --- the wizard: a composite primary key, in order; source-defined keys read-only ---
  await page.goto(`${base}/connections/new`);
  await page.getByRole('heading', { name: 'New connection' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByLabel('Source', { exact: true }).selectOption({ label: 'Shop database (Postgres)' });
  await page.getByLabel('Destination', { exact: true }).selectOption({ label: 'Warehouse (Postgres)' });
  await page.getByRole('table', { name: 'Streams' }).waitFor({ timeout: 30000 });
  await page.getByLabel('Sync mode: events').selectOption({ label: 'Incremental | Append + Deduped' });
  const cursorOptions = await page.getByLabel('Cursor field: events').locator('option').allInnerTexts();
  step('cursor choices', { cursorOptions });
  // payload is jsonb: not comparable, so neither a cursor nor a key.
  if (!cursorOptions.includes('updated_at') || cursorOptions.includes('payload') || cursorOptions.some((o) => o.includes('.'))) throw new Error(`cursor choices: ${cursorOptions}`);
  await page.getByLabel('Cursor field: events').selectOption({ label: 'updated_at' });
  await page.getByLabel('Primary key: events').selectOption({ label: 'id' });
  await page.getByRole('button', { name: 'Add a key field to events' }).click();
  await page.getByLabel('Primary key field 2: events').selectOption({ label: 'region' });
  // The first key field no longer offers what the second took.
  const firstOptions = await page.getByLabel('Primary key: events').locator('option').allInnerTexts();
  if (firstOptions.includes('region')) throw new Error(`a key field offered twice: ${firstOptions}`);
  await page.getByLabel('Sync mode: orders').selectOption({ label: 'Incremental | Append + Deduped' });
  const ordersKey = page.locator('tr[data-stream="orders"] [data-primary-key]');
  if ((await ordersKey.getAttribute('data-primary-key')) !== 'id,region') throw new Error(`orders' source-defined key: ${await ordersKey.innerText()}`);
  if (await page.getByLabel('Primary key: orders').count()) throw new Error('a source-defined key is editable');
  await page.getByLabel('Cursor field: orders').selectOption({ label: 'updated_at' });
  await page.getByLabel('Sync refunds').uncheck();
  await page.getByLabel(/^Connection name/).fill('Shop to warehouse');
  await shot(page, 'new-connection-composite-key');
  await page.getByRole('button', { name: 'Create the connection' }).click();
  await page.getByRole('heading', { name: 'Shop to warehouse' }).waitFor({ timeout: STEP_TIMEOUT });
  const createdId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  {
    const stored = (await call('connections/get', { connectionId: createdId })).json;
    const by = Object.fromEntries(stored.syncCatalog.streams.map((x) => [x.stream.name, x.config]));
    const want = { events: { primaryKey: [['id'], ['region']], cursorField: ['updated_at'], destinationSyncMode: 'append_dedup', selected: true },
      orders: { primaryKey: [['id'], ['region']], destinationSyncMode: 'append_dedup' }, refunds: { selected: false } };
    for (const [name, fields] of Object.entries(want)) {
      for (const [k, v] of Object.entries(fields)) {
        if (JSON.stringify(by[name]?.[k]) !== JSON.stringify(v)) throw new Error(`${name}.${k}: ${JSON.stringify(by[name]?.[k])} != ${JSON.stringify(v)}`);
      }
    }
  }
  step('composite key stored', { connectionId: createdId });
  // A sync with the source's kept password, deduplicated on (id, region) in the warehouse.
  await page.getByRole('button', { name: 'Sync now', exact: true }).click();
  await page.locator('tr[data-job-id]').first().locator('[data-status="succeeded"]').waitFor({ timeout: 60000 });
  step('synced with the kept secret');

  // --- a refresh of one stream from its menu: keep records; the job history shows it ---
  await page.getByRole('button', { name: 'Actions of stream public.events' }).click();
  await page.getByRole('menuitem', { name: 'Refresh stream…' }).click();
  const refreshDialog = page.getByRole('dialog', { name: 'Refresh public.events?' });
  await refreshDialog.waitFor({ timeout: STEP_TIMEOUT });
  await refreshDialog.getByLabel(/^Keep records/).check();
  await shot(page, 'refresh-stream-dialog');
  await refreshDialog.getByRole('button', { name: 'Refresh', exact: true }).click();
  await status('Refresh of public.events started.');
  const refreshRow = page.locator('tr[data-job-id]').filter({ has: page.locator('[data-job-type="refresh"]') }).first();
  await refreshRow.locator('[data-status="succeeded"]').waitFor({ timeout: 60000 });
  await expectText(refreshRow, 'Refresh');
  await expectText(refreshRow, 'keep records: public.events');
  {
    const { jobs } = (await call('jobs/list', { configId: createdId, configTypes: ['refresh'] })).json;
    const actions = jobs[0]?.job.streamActions ?? [];
    if (jobs.length !== 1 || actions.length !== 1 || actions[0].streamName !== 'events' || actions[0].refreshMode !== 'Merge' ||
        actions[0].generationId !== 1) {
      throw new Error(`refresh job: ${JSON.stringify(jobs.map((j) => j.job))}`);
    }
  }
  await shot(page, 'refresh-job');
  step('stream refreshed from its menu');

  // --- a connection's settings: schedule, a stream's mode, the refreshed schema; kept after a reload ---
  await page.goto(`${base}/connections/${options.filesConnectionId}`);
  await page.getByRole('heading', { name: 'Shop to files' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = page.locator('#connection-settings');
  await settings.getByRole('table', { name: 'Streams of the connection' }).waitFor({ timeout: STEP_TIMEOUT });
  if ((await page.getByLabel(/^Connection name/).inputValue()) !== 'Shop to files') throw new Error('the name is not prefilled');
  await page.getByLabel('Schedule type').selectOption({ label: 'Cron' });
  await page.getByLabel('Cron expression').fill('not a cron');
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Save the settings' }).click();
  await page.locator('#settings-cron-error').waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  step('settings 422 under the field', { message: await page.locator('#settings-cron-error').innerText() });
  // Continuous (CDC) is offered; this source cannot read a change log: the 422 under the schedule.
  await page.getByLabel('Schedule type').selectOption({ label: 'Continuous (CDC)' });
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Save the settings' }).click();
  await page.locator('#settings-schedule-error').waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  await expectText(page.locator('#settings-schedule-error'), 'reads continuously');
  step('continuous refused under the schedule', { message: await page.locator('#settings-schedule-error').innerText() });
  await page.getByLabel('Schedule type').selectOption({ label: 'Every N hours' });
  await page.getByLabel('Every how many hours').fill('6');
  await page.getByLabel('Sync mode: orders').selectOption({ label: 'Full Refresh | Append' });
  await page.getByRole('button', { name: 'Refresh source schema' }).click();
  await status('refunds');
  if (await page.getByLabel('Sync refunds').isChecked()) throw new Error('a new stream is selected');
  await shot(page, 'connection-settings');
  await at800('connection settings', 'connection-settings-800');
  await page.getByRole('button', { name: 'Save the settings' }).click();
  await status('Settings saved.');
  await expectText(page.locator('dl.facts'), 'Every 6 hours');
  await page.reload();
  await page.getByRole('heading', { name: 'Shop to files' }).waitFor({ timeout: STEP_TIMEOUT });
  await expectText(page.locator('dl.facts'), 'Every 6 hours');
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByLabel('Sync mode: orders').waitFor({ timeout: STEP_TIMEOUT });
  const kept = {
    schedule: await page.getByLabel('Schedule type').inputValue(),
    hours: await page.getByLabel('Every how many hours').inputValue(),
    orders: await page.getByLabel('Sync mode: orders').inputValue(),
    refunds: await page.getByLabel('Sync refunds').isChecked(),
  };
  step('settings after a reload', kept);
  if (kept.schedule !== 'basic' || kept.hours !== '6' || kept.orders !== 'full_refresh:append' || kept.refunds !== false)
    throw new Error(`settings not kept: ${JSON.stringify(kept)}`);
  {
    const stored = (await call('connections/get', { connectionId: options.filesConnectionId })).json;
    const by = Object.fromEntries(stored.syncCatalog.streams.map((x) => [x.stream.name, x.config]));
    if (JSON.stringify(stored.scheduleData?.basicSchedule) !== JSON.stringify({ units: 6, timeUnit: 'hours' })) throw new Error(`schedule: ${JSON.stringify(stored.scheduleData)}`);
    if (by.orders?.syncMode !== 'full_refresh' || by.orders?.destinationSyncMode !== 'append') throw new Error(`orders: ${JSON.stringify(by.orders)}`);
    if (by.refunds?.selected !== false) throw new Error(`refunds: ${JSON.stringify(by.refunds)}`);
  }

  // --- delete the connection ---
  await page.getByRole('button', { name: 'Delete connection' }).click();
  const connDialog = page.getByRole('dialog', { name: 'Delete Shop to files?' });
  await connDialog.waitFor({ timeout: STEP_TIMEOUT });
  await connDialog.getByRole('button', { name: 'Delete the connection' }).click();
  await page.getByRole('heading', { name: 'Connections', exact: true }).waitFor({ timeout: STEP_TIMEOUT });
  if (!page.url().endsWith('/connections')) throw new Error(`not on /connections after deleting: ${page.url()}`);
  await page.locator(`tr[data-connection-id="${createdId}"]`).waitFor({ timeout: STEP_TIMEOUT });
  if (await page.locator(`tr[data-connection-id="${options.filesConnectionId}"]`).count()) throw new Error('the deleted connection is listed');
  if ((await call('connections/get', { connectionId: options.filesConnectionId })).json.status !== 'deprecated') throw new Error('not deleted');
  step('connection deleted');

  if (leaks.length) throw new Error(`the secret is in answers of: ${leaks.join(', ')}`);
}
