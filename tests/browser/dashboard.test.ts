// The dashboard in a real browser (Debian's chromium driven by playwright-core) against the real
// local stack: a coordinator refers a patient, a physician triages it from the board, the board
// follows the pathway, and an administrator reads the analytics, exports the CSV and reads the
// service levels (myelography's service level is shortened to seconds so a case goes overdue
// without waiting days). Each screen is saved under screenshots/ for a human to look at.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptTriage } from '../support/fixtures.js';
import { eventually, HAS_CHROMIUM, launchChromium, ROOT, SHOTS } from '../support/browser.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

const LAPTOP = { width: 1366, height: 768 };
const TABLET = { width: 768, height: 1024 };
const TABLET_LANDSCAPE = { width: 1024, height: 768 };
const SECOND_IN_DAYS = 1 / 86_400;
const SYNTHETIC = { givenName: 'Testina', familyName: `Synthetica${Date.now().toString(36)}`, mrn: 'SYN424242' };

let stack: LocalStackUnderTest;
let browser: Browser | undefined;

beforeAll(async () => {
  // `npm test` builds the dashboard first; a direct vitest run builds it if it never was.
  if (!existsSync(`${ROOT}web/dist/index.html`)) {
    execFileSync(process.execPath, [`${ROOT}node_modules/vite/bin/vite.js`, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  }
  stack = await LocalStackUnderTest.start({
    // Only myelography is shortened: the patient the screens follow never reaches it.
    LOCAL_SWEEP_INTERVAL_MS: '300',
    LOCAL_PATHWAY_CONFIG: JSON.stringify({
      serviceLevelDays: { MYELOGRAPHY: 2 * SECOND_IN_DAYS },
      overdue: { reminderAfterDays: 0, escalateAfterDays: 3 * SECOND_IN_DAYS },
    }),
  });
  if (HAS_CHROMIUM) {
    browser = await launchChromium();
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the local server serves the dashboard beside the API', () => {
  it('answers a page load of any dashboard path with index.html, uncached and with security headers', async () => {
    for (const path of ['/', '/board', '/patients/01JZZZZZZZZZZZZZZZZZZZZZZZ']) {
      const res = await fetch(`${stack.apiUrl}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('<div id="root">');
    }
  });

  it('keeps API routes first for API calls', async () => {
    const res = await fetch(`${stack.apiUrl}/patients/01JZZZZZZZZZZZZZZZZZZZZZZZ`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('Unauthorized');
    const list = await stack.api('GET', '/patients', { role: 'coordinator' });
    expect(list.status).toBe(200);
  });

  it('serves hashed assets as immutable and missing files as 404', async () => {
    const html = await (await fetch(`${stack.apiUrl}/board`, { headers: { accept: 'text/html' } })).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const res = await fetch(`${stack.apiUrl}${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${stack.apiUrl}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${stack.apiUrl}/../package.json`)).status).not.toBe(200);
  });

  it('signs in locally with a token the API accepts, and refuses an unknown role', async () => {
    const ok = await fetch(`${stack.apiUrl}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'physician', email: 'doc@example.org', site: 'santa-clara' }),
    });
    expect(ok.status).toBe(200);
    const { token } = (await ok.json()) as { token: string };
    expect((await stack.api('GET', '/patients', { token })).status).toBe(200);
    const bad = await fetch(`${stack.apiUrl}/local/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'root', email: 'x@example.org' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.issues[0].path).toBe('role');
    const form = await fetch(`${stack.apiUrl}/local/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'role=coordinator' });
    expect(form.status).toBe(415);
  });
});

/** Poll `probe` (e.g. clicking Refresh) until `target` is visible. */
async function signIn(context: BrowserContext, role: string, email: string, site = ''): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`page error (${role}):`, err));
  await page.goto(`${stack.apiUrl}/`);
  await page.waitForURL('**/sign-in');
  await page.getByLabel('Role').selectOption(role);
  await page.getByLabel('Email').fill(email);
  if (site) await page.getByLabel('Site').selectOption(site);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

const AXE_SOURCE = readFileSync(`${ROOT}node_modules/axe-core/axe.min.js`, 'utf8');
/** axe-core's WCAG 2.1 A and AA rules, per screen (written to screenshots/axe.json). */
const axeFigures: Record<string, { violations: number; passes: number; rules: string[] }> = {};

interface AxeResult {
  violations: { id: string; impact: string; help: string; nodes: { target: string[]; failureSummary?: string }[] }[];
  passes: unknown[];
}

/** Inject axe-core (through the DevTools protocol, so the page's CSP stays as it is) and scan. */
async function axeScan(page: Page, name: string): Promise<AxeResult> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(`window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })`)) as AxeResult;
  axeFigures[name] = { violations: result.violations.length, passes: result.passes.length, rules: result.violations.map((v) => v.id) };
  writeFileSync(`${SHOTS}/axe.json`, JSON.stringify(axeFigures, null, 2));
  return result;
}

/** A screenshot of the screen for a human, and an axe scan that must find no WCAG 2.1 AA violation. */
async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
  const { violations } = await axeScan(page, name);
  const described = violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  expect(described, `axe on ${name}`).toEqual([]);
}

/** A case's card (board) or row (list) in a stage column or row. */
const caseIn = (page: Page, caseRef: string, stage: string) => page.locator(`[data-stage="${stage}"] [data-case-ref="${caseRef}"], [data-stage="${stage}"][data-case-ref="${caseRef}"]`);

describe.skipIf(!HAS_CHROMIUM)('the dashboard in a browser', () => {
  let caseRef = '';
  let patientId = '';

  it('lets a coordinator sign in and refer a patient through the form', async () => {
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await context.newPage();
    await page.goto(`${stack.apiUrl}/`);
    await page.waitForURL('**/sign-in');
    await shot(page, '01-sign-in');
    await page.close();

    const board = await signIn(context, 'coordinator', 'coordinator@example.org');
    await board.getByRole('heading', { name: 'Board', level: 1 }).waitFor();
    await board.getByRole('button', { name: 'New referral' }).click();
    await board.getByRole('heading', { name: 'New referral', level: 1 }).waitFor();

    // The API's own schema speaks before anything is sent.
    await board.getByRole('button', { name: 'Send referral' }).click();
    const summary = board.getByTestId('error-summary');
    await summary.waitFor();
    expect(await summary.textContent()).toContain('Given name must not be empty');
    await shot(board, '02-referral-validation');

    await board.getByLabel('Site').selectOption('santa-clara');
    await board.getByLabel('Given name').fill(SYNTHETIC.givenName);
    await board.getByLabel('Family name').fill(SYNTHETIC.familyName);
    await board.getByLabel('MRN').fill(SYNTHETIC.mrn);
    await board.getByLabel('Birth date').fill('1984-03-14');
    await board.getByLabel('Sex').selectOption('female');
    await board.getByLabel('Referring physician name').fill('Dr. Example Referrer');
    await board.getByLabel('Referring physician email').fill('referrer@example.org');
    await board.getByLabel('Symptom onset').fill('2026-05-01');
    await board.getByLabel('Orthostatic pattern').selectOption('classic_immediate');
    await board.getByLabel('Baseline HIT-6 (optional)').fill('68');
    await board.getByLabel('Trauma before the headache began').check();
    await board.getByLabel('Tinnitus').check();
    await board.getByLabel('Neck pain or stiffness').check();
    await board.getByRole('button', { name: 'Send referral' }).click();

    const flash = board.getByText(/Referral CSF-\d{4}-\d{6} was received/);
    await flash.waitFor();
    caseRef = /CSF-\d{4}-\d{6}/.exec((await flash.textContent()) ?? '')?.[0] ?? '';
    expect(caseRef).not.toBe('');
    const card = board.locator(`[data-case-ref="${caseRef}"]`);
    await eventually(card, () => board.getByRole('button', { name: 'Refresh' }).click());
    patientId = ((await card.getByRole('link', { name: caseRef }).getAttribute('href')) ?? '').split('/').at(-1) ?? '';
    expect(patientId).toMatch(/^[0-9A-Z]{26}$/);
    expect(await board.locator('main').textContent()).not.toContain(SYNTHETIC.familyName);
    expect(board.url()).not.toContain(SYNTHETIC.familyName);
    await shot(board, '03-board-coordinator');
    await context.close();
  });

  it('lets a physician open the patient from the board, read the recommendation and accept at triage', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'physician', 'neuroradiologist@example.org', 'santa-clara');
    await page.getByRole('heading', { name: 'Waiting on me', level: 1 }).waitFor();
    await eventually(page.getByRole('link', { name: caseRef }), () => page.getByRole('button', { name: 'Refresh' }).click());
    await shot(page, '04-waiting-on-me');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Board' }).click();
    const card = page.locator(`[data-stage="TRIAGE"] [data-case-ref="${caseRef}"]`);
    await eventually(card, () => page.getByRole('button', { name: 'Refresh' }).click());
    await card.getByRole('link', { name: caseRef }).click();
    await page.waitForURL(`**/patients/${patientId}`);
    await page.getByRole('heading', { name: /^Recommendation:/ }).waitFor();
    await page.getByText(SYNTHETIC.familyName).first().waitFor();
    expect(await page.getByRole('heading', { name: 'Pending decision: Triage' }).isVisible()).toBe(true);
    // What the coordinator entered at referral is on the page, the later findings included.
    const facts = page.getByRole('region', { name: 'Patient and pathway' });
    const fact = (term: string) => facts.locator('div', { has: page.locator('dt', { hasText: term }) }).locator('dd');
    expect(await fact('Trauma before onset').textContent()).toBe('Yes');
    // An unticked box is not reported (the form sends only what was ticked).
    expect(await fact('Connective tissue disorder').textContent()).toBe('—');
    expect(await fact('Associated symptoms').textContent()).toBe('Neck pain or stiffness, Tinnitus');
    expect(await page.locator('section[aria-labelledby="rec-title"]').textContent()).toMatch(/R1/);
    // The pathway version the patient runs on, as the record of truth has it.
    const version = (await stack.store().getPatient(patientId))?.pathwayVersion;
    expect(version).toMatch(/^\d+$/);
    const versionBadge = page.getByRole('region', { name: 'Patient and pathway' }).getByTestId('pathway-version');
    expect(await versionBadge.textContent()).toBe(`v${version}`);
    expect(await versionBadge.isVisible()).toBe(true);
    await shot(page, '05-patient-triage');

    // Accepting without the MRI findings is refused with the schema's message, beside the fields.
    await page.getByRole('radio', { name: /^Accept/ }).check();
    await page.getByRole('button', { name: 'Record triage decision' }).click();
    await page.getByTestId('error-summary').waitFor();
    expect(await page.getByTestId('error-summary').textContent()).toContain('is required to accept');
    await shot(page, '06-triage-validation');

    await page.getByLabel('Venous sinus engorgement').check();
    await page.getByLabel('Pachymeningeal enhancement').check();
    await page.getByLabel('Suprasellar cistern (mm)').fill('3.5');
    await page.getByLabel('Prepontine cistern (mm)').fill('4.5');
    await page.getByLabel('Mamillopontine distance (mm)').fill('6');
    await page.getByLabel('SLEC on spine MRI').selectOption('present');
    await page.getByLabel('SLEC location').selectOption('ventral');
    await page.getByLabel('ICHD-3 7.2.3 criteria').selectOption('met');
    await page.getByRole('button', { name: 'Record triage decision' }).click();
    await page.getByText('Triage decision recorded: Accept.').waitFor();
    await page.getByRole('heading', { name: 'Pending decision: Imaging selection' }).waitFor({ timeout: 20_000 });
    await page.getByText(/Bern score 8 \/ 9/).waitFor();
    await shot(page, '07-patient-imaging-selection');
    await context.close();

    // Another site's neuroradiologist and the neurosurgeons neither see it waiting nor get the form.
    for (const [email, site] of [
      ['neuroradiologist@example.org', 'roseville-sacramento'],
      ['neurosurgeon@example.org', 'redwood-city'],
    ] as const) {
      const other = await browser!.newContext({ viewport: LAPTOP });
      const theirs = await signIn(other, 'physician', email, site);
      await theirs.getByTestId('waiting-scope').waitFor();
      await theirs.locator('[data-testid="empty-state"], table').first().waitFor();
      expect(await theirs.getByRole('link', { name: caseRef }).count()).toBe(0);
      await theirs.goto(`${stack.apiUrl}/patients/${patientId}`);
      await theirs.getByTestId('not-your-decision').waitFor();
      expect(await theirs.getByRole('button', { name: /^Record .* decision$/ }).count()).toBe(0);
      if (site === 'redwood-city') await shot(theirs, '07b-patient-not-your-decision');
      await other.close();
    }
  });

  it('shows the patient in imaging selection on the board, on a laptop and on a tablet', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    for (const [name, viewport, layout] of [
      ['08-board-imaging-selection', LAPTOP, 'board'],
      ['09-board-tablet', TABLET, 'list'],
      ['09b-board-tablet-landscape', TABLET_LANDSCAPE, 'list'],
    ] as const) {
      const context = await browser!.newContext({ viewport });
      const page = await signIn(context, 'coordinator', 'coordinator@example.org');
      const card = caseIn(page, caseRef, 'IMAGING_SELECTION');
      await eventually(card, () => page.getByRole('button', { name: 'Refresh' }).click());
      expect(await caseIn(page, caseRef, 'TRIAGE').count()).toBe(0);
      // Who it waits on, from the pathway: the neuroradiologists of the patient's site.
      expect(await card.getByTestId('waiting-on').textContent()).toBe(layout === 'board' ? 'Waiting on Neuroradiology, Santa Clara' : 'Neuroradiology, Santa Clara');
      expect(await page.getByRole('radio', { name: layout === 'board' ? 'Board' : 'List' }).isChecked()).toBe(true);
      if (layout === 'board') expect(await card.getByTestId('pathway-version').textContent()).toMatch(/^Pathway v\d+$/);
      // Nothing scrolls sideways, and nothing scrolls inside the layout.
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await page.locator('.mantine-ScrollArea-root').count()).toBe(0);
      await shot(page, name);
      await context.close();
    }
  });

  it('lets a coordinator put the patient on hold with a reason and resume, by keyboard', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'coordinator', 'coordinator@example.org');
    const card = page.locator(`[data-case-ref="${caseRef}"]`);
    await card.waitFor();
    await card.getByRole('button', { name: `Actions for ${caseRef}` }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('menuitem', { name: 'Put on hold' }).click();
    // The menu fades out while the dialog opens; the accessibility scan reads the settled page
    // (during the fade axe sees a menu on its way out, seen in 2 of 4 runs).
    await page.getByRole('menu').waitFor({ state: 'detached' });
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Hold reason').selectOption('travel');
    await dialog.getByLabel('Note (optional)').fill('Back in two weeks');
    await shot(page, '10-hold-dialog', false);
    await dialog.getByRole('button', { name: 'Put on hold' }).click();
    await page.getByText(`${caseRef} is on hold.`).waitFor();
    await card.getByText('On hold: Travel').waitFor();
    // The clock is stopped: no past due date, the time left once resumed instead.
    expect(await card.getByTestId('due').textContent()).toMatch(/^Clock stopped · \d+ (min|hours?|days?) left when resumed$/);
    await shot(page, '11-board-on-hold');
    await card.getByRole('button', { name: `Actions for ${caseRef}` }).click();
    await page.getByRole('menuitem', { name: 'Resume' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resume' }).click();
    await page.getByText(`${caseRef} resumed.`).waitFor();
    await context.close();
  });

  it('shows an administrator the charts, downloads the CSV and pages the audit trail', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    const context = await browser!.newContext({ viewport: LAPTOP, acceptDownloads: true });
    const page = await signIn(context, 'administrator', 'administrator@example.org');
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    await page.locator('.recharts-surface').nth(2).waitFor();
    expect(await page.locator('.recharts-surface').count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('heading', { name: 'Patients', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Myelograms and procedures' }).waitFor();
    await shot(page, '12-analytics');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^throughput-\d{4}-\d{2}-\d{4}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toBe('month,measure,unit,stage,breakdown,value');
    const referralRows = csv.split('\n').filter((l) => /^\d{4}-\d{2},referrals,patients,/.test(l));
    const referred = referralRows.reduce((n, l) => n + Number(l.split(',').at(-1)), 0);
    expect(await page.getByText(new RegExp(`: ${referred} patients? referred`)).count()).toBe(1);
    expect(csv).not.toContain(SYNTHETIC.familyName);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    // By case reference, newest first, to the second; the filters go into the address.
    await page.getByLabel('Case', { exact: true }).fill(caseRef);
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(`Page 1: 10 events for ${caseRef}, newest first`).waitFor();
    expect(page.url()).toContain(`case=${caseRef}`);
    const times = await page.getByTestId('audit-table').locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);
    expect(await page.getByTestId('audit-table').locator('tbody tr td').first().textContent()).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    await shot(page, '13-audit');
    await page.getByRole('button', { name: 'Older events' }).click();
    await page.getByText('Page 2:').waitFor();
    // By action and actor: the physician's triage decision.
    await page.getByLabel('Action').selectOption('decision_recorded');
    await page.getByLabel('Actor').fill('neuroradiologist@');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(`Page 1: 1 event for ${caseRef}, newest first`).waitFor();
    await page.getByRole('cell', { name: 'Decision recorded' }).waitFor();
    // A reload keeps the filters; an impossible range says so instead of loading forever.
    await page.reload();
    await page.getByText(`Page 1: 1 event for ${caseRef}, newest first`).waitFor();
    await page.getByLabel('From', { exact: true }).fill('2026-12-31');
    await page.getByLabel('To', { exact: true }).fill('2026-01-01');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('error-summary').getByText('To must not be before from').waitFor();
    expect(await page.getByTestId('loading').count()).toBe(0);
    await shot(page, '13b-audit-invalid-range');
    await context.close();
  });

  it('shows an administrator the service levels: shares by stage and month, and the overdue list', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    const today = new Date().toISOString().slice(0, 10);
    // Two patients reach myelography, whose service level is two seconds: one is decided late,
    // the other stays overdue (reminded, then escalated by the sweep).
    const toMyelography = async () => {
      const p = await stack.refer();
      await stack.waitForPending(p.patientId, 'TRIAGE');
      expect((await stack.api('POST', `/patients/${p.patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
      await stack.waitForPending(p.patientId, 'IMAGING_SELECTION');
      const technique = (await stack.api('GET', `/patients/${p.patientId}`, { role: 'physician' })).body.recommendation.recommended as string;
      expect((await stack.api('POST', `/patients/${p.patientId}/decisions`, { role: 'physician', body: { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique } })).status).toBe(202);
      await stack.waitForPending(p.patientId, 'MYELOGRAPHY');
      const actions = async () => (await stack.store().patientTimeline(p.patientId)).map((e) => e.action);
      await stack.waitFor(`${p.caseRef} escalated`, async () => (await actions()).includes('overdue_escalated'), 20_000);
      return { ...p, technique };
    };
    const [late, open] = await Promise.all([toMyelography(), toMyelography()]);
    const leakFound = { stage: 'MYELOGRAPHY', outcome: 'leak_found', technique: late.technique, performedOn: today, leak: { type: 'ventral_dural_tear', level: 'T7-T8', side: 'ventral', speed: 'fast' } };
    expect((await stack.api('POST', `/patients/${late.patientId}/decisions`, { role: 'physician', body: leakFound })).status).toBe(202);
    await stack.waitForPending(late.patientId, 'TREATMENT_PLANNING');

    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'administrator', 'administrator@example.org');
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();
    // By keyboard, from the main navigation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service levels' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL('**/service-levels');
    await page.getByRole('heading', { name: 'Service levels', level: 1 }).waitFor();
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1');

    const table = page.getByTestId('sla-table');
    await table.waitFor();
    const myelography = table.locator('tr[data-stage="MYELOGRAPHY"]');
    expect(await myelography.locator('td').allTextContents()).toEqual([expect.any(String), 'Myelography', '1', '0', '0%', expect.stringMatching(/^\d+ d$/), expect.stringMatching(/^\d+ d$/)]);
    expect(await table.locator('tr[data-stage="TRIAGE"] td').nth(4).textContent()).toBe('100%');
    expect(await page.locator('.recharts-wrapper').count()).toBe(2);

    const overdue = page.getByTestId('overdue-table');
    const row = overdue.locator(`tr[data-case-ref="${open.caseRef}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(0, 3)).toEqual([open.caseRef, 'Myelography', 'Santa Clara']);
    expect(cells[4]).toMatch(/^\d+ (min|hours?|days?)$/);
    expect(await row.getByRole('link', { name: open.caseRef, exact: true }).getAttribute('href')).toBe(`/patients/${open.patientId}`);
    expect(await overdue.locator(`tr[data-case-ref="${late.caseRef}"]`).count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('Synthetica');
    await shot(page, '14-service-levels');

    // The stage filter narrows the monthly chart; a range that ends before it starts is refused.
    await page.getByLabel('Stage', { exact: true }).selectOption('MYELOGRAPHY');
    await page.getByText('Share of decisions made by their due date, per month, at myelography.').waitFor();
    await page.getByLabel('From month').fill('2026-12');
    await page.getByLabel('To month').fill('2026-01');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText('To must not be before from').waitFor();

    // The overdue case's own events, with the sweep's reminder and escalation in words.
    await row.getByRole('link', { name: `Audit trail of ${open.caseRef}` }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    expect(await page.getByLabel('Case', { exact: true }).inputValue()).toBe(open.caseRef);
    await page.getByRole('cell', { name: 'Overdue reminder sent' }).waitFor();
    await page.getByRole('cell', { name: 'Overdue, escalated to site lead' }).waitFor();
    await shot(page, '15-audit-overdue');
    await context.close();

    const tablet = await browser!.newContext({ viewport: TABLET });
    const onTablet = await signIn(tablet, 'administrator', 'administrator@example.org');
    await onTablet.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Service levels' }).click();
    await onTablet.getByTestId('overdue-table').waitFor();
    expect(await onTablet.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot(onTablet, '16-service-levels-tablet');
    await tablet.close();
  });

  it('keeps one session across tabs, warns before it ends, sends a typed form after a re-sign-in, and signs out an idle user', async () => {
    expect(patientId, 'the referral test must have created a patient').not.toBe('');
    const context = await browser!.newContext({ viewport: LAPTOP });
    const page = await signIn(context, 'coordinator', 'coordinator@example.org');
    // A link opened in a new tab (from an email) is already signed in.
    const second = await context.newPage();
    await second.goto(`${stack.apiUrl}/patients/${patientId}`);
    await second.getByRole('heading', { name: new RegExp(caseRef), level: 1 }).waitFor();
    expect(second.url()).not.toContain('/sign-in');

    // A token about to expire: the warning says when, before anything is lost.
    await page.evaluate(`(async () => {
      const res = await fetch('/local/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'coordinator', email: 'coordinator@example.org', expiresInSeconds: 200 }) });
      localStorage.setItem('csf-pathway.token', (await res.json()).token);
    })()`);
    await page.goto(`${stack.apiUrl}/patients/${patientId}`);
    await page.getByTestId('expiry-warning').waitFor();
    await shot(page, '17-session-expiry-warning');

    // The API refuses the token while a form is being filled in: after signing in again the
    // typed hold is sent as it was.
    await page.getByRole('button', { name: 'Put on hold' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Hold reason').waitFor();
    // The dialog opens on its first field, not on its close button.
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.id === 'field-reason');
    await dialog.getByLabel('Hold reason').selectOption('anticoagulation');
    await dialog.getByLabel('Note (optional)').fill('Stopping anticoagulation first');
    // A token the API refuses (its signature altered), as after a revocation.
    await page.evaluate(`(() => {
      const t = localStorage.getItem('csf-pathway.token') || '';
      localStorage.setItem('csf-pathway.token', t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA'));
    })()`);
    await dialog.getByRole('button', { name: 'Put on hold' }).click();
    await page.getByRole('dialog', { name: 'Your session has ended' }).waitFor();
    await shot(page, '18-session-re-sign-in', false);
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByText(`${caseRef} is on hold.`).waitFor();
    expect((await stack.store().getPatient(patientId))?.hold).toMatchObject({ reason: 'anticoagulation', note: 'Stopping anticoagulation first' });
    // Focus moved to the result.
    await page.waitForFunction(() => (globalThis as any).document.activeElement?.getAttribute('data-testid') === 'patient-notice');
    await page.getByTestId('hold-summary').getByText(/Clock stopped/).waitFor();
    await shot(page, '19-patient-on-hold');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Resume' }).click();
    await page.getByText(`${caseRef} resumed.`).waitFor();

    // A stale page: another coordinator puts the patient on hold; this page's hold is refused
    // (409), and the page reloads and says what changed.
    expect((await stack.api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', email: 'other.coordinator@example.org', body: { reason: 'scanner_capacity' } })).status).toBe(202);
    await page.getByRole('button', { name: 'Put on hold' }).click();
    await page.getByRole('dialog').getByLabel('Hold reason').selectOption('travel');
    await page.getByRole('dialog').getByRole('button', { name: 'Put on hold' }).click();
    const notice = page.getByTestId('patient-notice');
    await notice.getByText(/changed while the page was open/).waitFor();
    expect(await notice.textContent()).toContain('hold started by other.coordinator@example.org');
    await page.getByTestId('hold-summary').getByText(/Scanner capacity/).waitFor();
    await shot(page, '19b-patient-conflict');
    expect((await stack.api('POST', `/patients/${patientId}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);

    // Idle logout: a short idle time for this browser (a browser may only shorten it).
    await page.evaluate(`localStorage.setItem('csf-pathway.idle-minutes', '0.1')`);
    await page.reload();
    await page.getByRole('dialog', { name: 'Are you still there?' }).waitFor();
    await shot(page, '20-idle-warning', false);
    await page.waitForURL('**/sign-in', { timeout: 20_000 });
    await page.getByTestId('signed-out-reason').waitFor();
    expect(await page.evaluate('localStorage.getItem("csf-pathway.token")')).toBeNull();
    // ... in every tab.
    await second.waitForURL('**/sign-in', { timeout: 20_000 });
    await shot(page, '21-signed-out-idle');
    await context.close();
  });
});
