/*
 * app.js: the sipcfg operator's console (issue 14 §3).  One page with hash
 * routes (#/login, #/devices, #/device/DEV, #/drift, #/subscriptions,
 * #/audit) over the admin REST API (/api/v1/, JSON, problem documents for
 * errors).
 *
 * Design choices, and why:
 * - The token lives in sessionStorage only (never a cookie, never
 *   localStorage) and travels only in the Authorization header.  Browsers
 *   never attach it on their own, so a page of another origin cannot make
 *   a request with it: the console is CSRF-safe without a CSRF token.
 * - Labels, User-Agents and addresses are set by whoever talks to the
 *   daemon.  Every piece of server data reaches the page through
 *   textContent or an attribute value; there is no innerHTML, no eval,
 *   no inline style, as the daemon's Content-Security-Policy demands.
 * - Writes carry the resource's ETag in If-Match, so two operators cannot
 *   overwrite each other silently; a 412 reloads the device and says so.
 * - No build step, no library: the file is what the browser runs.
 */
'use strict';

(function () {
	const TOKEN_KEY = 'sipcfg.token';
	const PAGE = 25;		/* devices per page */
	const API = '/api/v1';
	const ALL = 1000;		/* the API's largest page */

	/* Bumped by every route change: late answers of a left page are dropped. */
	let generation = 0;
	let whoami = null;		/* {token, scope} once logged in */
	let pending = '';		/* an error for the next page to show */

	/* ------------------------------------------------------------ DOM */

	/*
	 * h(tag, attrs, ...children): an element.  attrs sets attributes
	 * (class, href, type, ...) and, for keys starting with "on", event
	 * listeners; children are nodes or strings (as text nodes).
	 */
	function h(tag, attrs, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false)
				continue;
			if (k.startsWith('on'))
				e.addEventListener(k.slice(2), v);
			else if (k === 'style' || k === 'srcdoc')
				throw new Error('no inline ' + k);
			else
				e.setAttribute(k, v === true ? '' : String(v));
		}
		append(e, children);
		return e;
	}

	function append(e, children) {
		for (const c of children.flat(Infinity)) {
			if (c === null || c === undefined || c === false)
				continue;
			e.appendChild(c instanceof Node ? c :
			    document.createTextNode(String(c)));
		}
		return e;
	}

	function $(id) { return document.getElementById(id); }

	function show(id, text) {
		const e = $(id);
		e.textContent = text || '';
		e.hidden = !text;
	}

	function clearMessages() {
		show('notice', '');
		show('error', '');
	}

	function setView(...children) {
		const v = $('view');
		v.replaceChildren();
		append(v, children);
	}

	/* ------------------------------------------------------------ times */

	function iso(ts) {
		return new Date(ts * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
	}

	function relative(ts) {
		let d = Math.round(Date.now() / 1000 - ts);
		const future = d < 0;
		d = Math.abs(d);
		let s;
		if (d < 60)
			s = d + ' s';
		else if (d < 3600)
			s = Math.floor(d / 60) + ' min';
		else if (d < 86400)
			s = Math.floor(d / 3600) + ' h';
		else
			s = Math.floor(d / 86400) + ' d';
		return future ? 'in ' + s : s + ' ago';
	}

	/* A <time> with the ISO 8601 instant and, beside it, how long ago. */
	function when(ts, never) {
		if (ts === null || ts === undefined || ts === '')
			return h('span', { class: 'muted' }, never || 'never');
		if (typeof ts !== 'number')
			return String(ts);
		return h('span', { class: 'when' },
		    h('time', { datetime: iso(ts) }, iso(ts)),
		    h('span', { class: 'rel' }, ' (' + relative(ts) + ')'));
	}

	/* ------------------------------------------------------------ API */

	class ApiError extends Error {
		constructor(status, problem, fallback) {
			const p = problem && typeof problem === 'object' ? problem : {};
			const title = p.title || fallback || 'HTTP ' + status;
			super(p.detail ? title + ': ' + p.detail : title);
			this.status = status;
			this.problem = p;
		}
	}

	function token() { return sessionStorage.getItem(TOKEN_KEY); }

	/*
	 * api(method, path, {body, ifMatch, token}): the JSON answer and its
	 * ETag, or throws ApiError.  A 401 forgets the token and goes back to
	 * the login page (the error still reaches the caller).
	 */
	async function api(method, path, opts) {
		const o = opts || {};
		const tok = o.token !== undefined ? o.token : token();
		const headers = { 'Accept': 'application/json' };
		if (tok)
			headers['Authorization'] = 'Bearer ' + tok;
		if (o.body !== undefined)
			headers['Content-Type'] = 'application/json';
		if (o.ifMatch)
			headers['If-Match'] = o.ifMatch;
		let r;
		try {
			r = await fetch(path, {
				method: method, headers: headers,
				body: o.body === undefined ? undefined :
				    JSON.stringify(o.body),
				credentials: 'omit', cache: 'no-store',
				redirect: 'error'
			});
		} catch (e) {
			throw new ApiError(0, null, 'Cannot reach sipcfgd (' +
			    e.message + ')');
		}
		let data = null;
		const ct = r.headers.get('Content-Type') || '';
		if (/json/.test(ct))
			data = await r.json().catch(() => null);
		else
			await r.text().catch(() => '');
		if (r.status === 401 && o.token === undefined) {
			logout('Your session ended: ' +
			    new ApiError(401, data, 'Unauthorized').message);
		}
		if (!r.ok)
			throw new ApiError(r.status, data, r.statusText);
		return { data: data, etag: r.headers.get('ETag'), status: r.status };
	}

	function q(params) {
		const u = new URLSearchParams();
		for (const [k, v] of Object.entries(params))
			if (v !== undefined && v !== null && v !== '')
				u.set(k, String(v));
		const s = u.toString();
		return s ? '?' + s : '';
	}

	function dev(d) { return API + '/devices/' + encodeURIComponent(d); }

	/* A list answer's rows: {"items": [...]} (or a bare array). */
	function items(data) {
		if (Array.isArray(data))
			return data;
		return data && Array.isArray(data.items) ? data.items : [];
	}

	function fail(e) {
		if (e instanceof ApiError && e.status === 401)
			return;
		show('error', e.message || String(e));
	}

	/* ------------------------------------------------------------ session */

	function logout(why) {
		sessionStorage.removeItem(TOKEN_KEY);
		whoami = null;
		chrome();
		/* Shown by the login page, after the route clears the messages. */
		pending = why || '';
		if (location.hash.startsWith('#/login'))
			route();
		else
			location.hash = '#/login';
	}

	function chrome() {
		const on = whoami !== null;
		$('nav').hidden = !on;
		$('logout').hidden = !on;
		$('who').hidden = !on;
		$('who').textContent = on ? whoami.token + ' (' + whoami.scope +
		    ')' : '';
		document.body.classList.toggle('readonly', on &&
		    whoami.scope !== 'write');
		for (const a of document.querySelectorAll('#nav a'))
			a.classList.toggle('current',
			    location.hash.startsWith('#/' + a.dataset.route));
	}

	function canWrite() { return whoami !== null && whoami.scope === 'write'; }

	function viewLogin() {
		const input = h('input', { type: 'password', id: 'token',
		    name: 'token', autocomplete: 'off', spellcheck: 'false',
		    required: true, placeholder: 'token from sipcfg token add' });
		const button = h('button', { type: 'submit', id: 'login' },
		    'Log in');
		const form = h('form', { class: 'login', id: 'login-form',
		    onsubmit: async (ev) => {
			ev.preventDefault();
			clearMessages();
			const t = input.value.trim();
			if (!/^[\x21-\x7e]+$/.test(t)) {
				show('error', 'Not a token: paste the line ' +
				    '`sipcfg token add NAME --scope read|write` ' +
				    'printed.');
				return;
			}
			button.disabled = true;
			try {
				const r = await api('GET', API + '/whoami',
				    { token: t });
				sessionStorage.setItem(TOKEN_KEY, t);
				whoami = r.data;
				location.hash = '#/devices';
			} catch (e) {
				show('error', e.status === 401 ?
				    'Token refused: ' + e.message : e.message);
				input.select();
			} finally {
				button.disabled = false;
			}
		} },
		    h('h1', {}, 'Log in'),
		    h('p', {}, 'Paste an API token. It is kept in this tab ' +
			'only and forgotten when the tab closes or you log out.'),
		    h('label', { for: 'token' }, 'Token'), input, button);
		setView(form);
		input.focus();
	}

	/* ------------------------------------------------------------ pieces */

	function table(cols, rows, cell) {
		return h('table', {},
		    h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
		    h('tbody', {}, rows.length ? rows.map((r) =>
			h('tr', {}, cols.map((c, i) => h('td', {}, cell(r, c, i))))) :
			h('tr', {}, h('td', { colspan: cols.length, class: 'muted' },
			    'none'))));
	}

	function devLink(id, text) {
		return h('a', { href: '#/device/' + encodeURIComponent(id),
		    class: 'dev' }, text || id);
	}

	function stateBadge(s) {
		return h('span', { class: 'state state-' +
		    String(s).replace(/[^a-z]/g, '') }, s);
	}

	function text(v) {
		if (v === null || v === undefined || v === '')
			return h('span', { class: 'muted' }, '–');
		if (typeof v === 'object')
			return h('code', {}, JSON.stringify(v));
		return String(v);
	}

	/* Fields that hold Unix times, shown as when() in a tree(). */
	const TIMES = new Set(['ts', 'since', 'last_fetch', 'last_modified',
	    'created', 'updated', 'expires', 'last_notify', 'cert_pinned',
	    'last_used', 'valid_until']);

	/* Any JSON value as nested definition lists (explain, drift rows). */
	function tree(v, key) {
		if (typeof v === 'number' && TIMES.has(key))
			return when(v);
		if (v === null || typeof v !== 'object')
			return text(v);
		if (Array.isArray(v)) {
			if (!v.length)
				return h('span', { class: 'muted' }, 'none');
			return h('ol', { class: 'tree' },
			    v.map((x) => h('li', {}, tree(x))));
		}
		const keys = Object.keys(v);
		if (!keys.length)
			return h('span', { class: 'muted' }, 'none');
		return h('dl', { class: 'tree' }, keys.map((k) =>
		    [h('dt', {}, k), h('dd', {}, tree(v[k], k))]));
	}

	function section(title, id, ...body) {
		return h('section', { id: id }, h('h2', {}, title), body);
	}

	function loading() { return h('p', { class: 'muted' }, 'Loading…'); }

	/* The drift rows by device, for the devices list and a device page. */
	/* One device's drift row (the API checks that device alone), or null. */
	async function driftOf(sfua) {
		return items((await api('GET', API + '/drift' +
		    q({ device: sfua }))).data)[0] || null;
	}

	/* state: drift lists active devices only; the others are not "current". */
	function driftCell(r, state) {
		if (!r)
			return state === 'active' ? h('span', { class: 'ok' },
			    'current') : h('span', { class: 'muted' }, '–');
		return [h('span', { class: 'drift' }, r.why), r.since ?
		    h('div', { class: 'rel' }, 'since ' + relative(r.since)
			.replace(/ ago$/, '')) : null];
	}

	function subsCell(list, now) {
		if (!list || !list.length)
			return h('span', { class: 'muted' }, 'none');
		const live = list.filter((s) => !s.expires || s.expires > now);
		if (!live.length)
			return h('span', { class: 'drift' }, 'expired');
		const exp = Math.max(...live.map((s) => s.expires || 0));
		return h('span', { class: 'ok' }, live.length + ' active',
		    exp ? h('span', { class: 'rel' }, ', until ' + iso(exp)) :
		    null);
	}

	/* ------------------------------------------------------------ devices */

	const MAC_RE = /^[0-9a-f]{2}([-:.]?[0-9a-f]{2}){5}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i;

	async function viewDevices(params) {
		const g = generation;
		const offset = Math.max(0, parseInt(params.get('offset'), 10) || 0);
		const state = params.get('state') || '';
		const user = params.get('user') || '';

		const search = h('input', { type: 'search', id: 'search',
		    name: 'q', value: user, autocomplete: 'off',
		    placeholder: 'MAC, sfua-id URN or user' });
		const sel = h('select', { id: 'state', name: 'state' },
		    ['', 'active', 'pending', 'disabled'].map((s) =>
			h('option', { value: s, selected: s === state },
			    s || 'any state')));
		const go = (o) => {
			location.hash = '#/devices' + q({ state: sel.value,
			    user: search.value.trim(), offset: o || '' });
		};
		sel.addEventListener('change', () => go(0));
		const form = h('form', { class: 'filters', role: 'search',
		    onsubmit: (ev) => {
			ev.preventDefault();
			const s = search.value.trim();
			/* A MAC or a URN names one device: open it. */
			if (MAC_RE.test(s) || /^urn:/i.test(s))
				location.hash = '#/device/' +
				    encodeURIComponent(s);
			else
				go(0);
		} },
		    search, sel, h('button', { type: 'submit' }, 'Search'));
		const holder = h('div', { id: 'devices' }, loading());
		setView(h('h1', {}, 'Devices'), form, holder);

		/*
		 * status: each row carries its drift and live subscriptions,
		 * checked for the page's devices alone, whatever the fleet.
		 */
		const list = await api('GET', API + '/devices' + q({
		    limit: PAGE, offset: offset, state: state, user: user,
		    status: 'true' }));
		if (g !== generation)
			return;
		const rows = items(list.data);
		const now = Date.now() / 1000;
		const cols = ['Device', 'State', 'Last seen', 'Model / firmware',
		    'Drift', 'Subscription'];
		const t = table(cols, rows, (r, c) => {
			switch (c) {
			case 'Device':
				return [devLink(r.sfua_id, r.mac ?
				    macColons(r.mac) : r.sfua_id),
				    r.label ? h('div', { class: 'label' },
					r.label) : null,
				    r.user ? h('div', { class: 'muted' },
					'user ' + r.user) : null];
			case 'State':
				return stateBadge(r.state);
			case 'Last seen':
				return [when(r.last_fetch), r.last_addr ?
				    h('div', { class: 'muted' }, r.last_addr) :
				    null];
			case 'Model / firmware':
				return r.ua_model || r.ua_firmware ?
				    [r.ua_model || '?', ' ', h('span',
					{ class: 'muted' }, r.ua_firmware || '')] :
				    h('span', { class: 'muted' },
					r.model ? r.model + ' (configured)' : '–');
			case 'Drift':
				return driftCell(r.drift, r.state);
			case 'Subscription':
				return subsCell(r.subscriptions, now);
			}
			return null;
		});
		t.id = 'device-table';
		const off = typeof list.data.offset === 'number' ?
		    list.data.offset : offset;
		const lim = typeof list.data.limit === 'number' ?
		    list.data.limit : PAGE;
		const prev = h('button', { type: 'button', id: 'prev',
		    disabled: off === 0, onclick: () => go(Math.max(0,
			off - lim)) }, '← Previous');
		const next = h('button', { type: 'button', id: 'next',
		    disabled: !list.data.next, onclick: () => go(off + lim) },
		    'Next →');
		holder.replaceChildren(t, h('div', { class: 'pager' }, prev,
		    h('span', { class: 'muted' }, rows.length ?
			'devices ' + (off + 1) + '–' + (off + rows.length) :
			'no devices'), next));
	}

	function macColons(m) {
		return String(m).toLowerCase().replace(/[^0-9a-f]/g, '')
		    .replace(/(..)(?!$)/g, '$1:');
	}

	/* ------------------------------------------------------------ device */

	async function viewDevice(id) {
		const g = generation;
		const base = dev(id);
		setView(h('h1', {}, 'Device'), h('p', { class: 'mono' }, id),
		    loading());
		const d = await api('GET', base);
		if (g !== generation)
			return;
		const info = d.data;
		const etag = d.etag;
		const sfua = info.sfua_id || id;

		const actions = h('div', { class: 'actions', id: 'actions' });
		const act = (label, idn, fn, title) => h('button', {
		    type: 'button', id: idn, class: 'write',
		    disabled: !canWrite(), title: canWrite() ? title :
			'needs a token with the write scope',
		    onclick: async (ev) => {
			clearMessages();
			ev.target.disabled = true;
			try {
				const msg = await fn();
				await viewDevice(id);
				if (msg)
					show('notice', msg);
			} catch (e) {
				if (e.status === 412) {
					await viewDevice(id).catch(fail);
					show('error', 'Someone changed this ' +
					    'device meanwhile; it is reloaded ' +
					    'now: check and try again. (' +
					    e.message + ')');
				} else {
					fail(e);
				}
			} finally {
				ev.target.disabled = !canWrite();
			}
		} }, label);
		append(actions, [
		    act('Send NOTIFY', 'notify', async () => {
			await api('POST', base + '/notify', { body: {} });
			return 'NOTIFY requested for ' + sfua + '.';
		    }, 'tell its subscribers to fetch again (RFC 6011 §2.5)'),
		    act('Check-sync', 'checksync', async () => {
			await api('POST', base + '/notify',
			    { body: { check_sync: true } });
			return 'Check-sync requested for ' + sfua + '.';
		    }, 'the vendor check-sync NOTIFY to the phone'),
		    info.state === 'disabled' ?
			act('Enable', 'enable', async () => {
				await api('PATCH', base, { body:
				    { state: 'active' }, ifMatch: etag });
				return sfua + ' is active.';
			}, 'serve its configuration again') :
			act('Disable', 'disable', async () => {
				await api('PATCH', base, { body:
				    { state: 'disabled' }, ifMatch: etag });
				return sfua + ' is disabled.';
			}, 'refuse its configuration requests'),
		    info.cert_pin ? act('Unpin certificate', 'unpin',
			async () => {
				await api('DELETE', base + '/pin',
				    { ifMatch: etag });
				return 'The client certificate of ' + sfua +
				    ' is no longer pinned.';
			}, 'forget the pinned client certificate') : null]);

		const facts = [
		    ['sfua-id', info.sfua_id], ['MAC', info.mac &&
			macColons(info.mac)], ['Label', info.label],
		    ['State', stateBadge(info.state)], ['Domain', info.domain],
		    ['User', info.user], ['Profile', info.profile],
		    ['Vendor / model (configured)', [info.vendor, info.model]
			.filter(Boolean).join(' ')],
		    ['Notify mode', info.notify_mode || 'inherited'],
		    ['Last seen', when(info.last_fetch)],
		    ['From', info.last_addr], ['User-Agent', info.last_ua],
		    ['Model / firmware (User-Agent)', [info.ua_vendor,
			info.ua_model, info.ua_firmware].filter(Boolean)
			.join(' ')],
		    ['Fetches', info.fetches], ['Last ETag', info.last_etag],
		    ['Client certificate pin', info.cert_pin ?
			[h('code', {}, info.cert_pin), ' ',
			    when(info.cert_pinned)] : 'none']
		];
		const dl = h('dl', { class: 'facts', id: 'facts' }, facts.map(
		    ([k, v]) => [h('dt', {}, k), h('dd', {},
			v instanceof Node ? v : text(v))]));

		const cfg = section('Configuration', 'config', loading());
		const drift = section('Drift', 'drift', loading());
		const subs = section('Subscriptions', 'subs', loading());
		const expl = section('Explain', 'explain', loading());
		const hist = section('History', 'history', loading());
		const lines = section('Lines', 'lines', table(['#', 'AoR',
		    'Username', 'Realm', 'Outbound proxy'], info.lines || [],
		    (l, c) => text({ '#': l.position, 'AoR': l.aor,
			'Username': l.username, 'Realm': l.realm,
			'Outbound proxy': l.outbound_proxy }[c])));
		setView(h('p', { class: 'crumbs' }, h('a', { href: '#/devices' },
		    'Devices'), ' / '),
		    h('h1', { class: 'mono' }, sfua),
		    info.label ? h('p', { class: 'label' }, info.label) : null,
		    actions, dl, drift, cfg, subs, lines, expl, hist);

		/* The sections load side by side; each says its own error. */
		const fill = async (sec, fn) => {
			try {
				const body = await fn();
				if (g === generation)
					sec.replaceChildren(sec.firstChild, ...[body]
					    .flat());
			} catch (e) {
				if (g === generation && e.status !== 401)
					sec.replaceChildren(sec.firstChild,
					    h('p', { class: 'error' }, e.message));
			}
		};
		await Promise.all([
		    fill(cfg, async () => {
			const c = (await api('GET', base + '/config')).data;
			return [h('dl', { class: 'facts' },
			    /*
			     * Not c.etag: that is the hash of this masked
			     * text, not of what the device gets (explain's
			     * answer has that one).
			     */
			    [['Template', c.template], ['Content-Type',
				c.content_type], c.secret_free ? ['Secret-free',
				'yes: what an unauthenticated request gets'] :
				null,
				['Last-Modified', typeof c.last_modified ===
				    'number' ? when(c.last_modified) :
				    c.last_modified],
				['max-age', c.max_age]].filter(Boolean).map(([k, v]) =>
				[h('dt', {}, k), h('dd', {}, v instanceof Node ?
				    v : text(v))])),
			    h('p', { class: 'muted' }, 'Secrets are shown as ' +
				'********.'),
			    h('pre', { class: 'config', id: 'config-body' },
				c.body)];
		    }),
		    fill(drift, async () => {
			const r = await driftOf(sfua);
			if (!r)
				return h('p', { class: 'ok', id: 'drift-state' },
				    'On its current configuration.');
			const why = { changed: 'its configuration changed ' +
			    'since its last fetch', never: 'it never fetched ' +
			    'its configuration', unseen: 'not seen for too ' +
			    'long', lapsed: 'its subscription lapsed' };
			return [h('p', { class: 'drift', id: 'drift-state' },
			    'Drift: ' + r.why + (why[r.why] ? ' – ' +
				why[r.why] : '')), tree(r)];
		    }),
		    fill(subs, async () => {
			const l = items((await api('GET', API +
			    '/subscriptions' + q({ device: sfua }))).data);
			return subsTable(l, false);
		    }),
		    fill(expl, async () =>
			tree((await api('GET', base + '/explain')).data)),
		    fill(hist, async () => historyTable(items((await api('GET',
			base + '/history')).data)))
		]);
	}

	function historyTable(rows) {
		return table(['When', 'Kind', 'Who', 'What', 'ETag / from',
		    'Change'], rows, (r, c) => {
			switch (c) {
			case 'When': return when(r.ts);
			case 'Kind': return text(r.kind);
			case 'Who': return text(r.who);
			case 'What': return text(r.op);
			case 'ETag / from': return text([r.etag, r.addr]
			    .filter(Boolean).join(' ') || null);
			case 'Change': return change(r.before, r.after);
			}
			return null;
		    });
	}

	/* before → after, only the fields that differ. */
	function change(before, after) {
		if (!before && !after)
			return text(null);
		if (!before || !after || typeof before !== 'object' ||
		    typeof after !== 'object')
			return h('code', {}, JSON.stringify(after || before));
		const out = [];
		for (const k of new Set([...Object.keys(before),
		    ...Object.keys(after)])) {
			if (JSON.stringify(before[k]) !== JSON.stringify(after[k]))
				out.push(h('div', {}, h('code', {}, k + ': ' +
				    JSON.stringify(before[k]) + ' → ' +
				    JSON.stringify(after[k]))));
		}
		return out.length ? out : text(null);
	}

	function subsTable(rows, withDevice) {
		const cols = (withDevice ? ['Device'] : []).concat(['URI',
		    'Transport', 'From', 'Expires', 'Last NOTIFY', 'Last ETag']);
		return table(cols, rows, (r, c) => {
			switch (c) {
			case 'Device': return devLink(r.device);
			case 'URI': return text(r.uri);
			case 'Transport': return text(r.transport);
			case 'From': return text(r.source);
			case 'Expires': return when(r.expires, '–');
			case 'Last NOTIFY': return when(r.last_notify, 'none yet');
			case 'Last ETag': return text(r.last_etag);
			}
			return null;
		});
	}

	/* ------------------------------------------------------------ lists */

	/*
	 * A long list (a fleet's subscriptions or drift): its first page, and
	 * a "More" button that follows the API's next link (keyset: one
	 * index seek however deep) and shows the rows so far.
	 */
	async function pagedList(title, intro, first, render) {
		const g = generation;
		setView(h('h1', {}, title), loading());
		let page = (await api('GET', first)).data;
		if (g !== generation)
			return;
		const rows = items(page);
		const holder = h('div', {});
		const count = h('span', { class: 'muted', id: 'list-count' });
		const more = h('button', { type: 'button', id: 'more',
		    onclick: async () => {
			more.disabled = true;
			try {
				page = (await api('GET', page.next)).data;
			} catch (e) {
				more.disabled = false;
				return fail(e);
			}
			if (g !== generation)
				return;
			rows.push(...items(page));
			draw();
		} }, 'More →');
		const draw = () => {
			holder.replaceChildren(render(rows));
			count.textContent = rows.length + (page.next ?
			    ' shown, more to come' : ' in all');
			more.disabled = !page.next;
			more.hidden = !page.next;
		};
		draw();
		setView(h('h1', {}, title), h('p', { class: 'muted' }, intro),
		    holder, h('div', { class: 'pager' }, count, more));
	}

	async function viewSubscriptions() {
		await pagedList('Subscriptions', 'The SUBSCRIBE dialogs the ' +
		    'daemons hold now (RFC 6011 §2.5.1).', API +
		    '/subscriptions' + q({ limit: ALL }),
		    (l) => subsTable(l, true));
	}

	async function viewDrift() {
		await pagedList('Drift', 'Devices not on their current ' +
		    'configuration, not seen for too long, or whose ' +
		    'subscription lapsed.', API + '/drift' + q({ limit: ALL }),
		    driftTable);
	}

	function driftTable(l) {
		const t = table(['Device', 'Why', 'Since', 'Last fetch',
		    'Current ETag', 'Fetched ETag'], l, (r, c) => {
			switch (c) {
			case 'Device': return devLink(r.device);
			case 'Why': return h('span', { class: 'drift' }, r.why);
			case 'Since': return when(r.since);
			case 'Last fetch': return when(r.last_fetch);
			case 'Current ETag': return text(r.etag);
			case 'Fetched ETag': return text(r.fetched_etag);
			}
			return null;
		});
		t.id = 'drift-table';
		return t;
	}

	async function viewAudit(params) {
		const g = generation;
		const limit = Math.min(1000, Math.max(1,
		    parseInt(params.get('limit'), 10) || 50));
		setView(h('h1', {}, 'Audit trail'), loading());
		const l = items((await api('GET', API + '/audit' +
		    q({ limit: limit }))).data);
		if (g !== generation)
			return;
		const t = table(['When', 'Who', 'Command', 'Entity', 'Op',
		    'Change'], l, (r, c) => {
			switch (c) {
			case 'When': return when(r.ts);
			case 'Who': return text(r.who);
			case 'Command': return h('code', {}, r.command || '');
			case 'Entity': return text([r.entity, r.entity_id]
			    .filter((x) => x !== null && x !== undefined)
			    .join(' '));
			case 'Op': return text(r.op);
			case 'Change': return change(r.before, r.after);
			}
			return null;
		});
		t.id = 'audit-table';
		const more = l.length >= limit ? h('p', {}, h('a', {
		    href: '#/audit' + q({ limit: Math.min(1000, limit * 4) }) },
		    'Show more')) : null;
		setView(h('h1', {}, 'Audit trail'), t, more);
	}

	/* ------------------------------------------------------------ routing */

	async function route() {
		generation++;
		clearMessages();
		if (pending) {
			show('error', pending);
			pending = '';
		}
		const hash = location.hash.replace(/^#/, '') || '/devices';
		const qi = hash.indexOf('?');
		const path = qi < 0 ? hash : hash.slice(0, qi);
		const params = new URLSearchParams(qi < 0 ? '' : hash.slice(qi + 1));

		if (path === '/login' || !token()) {
			whoami = null;
			chrome();
			if (path !== '/login') {
				location.hash = '#/login';
				return;
			}
			viewLogin();
			return;
		}
		try {
			if (whoami === null)
				whoami = (await api('GET', API + '/whoami')).data;
			chrome();
			const m = /^\/device\/(.+)$/.exec(path);
			if (m)
				await viewDevice(decodeURIComponent(m[1]));
			else if (path === '/devices')
				await viewDevices(params);
			else if (path === '/drift')
				await viewDrift();
			else if (path === '/subscriptions')
				await viewSubscriptions();
			else if (path === '/audit')
				await viewAudit(params);
			else
				setView(h('h1', {}, 'Not found'), h('p', {},
				    'No page ' + path + ' here.'));
		} catch (e) {
			fail(e);
		}
	}

	document.addEventListener('DOMContentLoaded', () => {
		$('logout').addEventListener('click', () => logout(''));
		window.addEventListener('hashchange', route);
		route();
	});
})();
