// A viewer in the web UI: own password first, then the connections' status only — no sources,
// destinations or dashboard in the navigation, names not linked, no action offered, and the
// pages of other roles answer "Not for your role". Run by test_web_ui.py.
export default async function viewer(page, context, lib) {
  const { options, base, STEP_TIMEOUT, step, shot } = lib;
  await page.goto(`${base}/`);
  await page.getByLabel('Email').fill(options.email);
  await page.getByLabel('Password').fill(options.password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByLabel('Current password').fill(options.password);
  await page.getByLabel('New password', { exact: true }).fill(options.newPassword);
  await page.getByLabel('New password again').fill(options.newPassword);
  await page.getByRole('button', { name: 'Save the new password' }).click();

  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: STEP_TIMEOUT });
  const row = page.locator(`tr[data-connection-id="${options.connectionId}"]`);
  await row.waitFor({ timeout: STEP_TIMEOUT });
  await row.locator('td.status[data-status="succeeded"]').waitFor({ timeout: STEP_TIMEOUT });
  const seen = await page.evaluate(() => ({
    nav: [...document.querySelectorAll('nav[aria-label="Main"] a')].map((a) => a.textContent),
    links: [...document.querySelectorAll('table.list tbody a')].length,
    enabledButtons: [...document.querySelectorAll('main button')].filter((b) => !b.disabled).map((b) => b.textContent),
    switches: [...document.querySelectorAll('input[role="switch"]')].map((i) => i.disabled),
    records: document.querySelector('table.list tbody td.num')?.textContent,
  }));
  step('viewer sees', seen);
  if (JSON.stringify(seen.nav) !== JSON.stringify(['Connections', 'Settings'])) throw new Error(`viewer navigation: ${seen.nav}`);
  if (seen.links) throw new Error('a viewer gets links to connection pages');
  if (seen.enabledButtons.length) throw new Error(`a viewer is offered ${seen.enabledButtons.join(', ')}`);
  if (!seen.switches.length || seen.switches.some((d) => !d)) throw new Error('a viewer can switch a connection');
  if (seen.records !== options.records) throw new Error(`records shown: ${seen.records}, expected ${options.records}`);
  await shot(page, 'connections-viewer');

  for (const path of ['/sources', `/connections/${options.connectionId}`, '/dashboard', '/destinations/new']) {
    await page.goto(`${base}${path}`);
    await page.getByRole('heading', { name: 'Not for your role' }).waitFor({ timeout: STEP_TIMEOUT });
  }
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor({ timeout: STEP_TIMEOUT });
  await lib.expectText(page.locator('.empty'), "sees the connections' status only");
  await shot(page, 'settings-viewer');
  step('viewer kept to the status');
}
