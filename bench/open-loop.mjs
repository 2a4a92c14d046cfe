/**
 * Open-loop load at a fixed rate: request i is sent at start + i / rate
 * whether or not earlier answers have come back, and its latency is counted
 * from that scheduled moment, so a stall shows in the percentiles instead of
 * slowing the load down (closed-loop generators such as autocannon's
 * connections wait for answers and hide queueing: "coordinated omission").
 * Requests go over keep-alive sockets (as many as are in flight). The
 * generator runs on the same cores as the server: `lateMs` says how far behind
 * its own schedule it fell at worst.
 */
import { Agent, request } from 'node:http';
import { percentile } from './lib.mjs';

/**
 * `path` alone: a GET of that path. `request`: anything else, made at the
 * request's moment (e.g. a POST signed afresh); its work counts as lateness,
 * not latency. `ok` counts 2xx answers.
 * @param {{ origin: string, rate: number, seconds: number, path?: () => string,
 *   request?: () => { method: string, path: string, headers?: Record<string, string>, body?: Uint8Array } }} opts
 */
export async function openLoop({ origin, rate, seconds, path, request: make = () => ({ method: 'GET', path: path() }) }) {
	const { hostname, port } = new URL(origin);
	const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
	const total = Math.max(1, Math.round(rate * seconds));
	const latencies = [];
	const statuses = {};
	let errors = 0;
	let lateMs = 0;
	let sent = 0;
	const pending = new Set();
	const fire = (scheduled) =>
		new Promise((resolve) => {
			const { method, path: target, headers, body } = make();
			const req = request({ host: hostname, port, path: target, agent, method, headers: body ? { ...headers, 'content-length': String(body.byteLength) } : headers }, (res) => {
				res.on('data', () => {});
				res.on('end', () => {
					latencies.push(performance.now() - scheduled);
					statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
					resolve();
				});
			});
			req.on('error', () => {
				errors++;
				resolve();
			});
			req.end(body);
		});
	const start = performance.now();
	while (sent < total) {
		const now = performance.now();
		// every request whose moment has come, including the ones a late timer left behind
		while (sent < total && start + (sent * 1000) / rate <= now) {
			const scheduled = start + (sent * 1000) / rate;
			lateMs = Math.max(lateMs, now - scheduled);
			const p = fire(scheduled);
			pending.add(p);
			p.then(() => pending.delete(p));
			sent++;
		}
		await new Promise((r) => setTimeout(r, 1));
	}
	await Promise.all(pending);
	const elapsed = (performance.now() - start) / 1000;
	agent.destroy();
	const ok = Object.entries(statuses).reduce((n, [status, count]) => (Number(status) >= 200 && Number(status) < 300 ? n + count : n), 0);
	return {
		offeredRate: rate,
		seconds,
		sent,
		ok,
		statuses,
		errors,
		achievedRate: Math.round((ok / elapsed) * 10) / 10,
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		max: latencies.length ? Math.max(...latencies) : null,
		lateMs: Math.round(lateMs * 10) / 10
	};
}
