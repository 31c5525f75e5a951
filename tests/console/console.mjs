// console.mjs: drives Debian's Chromium through the sipcfg web console
// (issue 14 §3) with playwright-core, for tests/e2e/console.sh, which
// starts the daemon, makes the store and the tokens, and passes them in
// the environment:
//   ADMIN     https://127.0.0.1:PORT (the admin listener)
//   TOKEN     a write token, TOKEN_NAME its name; RTOKEN a read token
//   DEV, MAC  the demo device's sfua-id and MAC; PW, LINE_PW its secrets
//   LABEL     a device's hostile label (must show as text)
//   B, HOSTILE_UA  a device that fetched with a hostile User-Agent
//   UA_MODEL, UA_FW  what the device's User-Agent said
//   SIPCFG, STORE    the CLI and the store, to change it behind the page
//   SHOT      where to save the screenshot ("" for none)
//   CHROMIUM  the browser (default /usr/bin/chromium)
// It prints one line per check, "ok - WHAT" or "not ok - WHAT: WHY", which
// console.sh turns into TAP; a check the next steps depend on stops the
// run.  Bad input first: a wrong token, then the real one.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = (k, d) => {
	const v = process.env[k] ?? d;
	if (v === undefined) {
		console.log(`not ok - environment: ${k} is not set`);
		process.exit(1);
	}
	return v;
};
const ADMIN = env('ADMIN'), TOKEN = env('TOKEN'), TOKEN_NAME = env('TOKEN_NAME');
const RTOKEN = env('RTOKEN');
const DEV = env('DEV'), MAC = env('MAC'), PW = env('PW'), LINE_PW = env('LINE_PW');
const LABEL = env('LABEL'), UA_MODEL = env('UA_MODEL'), UA_FW = env('UA_FW');
const B = env('B'), HOSTILE_UA = env('HOSTILE_UA');
const SIPCFG = env('SIPCFG'), STORE = env('STORE'), SHOT = env('SHOT', '');

class Stop extends Error {}
let failed = 0;
function check(what, cond, why) {
	if (cond) {
		console.log(`ok - ${what}`);
	} else {
		failed++;
		console.log(`not ok - ${what}: ${String(why ?? 'false').replace(/\s+/g, ' ').slice(0, 400)}`);
	}
	return cond;
}
function must(what, cond, why) {
	if (!check(what, cond, why))
		throw new Stop(what);
}
// attempt(what, fn): fn's value, or a failed check with the exception.
async function attempt(what, fn) {
	try {
		const v = await fn();
		check(what, true);
		return v;
	} catch (e) {
		must(what, false, e.message.split('\n')[0]);
	}
}
const sc = (...a) => execFileSync(SIPCFG, ['-d', STORE, ...a],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox'],
});
const ctx = await browser.newContext({ ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 800 } });
ctx.setDefaultTimeout(10000);
// Runs before the page's own scripts, outside its CSP: records every
// violation the policy reports.
await ctx.addInitScript(() => {
	window.__csp = [];
	document.addEventListener('securitypolicyviolation', (e) =>
	    window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
});
const page = await ctx.newPage();
const consoleErrors = [], pageErrors = [], dialogs = [];
page.on('console', (m) => {
	if (m.type() === 'error' || m.type() === 'warning')
		consoleErrors.push(`${m.type()}: ${m.text()}`);
});
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });

const bodyText = () => page.locator('body').innerText();
const alertText = async () => (await page.locator('#error').isVisible()) ?
    page.locator('#error').innerText() : '';

try {
	// ---------------------------------------------------------- the page
	const resp = await page.goto(`${ADMIN}/console/`);
	must('GET /console/ answers 200', resp && resp.status() === 200,
	    resp && resp.status());
	const csp = (await resp.allHeaders())['content-security-policy'] || '';
	check('the page carries a strict Content-Security-Policy',
	    /default-src 'none'/.test(csp) && /script-src 'self'/.test(csp) &&
	    /style-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp) &&
	    !/unsafe-(inline|eval)/.test(csp), csp || 'no header');
	await attempt('without a token the console shows the login page',
	    () => page.waitForURL(/#\/login$/));
	must('... with a token field', await page.locator('#token').isVisible());

	// ---------------------------------------------------------- bad input
	await page.fill('#token', 'not a token');
	await page.click('#login');
	await attempt('a malformed token is refused with a visible error',
	    () => page.locator('#error').getByText('Not a token').waitFor());
	const wrong = 'sipcfg_' + '0'.repeat(64);
	await page.fill('#token', wrong);
	await page.click('#login');
	await attempt('a wrong token is refused with a visible error', () =>
	    page.locator('#error').getByText(/refused/i).waitFor());
	const refusal = await alertText();
	check('... that says what the daemon said (the 401 problem title)',
	    /refused: \S/i.test(refusal), refusal);
	check('... and the page stays on the login', /#\/login$/.test(page.url()) &&
	    await page.locator('#token').isVisible(), page.url());
	check('... and keeps no token', await page.evaluate(() =>
	    sessionStorage.length === 0 && localStorage.length === 0));

	// ---------------------------------------------------------- log in
	await page.fill('#token', TOKEN);
	await page.click('#login');
	await attempt('the real token logs in: the devices list',
	    () => page.locator('#device-table').waitFor());
	check('the header names the token and its scope',
	    (await page.locator('#who').innerText()).includes(`${TOKEN_NAME} (write)`),
	    await page.locator('#who').innerText());
	const store = await page.evaluate(() => ({
	    s: Object.keys(sessionStorage), l: localStorage.length,
	    c: document.cookie }));
	check('the token is in sessionStorage only: no localStorage, no cookie',
	    store.s.length === 1 && store.l === 0 && store.c === '',
	    JSON.stringify(store));
	const listText = await page.locator('#device-table').innerText();
	check('the hostile label shows as text', listText.includes(LABEL),
	    listText);
	check('... and made no element', await page.locator('#view img, #view b')
	    .count() === 0 && dialogs.length === 0, dialogs.join());
	check('the list shows model and firmware from the User-Agent',
	    listText.includes(UA_MODEL) && listText.includes(UA_FW), listText);
	check('the list shows when the device was last seen (ISO 8601)',
	    /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+ (s|min) ago\)/.test(listText),
	    listText);

	// A User-Agent is whatever the fetching client says.
	await page.goto(`${ADMIN}/console/#/device/${encodeURIComponent(B)}`);
	await attempt('a device that fetched with a hostile User-Agent: its page',
	    () => page.locator('#facts').waitFor());
	check('... shows the User-Agent as text', (await page.locator('#facts')
	    .innerText()).includes(HOSTILE_UA), await page.locator('#facts').innerText());
	check('... and it made no element, ran nothing', await page.locator(
	    '#view img, #view script').count() === 0 && dialogs.length === 0,
	    dialogs.join());
	await page.click('#nav a[data-route="devices"]');
	await page.locator('#device-table').waitFor();

	// ---------------------------------------------------------- find it
	await page.fill('#search', MAC.replace(/(..)(?!$)/g, '$1:'));
	await page.press('#search', 'Enter');
	await attempt('the search box finds the device by its MAC', () =>
	    page.locator('h1', { hasText: DEV }).waitFor());
	await attempt('its page shows the rendered configuration',
	    () => page.locator('#config-body').waitFor());
	const cfg = await page.locator('#config-body').innerText();
	check('... with its secrets masked (********)', cfg.includes('********'),
	    cfg.slice(0, 300));
	let all = await bodyText();
	check('the line password appears nowhere in the page', !all.includes(LINE_PW));
	check('the user password appears nowhere in the page', !all.includes(PW));
	const facts = await page.locator('#facts').innerText();
	check('the device page shows the User-Agent\'s model and firmware',
	    facts.includes(UA_MODEL) && facts.includes(UA_FW), facts);
	await attempt('explain and history are shown', async () => {
		await page.locator('#explain > dl').waitFor();
		await page.locator('#history table').waitFor();
	});
	check('explain names the chosen template', (await page.locator('#explain')
	    .innerText()).includes('generic'));
	await attempt('the device is on its current configuration', () =>
	    page.locator('#drift-state', { hasText: 'current' }).waitFor());

	// ---------------------------------------------------------- drift
	sc('var', 'set', 'device', DEV, 'ntp_server', '"ntp2.example.net"');
	const drift = JSON.parse(sc('--json', 'drift', '--notify', 'poll'));
	must('a change through the CLI: sipcfg drift lists the device',
	    drift.some((r) => r.device === DEV && r.why === 'changed'),
	    JSON.stringify(drift));
	await page.reload();
	await attempt('the device page shows the drift', () =>
	    page.locator('#drift-state', { hasText: 'changed' }).waitFor());
	await page.goto(`${ADMIN}/console/#/devices`);
	await page.locator('#device-table').waitFor();
	const row = page.locator('#device-table tr', { hasText: '00:11:22:33:44:55' });
	check('the devices list shows it drifting', /changed/.test(
	    await row.innerText()), await row.innerText());
	if (SHOT) {
		await page.screenshot({ path: SHOT, fullPage: true });
		console.log(`# screenshot: ${SHOT}`);
	}
	await page.click('#nav a[data-route="drift"]');
	await attempt('the drift page lists it', () => page.locator(
	    '#drift-table tr', { hasText: DEV }).getByText('changed').waitFor());
	// A fleet's drift comes a page at a time: here one page holds it all.
	const cnt = await page.locator('#list-count').innerText();
	check('... and says it shows all of it, with no More button',
	    /in all/.test(cnt) && !(await page.locator('#more').isVisible()), cnt);

	// ---------------------------------------------------------- actions
	await page.click(`#drift-table a:text-is("${DEV}")`);
	await page.locator('#notify').waitFor();
	await page.click('#notify');
	await attempt('notify: the console says it was requested', () =>
	    page.locator('#notice', { hasText: 'NOTIFY requested' }).waitFor());
	check('... and no error', await alertText() === '', await alertText());

	await page.click('#disable');
	await attempt('disable (with If-Match): the page shows it disabled',
	    () => page.locator('#enable').waitFor());
	check('... and the store has it disabled', JSON.parse(
	    sc('--json', 'device', 'show', DEV)).state === 'disabled');
	await page.click('#enable');
	await attempt('enable: active again', () => page.locator('#disable').waitFor());
	check('... in the store too', JSON.parse(sc('--json', 'device', 'show',
	    DEV)).state === 'active');

	// Another operator changes the device behind the page: the page's
	// ETag is stale, the daemon refuses, the page says so and reloads.
	sc('device', 'set', DEV, '--max-age', '600');
	await page.click('#disable');
	await attempt('a stale If-Match: the console says someone changed it',
	    () => page.locator('#error', { hasText: 'Someone changed' }).waitFor());
	check('... and the device was not disabled', JSON.parse(sc('--json',
	    'device', 'show', DEV)).state === 'active');

	// ---------------------------------------------------------- lists
	await page.click('#nav a[data-route="audit"]');
	await attempt('the audit trail shows the change', () =>
	    page.locator('#audit-table').waitFor());
	const audit = await page.locator('#audit-table').innerText();
	check('... made by this token', audit.includes(TOKEN_NAME), audit.slice(0, 400));
	await page.click('#nav a[data-route="subscriptions"]');
	await attempt('the subscriptions view loads', () =>
	    page.locator('main table').waitFor());

	// ---------------------------------------------------------- session end
	await page.click('#logout');
	await attempt('log out: back to the login page', () => page.waitForURL(/#\/login$/));
	check('... and the token is forgotten', await page.evaluate(() =>
	    sessionStorage.length === 0));
	await page.goto(`${ADMIN}/console/#/audit`);
	await attempt('... the audit page now asks for a token', () =>
	    page.waitForURL(/#\/login$/));

	// A token that stops working mid-session: a 401 goes to the login.
	await page.evaluate((t) => sessionStorage.setItem('sipcfg.token', t), wrong);
	await page.goto(`${ADMIN}/console/#/devices`);
	await attempt('a refused token mid-session goes back to the login', () =>
	    page.locator('#error', { hasText: /session ended/i }).waitFor());
	check('... and is forgotten', await page.evaluate(() =>
	    sessionStorage.length === 0) && /#\/login$/.test(page.url()));

	// A read token sees everything and can change nothing.
	await page.fill('#token', RTOKEN);
	await page.click('#login');
	await attempt('a read token logs in', () => page.locator('#device-table').waitFor());
	await page.goto(`${ADMIN}/console/#/device/${MAC}`);
	await attempt('... its device page offers no action', async () => {
		await page.locator('#config-body').waitFor();
		for (const b of ['#notify', '#checksync', '#disable'])
			if (!await page.locator(b).isDisabled())
				throw new Error(`${b} is enabled`);
	});
} catch (e) {
	if (!(e instanceof Stop))
		check('the browser run', false, e.stack);
}

const csp = await page.evaluate(() => window.__csp).catch(() => ['(page gone)']);
check('no Content-Security-Policy violation', csp.length === 0, csp.join('; '));
check('no JavaScript error', pageErrors.length === 0, pageErrors.join('; '));
// The refused tokens and the stale If-Match were meant: Chromium logs
// their 401 and 412 answers.  Anything else is a fault.
const unexpected = consoleErrors.filter((m) =>
    !/Failed to load resource: the server responded with a status of (401|412)/.test(m));
check('no other console error or warning', unexpected.length === 0,
    unexpected.join('; '));
await browser.close();
console.log(failed ? `# ${failed} failed` : '# done');
process.exit(failed ? 1 : 0);
