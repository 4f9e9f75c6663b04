// A connection's normalization setting and after-sync operations in the web UI (run by
// test_web_operations.py through web_driver.mjs): normalization basic then none (checked through
// the API), a dbt operation added with a bad project folder (the server's 422 shown), fixed,
// a webhook operation added, edited and moved first, the dbt one removed after a confirm; a SQL
// script refused for its COMMIT (the line named under the field), fixed, saved and removed; a
// command with environment and secret environment (a bad NAME=value line refused in the page;
// the secret shown masked when edited and kept); then "Sync now" until 🟢 and the job's row
// showing the webhook and command steps succeeded.
export default async function operations(page, context, lib) {
  const { options, base, step, shot, expectText, assertNoHorizontalScroll, STEP_TIMEOUT } = lib;
  const call = async (route, body) => {
    const r = await context.request.post(`${base}/api/v1/${route}`, { data: body, headers: await lib.csrfHeaders(context) });
    const text = await r.text();
    if (!r.ok()) throw new Error(`${route}: ${r.status()} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const listed = async () => (await call('operations/list', { connectionId: options.connectionId })).operations;
  const status = (text) => page.getByRole('status').filter({ hasText: text }).waitFor({ timeout: STEP_TIMEOUT });

  await lib.logIn(page);
  await page.goto(`${base}/connections/${options.connectionId}`);
  await page.getByRole('heading', { name: 'Normalization and operations' }).waitFor({ timeout: STEP_TIMEOUT });

  // --- normalization: basic, then none ---
  const normalization = page.getByLabel('Normalization', { exact: true });
  if ((await normalization.inputValue()) !== 'none') throw new Error('a new connection shows normalization on');
  await normalization.selectOption('basic');
  await status('Basic normalization on');
  {
    const ops = await listed();
    if (ops.length !== 1 || ops[0].operatorConfiguration.operatorType !== 'normalization' || ops[0].operatorConfiguration.normalization.option !== 'basic')
      throw new Error(`normalization not stored: ${JSON.stringify(ops)}`);
  }
  await page.reload();
  await page.getByRole('heading', { name: 'Normalization and operations' }).waitFor({ timeout: STEP_TIMEOUT });
  if ((await normalization.inputValue()) !== 'basic') throw new Error('normalization basic not shown after a reload');
  step('normalization basic stored');

  // --- a dbt operation: the server's check names the bad folder ---
  await page.getByRole('button', { name: 'Add an operation' }).click();
  await page.getByLabel(/^Name/).fill('city counts');
  await page.getByLabel(/^Project folder or git URL/).fill('not a url or absolute path');
  await page.getByLabel('dbt arguments').fill('build --select city_counts');
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Save operation' }).click();
  await page.locator('form [role=alert]').waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  step('dbt 422', { message: await page.locator('form [role=alert]').innerText() });
  await page.getByLabel(/^Project folder or git URL/).fill(options.project);
  await shot(page, 'operation-form');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation city counts added.');
  await expectText(page.getByRole('table', { name: 'Operations' }), 'dbt build --select city_counts');

  // --- a webhook operation, edited, moved first ---
  await page.getByRole('button', { name: 'Add an operation' }).click();
  await page.getByLabel(/^Name/).fill('notify');
  await page.getByLabel('Type').selectOption('webhook');
  await page.getByLabel(/^Webhook URL/).fill(options.hookUrl);
  await page.getByLabel('Request body (JSON)').fill('{"event": "first"}');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation notify added.');
  await page.getByRole('button', { name: 'Edit notify' }).click();
  await page.getByLabel('Request body (JSON)').fill('{"event": "synced"}');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation notify saved.');
  await page.getByRole('button', { name: 'Move notify up' }).click();
  await status('Operation notify moved.');
  {
    const ops = await listed();
    const names = ops.map((o) => o.name).join(',');
    if (names !== 'Normalization,notify,city counts') throw new Error(`operation order: ${names}`);
    if (ops[1].operatorConfiguration.webhook.executionBody !== '{"event": "synced"}') throw new Error('webhook edit not stored');
  }
  await page.setViewportSize({ width: 800, height: 900 });
  await assertNoHorizontalScroll(page, 'operations');
  await shot(page, 'operations-800');
  await page.setViewportSize({ width: 1280, height: 800 });
  step('operations stored');

  // --- a SQL script: the server names the line of its COMMIT; fixed; then removed ---
  await page.getByRole('button', { name: 'Add an operation' }).click();
  await page.getByLabel(/^Name/).fill('marts');
  await page.getByLabel('Type').selectOption('sql');
  await page.getByLabel(/^SQL script/).fill('create table user_count as select count(*) from users;\ncommit;');
  lib.allowHttpErrors(true);
  await page.getByRole('button', { name: 'Save operation' }).click();
  const sqlError = page.locator('#op-operatorConfiguration\\.operatorSql\\.sql-error');
  await sqlError.waitFor({ timeout: STEP_TIMEOUT });
  lib.allowHttpErrors(false);
  const sqlMessage = await sqlError.innerText();
  if (!sqlMessage.includes('line 2')) throw new Error(`the SQL error does not name line 2: ${sqlMessage}`);
  step('sql 422', { message: sqlMessage });
  await page.getByLabel(/^SQL script/).fill('create table user_count as select count(*) from users;\ncreate view v as select * from user_count;');
  await page.getByLabel('Schema').fill('marts');
  await shot(page, 'operation-form-sql');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation marts added.');
  await expectText(page.getByRole('table', { name: 'Operations' }), 'SQL script (2 statements)');
  {
    const ops = await listed();
    const sql = ops.find((o) => o.name === 'marts');
    if (!sql || sql.operatorConfiguration.operatorType !== 'sql' || sql.operatorConfiguration.operatorSql.schema !== 'marts'
      || !sql.operatorConfiguration.operatorSql.sql.includes('create view v'))
      throw new Error(`sql operation not stored: ${JSON.stringify(sql)}`);
  }
  await page.getByRole('button', { name: 'Remove marts' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await status('Operation marts removed.');
  step('sql stored');

  // --- a command with environment and a secret: masked when edited, kept when saved back ---
  await page.getByRole('button', { name: 'Add an operation' }).click();
  await page.getByLabel(/^Name/).fill('write file');
  await page.getByLabel('Type').selectOption('command');
  await page.getByLabel(/^Program and arguments/).fill(`sh\n-c\necho "$GREETING from $TOKEN" > ${options.outFile}`);
  await page.getByLabel('Environment', { exact: true }).fill('GREETING hello');
  await page.getByLabel('Secret environment').fill('TOKEN=web-5ecret');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await expectText(page.locator('form [role=alert]'), 'Environment, line 1: expected NAME=value');
  await page.getByLabel('Environment', { exact: true }).fill('GREETING=hello');
  await page.getByLabel('Timeout (seconds)').fill('60');
  await shot(page, 'operation-form-command');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation write file added.');
  await expectText(page.getByRole('table', { name: 'Operations' }), '$ sh -c');
  await page.getByRole('button', { name: 'Edit write file' }).click();
  const secret = await page.getByLabel('Secret environment').inputValue();
  if (secret !== 'TOKEN=**********') throw new Error(`the secret is not masked in the form: ${secret}`);
  await page.getByLabel('Environment', { exact: true }).fill('GREETING=hi');
  await page.getByRole('button', { name: 'Save operation' }).click();
  await status('Operation write file saved.');
  {
    const ops = await listed();
    const cmd = ops.find((o) => o.name === 'write file');
    const c = cmd && cmd.operatorConfiguration.operatorCommand;
    if (!c || c.command.length !== 3 || c.command[0] !== 'sh' || c.environment.GREETING !== 'hi'
      || c.secretEnvironment.TOKEN !== '**********' || c.timeoutSeconds !== 60)
      throw new Error(`command operation not stored: ${JSON.stringify(cmd)}`);
  }
  step('command stored');

  // --- remove the dbt one (confirm) and normalization off (a local destination has none) ---
  await page.getByRole('button', { name: 'Remove city counts' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await status('Operation city counts removed.');
  await normalization.selectOption('none');
  await status('Normalization off');
  {
    const ops = await listed();
    if (ops.map((o) => o.name).join(',') !== 'notify,write file') throw new Error(`after removing: ${JSON.stringify(ops)}`);
  }

  // --- a sync: the webhook's step in the job's row ---
  await page.getByRole('button', { name: 'Sync now' }).click();
  const row = page.locator('tr[data-job-id]').first();
  await row.locator('[data-status="succeeded"]').waitFor({ timeout: 90000 });
  const stepItem = row.locator('li[data-step="notify"]');
  await stepItem.waitFor({ timeout: STEP_TIMEOUT });
  if ((await stepItem.getAttribute('data-step-status')) !== 'succeeded') throw new Error(`step: ${await stepItem.innerText()}`);
  const commandItem = row.locator('li[data-step="write file"]');
  await commandItem.waitFor({ timeout: STEP_TIMEOUT });
  if ((await commandItem.getAttribute('data-step-status')) !== 'succeeded') throw new Error(`step: ${await commandItem.innerText()}`);
  await shot(page, 'operation-steps');
  step('step shown', { text: await stepItem.innerText() });
  step('done');
}
