import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { IDP_FORM_MAX_BYTES } from '#lib/server/http/limits';
import type { Logger } from '#lib/server/telemetry/logger';
import type { DevAccounts } from './accounts';
import { messagePage, PAGE_CSP, signInPage } from './pages';

// the app's proxy refuses larger bodies before they get here (http/limits.ts)
const MAX_FORM_BYTES = IDP_FORM_MAX_BYTES;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > MAX_FORM_BYTES) throw new Error('form too large');
		chunks.push(chunk as Buffer);
	}
	return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, body: string) {
	res.statusCode = status;
	res.setHeader('content-type', 'text/html; charset=utf-8');
	res.setHeader('content-security-policy', PAGE_CSP);
	res.setHeader('cache-control', 'no-store');
	res.end(body);
}

/**
 * The realm's sign-in interaction (oidc-provider leaves the pages to us):
 * GET shows the form, POST …/login checks the password and finishes the
 * login prompt, POST …/abort answers access_denied to the client.
 */
/** Told about every refused password (e-mail tried when it is one of the realm's accounts, else null). */
export type SignInRefused = (known: string | null) => Promise<void>;

async function interaction(provider: Provider, accounts: DevAccounts, base: string, req: IncomingMessage, res: ServerResponse, rest: string, log: Logger, onRefused?: SignInRefused) {
	const [uid, step] = rest.split('/');
	let details;
	try {
		details = await provider.interactionDetails(req, res);
	} catch {
		return send(res, 400, messagePage('Sign-in expired', 'This sign-in page has expired. Go back to the application and sign in again.'));
	}
	if (details.uid !== uid) return send(res, 400, messagePage('Sign-in expired', 'Go back to the application and sign in again.'));
	const action = `${base}/interaction/${uid}/login`;
	const abort = `${base}/interaction/${uid}/abort`;
	const emails = accounts.accounts.map((a) => a.email);
	if (req.method === 'GET' && !step) {
		if (details.prompt.name !== 'login') {
			// Consent is granted by loadExistingGrant (first-party clients); nothing to ask.
			return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
		}
		return send(res, 200, signInPage({ action, abort, accounts: emails }));
	}
	if (req.method === 'POST' && step === 'login') {
		const form = await readForm(req);
		const email = form.get('username') ?? '';
		const account = accounts.verify(email, form.get('password') ?? '');
		if (!account) {
			log.info({ uid }, 'dev realm: sign-in refused');
			// what was typed is kept only when it is one of the realm's addresses: a password typed into the wrong field stays unrecorded
			const known = accounts.accounts.find((a) => a.email === email.trim().toLowerCase())?.email ?? null;
			await onRefused?.(known);
			return send(res, 401, signInPage({ action, abort, email, error: 'The e-mail address or password is wrong.', accounts: emails }));
		}
		return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
	}
	if (req.method === 'POST' && step === 'abort') {
		return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' }, { mergeWithLastSubmission: false });
	}
	return send(res, 405, messagePage('Not allowed', 'This page does not accept that request.'));
}

export type DevRealmServer = { port: number; close(): Promise<void> };

/**
 * The realm on a loopback port; the app's `devRealm` handle forwards
 * ORIGIN/realms/dev/* here. The path prefix is stripped and kept in
 * `originalUrl`, which is how oidc-provider learns its mount path.
 */
export async function listenDevRealm(
	makeProvider: (port: number) => Provider,
	accounts: DevAccounts,
	base: string,
	log: Logger,
	onRefused?: SignInRefused
): Promise<DevRealmServer> {
	let provider: Provider | undefined;
	let callback: ReturnType<Provider['callback']> | undefined;
	const server: Server = createServer((req, res) => {
		if (!provider || !callback) return send(res, 503, messagePage('Starting', 'The dev realm is starting.'));
		const url = req.url ?? '/';
		if (url !== base && !url.startsWith(`${base}/`) && !url.startsWith(`${base}?`)) {
			return send(res, 404, messagePage('Not found', 'Nothing is here.'));
		}
		const rest = url.slice(base.length) || '/';
		if (rest.startsWith('/interaction/')) {
			interaction(provider, accounts, base, req, res, rest.slice('/interaction/'.length).split('?')[0], log, onRefused).catch((err) => {
				log.error({ err }, 'dev realm interaction failed');
				if (!res.headersSent) send(res, 500, messagePage('Something went wrong', 'Try signing in again.'));
			});
			return;
		}
		Object.assign(req, { originalUrl: url });
		req.url = rest;
		callback(req, res);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	// The port is known only now; tests use it in the issuer, the app uses ORIGIN.
	provider = makeProvider(port);
	callback = provider.callback();
	return {
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			})
	};
}
