/**
 * HTML of the dev realm's own pages (sign-in, sign-out confirmation, errors):
 * plain, English, accessible (labels, one h1, role=alert for errors), no script.
 */
const esc = (s: string) =>
	s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1b1f24;margin:0}
main{max-width:26rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4rem;margin-top:0}.realm{color:#5b6470;font-size:.9rem}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #8a94a3;border-radius:4px;font-size:1rem}
input:focus,button:focus{outline:3px solid #2563eb;outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#1d4ed8;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e5e7eb;color:#1b1f24;margin-top:.5rem}
[role=alert]{background:#fde8e8;border:1px solid #b91c1c;color:#7f1d1d;padding:.6rem;border-radius:4px}
details{margin-top:1.5rem;font-size:.9rem}code{background:#eef0f3;padding:0 .2rem}`;

function page(title: string, body: string): string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · WipeCert dev realm</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function signInPage(opts: { action: string; abort: string; email?: string; error?: string; accounts: readonly string[] }): string {
	return page(
		'Sign in',
		`<p class="realm">WipeCert · dev realm (development only)</p>
<h1>Sign in</h1>
${opts.error ? `<p role="alert" id="signin-error">${esc(opts.error)}</p>` : ''}
<form method="post" action="${esc(opts.action)}" novalidate>
<label for="username">E-mail address</label>
<input id="username" name="username" type="email" autocomplete="username" required autofocus value="${esc(opts.email ?? '')}"${opts.error ? ' aria-describedby="signin-error" aria-invalid="true"' : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${esc(opts.abort)}"><button type="submit" class="secondary">Cancel</button></form>
<details><summary>Seeded accounts</summary><p>Password <code>dev-password</code> for:</p><ul>${opts.accounts.map((a) => `<li><code>${esc(a)}</code></li>`).join('')}</ul></details>`
	);
}

export function signOutPage(form: string): string {
	return page(
		'Sign out',
		`<p class="realm">WipeCert · dev realm (development only)</p>
<h1>Sign out of the dev realm?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`
	);
}

export function messagePage(title: string, message: string): string {
	return page(title, `<p class="realm">WipeCert · dev realm (development only)</p><h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
