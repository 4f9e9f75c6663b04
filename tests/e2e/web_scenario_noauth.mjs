// `sluice server --no-auth` in the browser: no login page, the first-run setup, then the app as an
// admin (no "Log out": there is no session). Run by test_web_ui.py.
export default async function noAuth(page, context, lib) {
  const { base, STEP_TIMEOUT, step, shot } = lib;
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Set up your workspace' }).waitFor({ timeout: STEP_TIMEOUT });
  await page.getByLabel('Workspace name').fill('Local');
  await page.getByLabel('Email', { exact: true }).fill('me@localhost.example');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: STEP_TIMEOUT });
  if (await page.getByRole('button', { name: 'Log out' }).count()) throw new Error('"Log out" offered without authentication');
  if (!(await page.getByRole('link', { name: 'New connection' }).count())) throw new Error('no "New connection" for the no-auth admin');
  await page.reload();
  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: STEP_TIMEOUT });
  await shot(page, 'connections-no-auth');
  step('no-auth: straight in');
}
