// The team's work in a real browser (Debian's chromium, playwright-core) against the real local
// stack: a coordinator claims a case, books it, notes it and sets a follow-up from the patient
// page, finds it on "My work", and bulk-reassigns from the board; a physician claims from their
// team's unassigned list; a referring doctor follows their patient and answers a request for
// information. Screens are saved under screenshots/.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, HAS_CHROMIUM, launchChromium, ROOT, SHOTS } from '../support/browser.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

const LAPTOP = { width: 1366, height: 900 };
const REFERRER = 'dr.browser@example.org';

let stack: LocalStackUnderTest;
let browser: Browser | undefined;
let mine: { patientId: string; caseRef: string };
let other: { patientId: string; caseRef: string };

beforeAll(async () => {
  if (!existsSync(`${ROOT}web/dist/index.html`)) {
    execFileSync(process.execPath, [`${ROOT}node_modules/vite/bin/vite.js`, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  stack = await LocalStackUnderTest.start();
  mine = await stack.refer({ site: 'santa-clara', referringPhysician: { name: 'Dr. Browser', email: REFERRER } });
  other = await stack.refer({ site: 'santa-clara' });
  await stack.waitForPending(mine.patientId, 'TRIAGE');
  await stack.waitForPending(other.patientId, 'TRIAGE');
  if (HAS_CHROMIUM) {
    browser = await launchChromium();
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function signIn(context: BrowserContext, role: string, email: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`page error (${role}):`, err));
  await page.goto(`${stack.apiUrl}/`);
  await page.waitForURL('**/sign-in');
  await page.getByLabel('Role').selectOption(role);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

describe.skipIf(!HAS_CHROMIUM)('team work in the dashboard', () => {
  it("runs a coordinator's morning: claim, book, note, chase, then find it all on My work", async () => {
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'coordinator', 'coordinator@example.org');
    await page.goto(`${stack.apiUrl}/patients/${mine.patientId}`);
    const panel = page.getByTestId('case-work');
    await panel.waitFor();

    await panel.getByTestId('owner').getByRole('button', { name: 'Claim' }).click();
    await panel.getByTestId('owner').getByText('Casey Coordinator (coordinator@example.org)').waitFor();

    await panel.getByLabel('Scanner, room or phone').fill('CT 2');
    await panel.getByLabel('Time').fill('10:15');
    await panel.getByRole('button', { name: 'Book', exact: true }).click();
    const bookings = panel.getByTestId('bookings');
    await bookings.waitFor();
    expect(await bookings.textContent()).toMatch(/Myelography.*10:15 P[SD]T.*Santa Clara, Scanner CT 2.*Booked/);

    await panel.getByLabel('New note').fill('Phoned the patient: prefers mornings.');
    await panel.getByRole('button', { name: 'Add note' }).click();
    await panel.getByTestId('notes').getByText('Phoned the patient: prefers mornings.').waitFor();
    expect(await panel.getByTestId('notes').getByRole('button', { name: 'Correct' }).count()).toBe(1);

    const today = await page.evaluate(() => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(new Date()));
    await panel.getByTestId('follow-up').getByLabel('On').fill(today);
    await panel.getByTestId('follow-up').getByLabel('What to do').fill('Chase outside records');
    await panel.getByTestId('follow-up').getByRole('button', { name: 'Set' }).click();
    await panel.getByTestId('follow-up').getByText(`${today}: Chase outside records`).waitFor();
    await shot(page, 'team-01-case-work-panel');

    await nav(page, 'My work');
    await page.getByRole('heading', { name: 'My work', level: 1 }).waitFor();
    await page.getByTestId('follow-ups-due').locator(`[data-case-ref="${mine.caseRef}"]`).waitFor();
    await page.getByTestId('owned').locator(`[data-case-ref="${mine.caseRef}"]`).waitFor();
    await shot(page, 'team-02-my-work-coordinator');
    await context.close();
  });

  it('bulk-reassigns from the board and shows each result; a saved filter comes back', async () => {
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'coordinator', 'coordinator@example.org');
    await page.getByRole('heading', { name: 'Board', level: 1 }).waitFor();
    await eventually(page.locator(`[data-case-ref="${other.caseRef}"]`), () => page.getByRole('button', { name: 'Refresh' }).click());

    await page.getByLabel('Site').first().selectOption('santa-clara');
    await page.getByLabel('Save these filters as').fill('Santa Clara open');
    await page.getByRole('button', { name: 'Save filter' }).click();
    await page.getByLabel('Saved filters').locator('option', { hasText: 'Santa Clara open' }).waitFor({ state: 'attached' });

    await page.getByRole('button', { name: 'Bulk actions…' }).click();
    const bar = page.getByTestId('bulk-actions');
    await bar.getByLabel(mine.caseRef).check();
    await bar.getByLabel(other.caseRef).check();
    await bar.getByLabel('New owner').selectOption('coordinator.two@example.org');
    await bar.getByRole('button', { name: 'Apply to 2' }).click();
    const results = bar.getByTestId('bulk-results');
    await results.waitFor();
    expect(await results.textContent()).toContain(`${mine.caseRef}Done`);
    expect(await results.textContent()).toContain(`${other.caseRef}Done`);
    await shot(page, 'team-03-board-bulk');
    const owner = await stack.api('GET', `/patients/${other.patientId}/work`, { role: 'coordinator' });
    expect(owner.body.owner.email).toBe('coordinator.two@example.org');
    await context.close();
  });

  it("lets a physician claim from their team's unassigned list onto their own queue", async () => {
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'physician', 'nr1.santa-clara@example.org');
    await nav(page, 'My work');
    const row = page.getByTestId('team-unassigned').locator(`[data-case-ref="${other.caseRef}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: `Claim ${other.caseRef}` }).click();
    await page.getByTestId('assigned').locator(`[data-case-ref="${other.caseRef}"]`).waitFor();
    await shot(page, 'team-04-my-work-physician');
    await context.close();
  });

  it('lets a referring doctor follow their patient and answer a request for information', async () => {
    const asked = await stack.api('POST', `/patients/${mine.patientId}/decisions`, { role: 'physician', body: { stage: 'TRIAGE', outcome: 'request_info', reason: 'Please send the outside MRI report.' } });
    expect(asked.status, asked.text).toBe(202);
    await stack.waitFor('triage again', async () => {
      const p = await stack.store().getPatient(mine.patientId);
      return p?.pendingDecision?.stage === 'TRIAGE' && p.lastStep > 2 && p.taskToken && !p.decidedAt ? p : undefined;
    });
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'referrer', REFERRER);
    await page.getByRole('heading', { name: 'My referrals', level: 1 }).waitFor();
    const row = page.getByTestId('referrals').locator(`[data-case-ref="${mine.caseRef}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Information requested');
    expect(await page.getByTestId('referrals').textContent()).not.toContain(other.caseRef);
    await shot(page, 'team-05-referrer-list');

    await row.getByRole('link', { name: mine.caseRef }).click();
    const request = page.getByTestId('information-request');
    await request.getByText('Please send the outside MRI report.').waitFor();
    expect(await page.getByTestId('referrer-bookings').textContent()).toMatch(/Myelography.*10:15/);
    await request.getByLabel('Your answer').fill('Report attached: MRI 2026-10-02.');
    await request.getByRole('button', { name: 'Send the information' }).click();
    await page.getByText('Thank you: the program has your information').waitFor();
    await shot(page, 'team-06-referrer-answered');

    await page.goto(`${stack.apiUrl}/referrer/patients/${other.patientId}`);
    await page.getByText('There is no such referral of yours.').waitFor();
    await context.close();
  });
});
