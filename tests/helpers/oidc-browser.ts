/**
 * A minimal scripted browser for the sign-in dance over real HTTP (no mocks):
 * a cookie jar, manual redirects, and the dev realm's own sign-in form.
 * Used by the identity specs and the authorization matrix.
 */
export class CookieJar {
	private cookies = new Map<string, string>();

	store(response: Response): void {
		for (const line of response.headers.getSetCookie()) {
			const [pair, ...attrs] = line.split(';');
			const i = pair.indexOf('=');
			const name = pair.slice(0, i).trim();
			const value = pair.slice(i + 1).trim();
			const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && new Date(a.split('=')[1]).getTime() < Date.now()));
			if (expired || value === '') this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
	}

	get(name: string): string | undefined {
		return this.cookies.get(name);
	}

	set(name: string, value: string): void {
		this.cookies.set(name, value);
	}

	delete(name: string): void {
		this.cookies.delete(name);
	}

	header(): string {
		return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
	}
}

export type Hop = { url: string; response: Response; body: string };

/** GET/POST with the jar, following redirects by hand until `stop(url)` or a non-redirect. */
export async function browse(
	jar: CookieJar,
	url: string,
	opts: { method?: string; form?: Record<string, string>; stop?: (url: string) => boolean; maxHops?: number } = {}
): Promise<Hop> {
	let current = url;
	let method = opts.method ?? 'GET';
	let body: string | undefined = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
	for (let hop = 0; hop < (opts.maxHops ?? 15); hop++) {
		const headers: Record<string, string> = { accept: 'text/html' };
		const cookie = jar.header();
		if (cookie) headers.cookie = cookie;
		if (body !== undefined) {
			headers['content-type'] = 'application/x-www-form-urlencoded';
			headers.origin = new URL(current).origin;
		}
		const response = await fetch(current, { method, headers, body, redirect: 'manual' });
		jar.store(response);
		const location = response.headers.get('location');
		if (response.status >= 300 && response.status < 400 && location) {
			await response.arrayBuffer();
			const next = new URL(location, current).toString();
			if (opts.stop?.(next)) return { url: next, response, body: '' };
			current = next;
			method = 'GET';
			body = undefined;
			continue;
		}
		return { url: current, response, body: await response.text() };
	}
	throw new Error(`too many redirects from ${url}`);
}

const FORM_ACTION = /<form method="post" action="([^"]+)"/;

/** Fills the dev realm's sign-in form on `page` and submits it; returns the first hop `stop` accepts. */
export async function submitDevRealmSignIn(jar: CookieJar, page: Hop, email: string, password: string, stop?: (url: string) => boolean): Promise<Hop> {
	const m = FORM_ACTION.exec(page.body);
	if (!m) throw new Error(`no sign-in form at ${page.url} (status ${page.response.status})`);
	const action = new URL(m[1].replace(/&amp;/g, '&'), page.url).toString();
	return browse(jar, action, { method: 'POST', form: { username: email, password }, stop });
}

/**
 * Signs in to a running WipeCert through /auth/login and the dev realm's own
 * page; returns the jar holding the session cookie.
 */
export async function signInToApp(origin: string, email: string, password = 'dev-password'): Promise<CookieJar> {
	const jar = new CookieJar();
	const form = await browse(jar, `${origin}/auth/login`);
	const done = await submitDevRealmSignIn(jar, form, email, password, (u) => !new URL(u).pathname.startsWith('/realms/') && !new URL(u).pathname.startsWith('/auth/'));
	if (!jar.get('wipecert_session')) throw new Error(`sign-in as ${email} gave no session (ended at ${done.url}, ${done.response.status})`);
	return jar;
}

/** A service account's access token by the client-credentials grant. */
export async function clientCredentials(tokenEndpoint: string, clientId: string, secret: string, extra: Record<string, string> = {}): Promise<Response> {
	return fetch(tokenEndpoint, {
		method: 'POST',
		headers: {
			authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
			'content-type': 'application/x-www-form-urlencoded'
		},
		body: new URLSearchParams({ grant_type: 'client_credentials', ...extra }).toString()
	});
}
