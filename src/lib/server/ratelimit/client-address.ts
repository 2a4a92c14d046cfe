import { isIP } from 'node:net';
import type { RequestEvent } from '@sveltejs/kit';

/**
 * The address of the client, for rate limits and audit rows.
 *
 * X-Forwarded-For is a list every proxy appends to, so only the entries added
 * by proxies we run can be believed: with `trustedProxyHops` = N, the client is
 * the Nth entry from the RIGHT (RFC 7239 §5.2 / MDN X-Forwarded-For "selecting
 * an IP address"). Taking the leftmost entry would let any client pick its own
 * address and dodge every limit. With 0 (the default) the header is ignored.
 * When the header has fewer entries than hops, or the entry is not an IP
 * address, the request did not come through the proxies: the socket address
 * is used.
 */
export function clientAddress(event: Pick<RequestEvent, 'request' | 'getClientAddress'>, trustedProxyHops: number): string {
	if (trustedProxyHops > 0) {
		const header = event.request.headers.get('x-forwarded-for');
		if (header) {
			const hops = header.split(',').map((h) => h.trim()).filter(Boolean);
			const candidate = hops.length >= trustedProxyHops ? hops[hops.length - trustedProxyHops] : undefined;
			const address = candidate ? stripPort(candidate) : undefined;
			if (address && isIP(address)) return normaliseAddress(address);
		}
	}
	return normaliseAddress(event.getClientAddress());
}

/** `[2001:db8::1]:443` and `192.0.2.1:80` (some proxies add ports) → the address. */
function stripPort(value: string): string {
	const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
	if (bracketed) return bracketed[1];
	const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(value);
	return v4 ? v4[1] : value;
}

/** IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports) → plain IPv4. */
export function normaliseAddress(address: string): string {
	const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
	return mapped ? mapped[1] : address.toLowerCase();
}

/**
 * What a rate limit counts by: an IPv4 address, or an IPv6 /64. One IPv6
 * subscriber usually holds a whole /64 (RFC 6177), so counting single IPv6
 * addresses would let one client rotate through 2^64 of them.
 */
export function rateLimitSubject(address: string): string {
	if (isIP(address) !== 6) return address;
	const groups = expandIPv6(address);
	return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIPv6(address: string): string[] | null {
	const plain = address.split('%')[0];
	const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
	const left = head ? head.split(':') : [];
	const right = tail ? tail.split(':') : [];
	// an embedded IPv4 tail counts as two groups
	const last = (right.length ? right : left).at(-1);
	const extra = last && last.includes('.') ? 1 : 0;
	const missing = 8 - left.length - right.length - extra;
	if (tail === undefined && missing !== 0) return null;
	const groups = [...left, ...Array(Math.max(missing, 0)).fill('0'), ...right];
	return groups.map((g) => (g.includes('.') ? g : g.padStart(4, '0').toLowerCase()));
}
