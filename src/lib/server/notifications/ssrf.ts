import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ApiError } from '#lib/server/http/errors';

/**
 * The outbound address policy of every URL WipeCert calls on a tenant's
 * behalf (webhooks): https only in production; no credentials in the URL;
 * and the address must be a public unicast one — loopback, private (RFC
 * 1918), link-local (with the cloud metadata address 169.254.169.254),
 * carrier-grade NAT (RFC 6598), multicast, unique-local IPv6 (with
 * fd00:ec2::254), IPv4-mapped IPv6 and every other special range of the IANA
 * registries are refused. Checked at registration (a 400 with the reason) and
 * again when sending, on the address the connection is about to use
 * (request-filtering-agent checks it between DNS resolution and connect), so
 * a name that resolves elsewhere later (DNS rebinding) is still refused.
 * WEBHOOK_ALLOWED_HOSTS names exact host:port pairs that skip the address check.
 */
export type OutboundPolicy = { httpsOnly: boolean; allowedHosts: ReadonlySet<string> };

export function outboundPolicy(opts: { production: boolean; allowedHosts: string }): OutboundPolicy {
	const hosts = opts.allowedHosts
		.split(',')
		.map((h) => h.trim())
		.filter(Boolean)
		.map((h) => {
			const u = new URL(`http://${h}`);
			return `${u.hostname}:${u.port || '80'}`;
		});
	return { httpsOnly: opts.production, allowedHosts: new Set(hosts) };
}

/** `host:port` of a URL as WEBHOOK_ALLOWED_HOSTS spells it (IPv6 in brackets, default ports filled in). */
export function hostKey(url: URL): string {
	return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

const RANGE_NAMES: Record<string, string> = {
	unspecified: 'unspecified address',
	broadcast: 'broadcast address',
	multicast: 'multicast address',
	linkLocal: 'link-local address (cloud metadata services live here)',
	loopback: 'loopback address',
	carrierGradeNat: 'carrier-grade NAT address (RFC 6598)',
	private: 'private address (RFC 1918)',
	reserved: 'reserved address',
	uniqueLocal: 'unique-local IPv6 address (cloud metadata services live here too)',
	ipv4Mapped: 'IPv4-mapped IPv6 address',
	rfc6145: 'IPv4-translated IPv6 address',
	rfc6052: 'IPv4-embedded IPv6 address',
	'6to4': '6to4 relay address',
	teredo: 'Teredo address'
};

/**
 * Why an IP address is refused, or null when it is a public unicast address.
 * The same rule request-filtering-agent applies at connect time (ipaddr.js
 * range other than `unicast`), worded for people.
 */
export function refusedAddress(ip: string): string | null {
	const bare = ip.replace(/^\[|\]$/g, '');
	if (!isIP(bare)) return 'not an IP address';
	const range = ipaddr.parse(bare).range();
	if (range === 'unicast') return null;
	return RANGE_NAMES[range] ?? `special-purpose address (${range})`;
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

const systemLookup: Lookup = (hostname) =>
	new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('DNS lookup timed out')), 5000);
		dnsLookup(hostname, { all: true }, (error, addresses) => {
			clearTimeout(timer);
			if (error) reject(error);
			else resolve(addresses);
		});
	});

/** Problems of a URL that need no DNS (scheme, credentials, a literal address), or null. */
export function staticProblem(url: URL, policy: OutboundPolicy): string | null {
	if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http and https URLs can receive webhooks';
	if (url.protocol === 'http:' && policy.httpsOnly) return 'webhooks are sent over https only';
	if (url.username || url.password) return 'a URL must not carry credentials; receivers authenticate WipeCert by the webhook signature';
	if (policy.allowedHosts.has(hostKey(url))) return null;
	const literal = url.hostname.replace(/^\[|\]$/g, '');
	if (isIP(literal)) {
		const why = refusedAddress(literal);
		return why ? `${literal} is a ${why}` : null;
	}
	return null;
}

/**
 * Registration check of a webhook URL: the static rules, then every address
 * the name resolves to now. Throws ApiError `webhook_url_refused` (400) with
 * the reason; returns the normalised URL.
 */
export async function checkWebhookUrl(raw: string, policy: OutboundPolicy, lookup: Lookup = systemLookup): Promise<string> {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw refused('not an absolute URL');
	}
	url.hash = '';
	const problem = staticProblem(url, policy);
	if (problem) throw refused(problem);
	if (policy.allowedHosts.has(hostKey(url)) || isIP(url.hostname.replace(/^\[|\]$/g, ''))) return url.toString();
	let addresses: LookupAddress[];
	try {
		addresses = await lookup(url.hostname);
	} catch (error) {
		throw refused(`${url.hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	for (const a of addresses) {
		const why = refusedAddress(a.address);
		if (why) throw refused(`${url.hostname} resolves to ${a.address}, a ${why}`);
	}
	return url.toString();
}

function refused(problem: string): ApiError {
	return new ApiError('webhook_url_refused', undefined, [{ field: 'url', problem }]);
}
