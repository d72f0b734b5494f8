// Drives the Briefcase web console in the Debian chromium through playwright-core:
// log in, open Approvals, approve one pending approval, open Receipts and find that approval's
// receipt; screenshots go to SHOT_DIR. Prints one JSON line {ok, screenshots, ...} on stdout.
// Environment: CONSOLE_URL, CONSOLE_USER, CONSOLE_PASSWORD, APPROVAL_ID, EVIL_TOOL, SHOT_DIR,
// USER_DATA_DIR, CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing ${name}`);
  return v;
};
const base = env('CONSOLE_URL');
const approval = env('APPROVAL_ID');
const shots = env('SHOT_DIR');
const evil = process.env.EVIL_TOOL || '';
const result = { ok: false, screenshots: [], steps: [] };
const step = (s) => { result.steps.push(s); process.stderr.write(`[browser] ${s}\n`); };

const context = await chromium.launchPersistentContext(env('USER_DATA_DIR'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  httpCredentials: { username: env('CONSOLE_USER'), password: env('CONSOLE_PASSWORD') },
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || (await context.newPage());
let dialogs = 0;
page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });
const shot = async (name) => {
  const file = path.join(shots, name);
  await page.screenshot({ path: file, fullPage: true });
  result.screenshots.push(file);
};
try {
  // log in (HTTP Basic through the browser's credentials) and open Approvals
  const res = await page.goto(`${base}/briefcase-approvals`, { waitUntil: 'load' });
  if (res.status() !== 200) throw new Error(`approvals page answered ${res.status()}`);
  step('logged in, approvals page');
  const row = page.locator(`tr[data-approval-id="${approval}"]`);
  await row.waitFor({ state: 'visible', timeout: 10000 });
  result.toolShown = (await row.locator('td.tool').innerText()).trim();
  result.argsShown = (await row.locator('pre.args').innerText()).trim();
  await shot('01-approvals.png');

  // approve: the form posts with its CSRF token; the page comes back with the outcome
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator(`#approve-${approval}`).click(),
  ]);
  const flash = page.locator('#briefcase-flash');
  await flash.waitFor({ state: 'visible', timeout: 10000 });
  result.flash = (await flash.innerText()).trim();
  if ((await flash.getAttribute('data-ok')) !== 'true') throw new Error(`approve failed: ${result.flash}`);
  if ((await page.locator(`tr[data-approval-id="${approval}"]`).count()) !== 0) {
    throw new Error('the approval is still listed as pending');
  }
  result.approvalToken = (await page.locator('#approval-token code').innerText()).trim();
  step('approved');
  await shot('02-approved.png');

  // the receipt of that approval, and the chain status
  await page.goto(`${base}/briefcase-receipts`, { waitUntil: 'load' });
  const receipt = page.locator(`tr[data-type="approval_decision"][data-approval-id="${approval}"]`);
  await receipt.waitFor({ state: 'visible', timeout: 10000 });
  result.receiptText = (await receipt.innerText()).replace(/\s+/g, ' ').trim();
  result.chainOk = (await page.locator('#chain-status').getAttribute('data-ok')) === 'true';
  // agent-chosen markup in a tool id is text, not DOM
  result.injectedImages = await page.locator('img[src="x"]').count();
  if (evil) {
    result.evilShownAsText = (await page.locator('td.subject', { hasText: evil }).count()) > 0;
  }
  await receipt.scrollIntoViewIfNeeded();
  step('receipt found');
  await shot('03-receipts.png');
  result.dialogs = dialogs;
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack ? e.stack : e);
  try { await shot('failure.png'); } catch (_) { /* ignore */ }
} finally {
  await context.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
