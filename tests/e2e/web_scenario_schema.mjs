// Pending schema changes in the web UI (run by test_web_schema.py through web_driver.mjs): the
// banner of a non-breaking change with its counts, the review dialog opened and closed by
// keyboard (focus in, Escape, focus back), the changes per stream, "Accept" clearing the banner
// and saving the refreshed streams; a breaking change's banner as a red alert with its review.
export default async function schema(page, context, lib) {
  const { options, base, step, shot, expectText, assertNoHorizontalScroll, tabTo, expectFocus, STEP_TIMEOUT } = lib;
  const call = async (route, body) => {
    const r = await context.request.post(`${base}/api/v1/${route}`, { data: body, headers: await lib.csrfHeaders(context) });
    if (!r.ok()) throw new Error(`${route}: ${r.status()} ${await r.text()}`);
    return r.json();
  };

  // --- log in ---
  await lib.logIn(page);

  // --- a non-breaking change: the banner with its counts ---
  await page.goto(`${base}/connections/${options.pendingConnectionId}`);
  const banner = page.locator('[data-schema-change="non_breaking"]');
  await banner.waitFor({ timeout: STEP_TIMEOUT });
  await expectText(banner, '1 field added, 1 field removed, 1 field changed type');
  if ((await banner.getAttribute('role')) !== 'status') throw new Error('a non-breaking change is not a status');
  await shot(page, 'schema-banner');
  await page.setViewportSize({ width: 800, height: 900 });
  await assertNoHorizontalScroll(page, 'schema banner');
  await page.setViewportSize({ width: 1280, height: 800 });
  step('non-breaking banner');

  // --- the review dialog, by keyboard: open, the changes, Escape returns the focus ---
  await page.locator('body').focus();
  await tabTo(page, 'Review changes');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Review schema changes' });
  await dialog.waitFor({ timeout: STEP_TIMEOUT });
  await expectFocus(page, 'Cancel');
  const users = dialog.locator('[data-stream="public.users"]');
  await users.waitFor({ timeout: STEP_TIMEOUT });
  await expectText(users, 'email: added (string)');
  await expectText(users, 'name: removed');
  await expectText(users, 'score: integer → string');
  if ((await dialog.locator('li.breaking').count()) !== 0) throw new Error('a non-breaking change is shown as breaking');
  await shot(page, 'schema-review');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  await expectFocus(page, 'Review changes');
  step('review dialog by keyboard');

  // --- accept: the banner goes, the streams have the new field ---
  await page.keyboard.press('Enter');
  await dialog.waitFor({ timeout: STEP_TIMEOUT });
  await users.waitFor({ timeout: STEP_TIMEOUT });
  await tabTo(page, 'Accept');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Schema changes accepted.' }).waitFor({ timeout: STEP_TIMEOUT });
  await banner.waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
  const accepted = await call('connections/get', { connectionId: options.pendingConnectionId });
  if (accepted.schemaChange !== 'no_change') throw new Error(`still pending after Accept: ${accepted.schemaChange}`);
  const fields = Object.keys(accepted.syncCatalog.streams[0].stream.jsonSchema.properties).sort();
  if (fields.join(',') !== 'email,id,score,updated_at') throw new Error(`stored fields after Accept: ${fields}`);
  step('accepted');

  // --- a breaking change: a red alert, and the breaking field marked in the review ---
  await page.goto(`${base}/connections/${options.breakingConnectionId}`);
  const alert = page.locator('[data-schema-change="breaking"]');
  await alert.waitFor({ timeout: STEP_TIMEOUT });
  if ((await alert.getAttribute('role')) !== 'alert') throw new Error('a breaking change is not an alert');
  if (!(await alert.getAttribute('class')).includes('error')) throw new Error('a breaking change is not shown in red');
  await expectText(alert, 'Breaking schema change');
  await expectText(alert, '1 field removed (1 breaking change)');
  await expectText(alert, 'Syncs are disabled');
  await alert.getByRole('button', { name: 'Review changes' }).click();
  await dialog.waitFor({ timeout: STEP_TIMEOUT });
  await expectText(dialog.locator('li.breaking'), 'id: removed');
  await shot(page, 'schema-breaking-review');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  step('breaking banner');
}
