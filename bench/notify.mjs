/**
 * Notifications: deliveries per second from one `notifications` worker
 * process to a local webhook receiver. N `certificate.issued` events are
 * written through the outbox (enqueueNotification, in batches of 500) for a
 * tenant with one subscribed endpoint while no worker runs; then one worker
 * starts and drains the backlog (claim with SKIP LOCKED, sign, POST, record
 * the attempt, live event). Measured from the worker's first attempt to the last
 * `sent` (first attempt started to last attempt finished), with the worker's
 * CPU per delivery.
 *
 * Then the latency of single events, one after another, from the commit of
 * the event to its arrival at the receiver (the worker idle, woken by NOTIFY).
 *
 * Baseline, same run, same receiver: a plain loop in this process sending the
 * same number of Standard Webhooks-signed POSTs at the same concurrency over
 * keep-alive connections — no database, no attempt records.
 */
import { createServer, Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { cpuMs, embeddedDatabaseUrl, result, root, startApp, startWorker } from './lib.mjs';

// the worker's default; NOTIFY_CONCURRENCY in the bench's environment measures another
const CONCURRENCY = Number(process.env.NOTIFY_CONCURRENCY ?? 8);

async function receiver() {
	const ids = new Map();
	let arrived = null;
	const server = createServer((req, res) => {
		req.resume();
		req.on('end', () => {
			const id = String(req.headers['webhook-id'] ?? '');
			ids.set(id, (ids.get(id) ?? 0) + 1);
			res.writeHead(204).end();
			arrived?.();
			arrived = null;
		});
	});
	await new Promise((r) => server.listen(0, '127.0.0.1', r));
	return {
		port: server.address().port,
		ids,
		/** resolves when the next message has arrived */
		next: () => new Promise((r) => (arrived = r)),
		stop: () => new Promise((r) => server.close(r))
	};
}

/** Commit to arrival of single events sent one after another to an idle, listening worker (the NOTIFY wake-up path). */
async function latencies(support, database, hook, tenantId, count) {
	const ms = [];
	for (let i = 0; i < count; i++) {
		const arrived = hook.next();
		const t = performance.now();
		const event = { type: 'certificate.issued', tenantId, data: { certificateId: `wc_latency${String(i).padStart(6, '0')}`, proofId: `prf_latency${i}`, issuedAt: new Date().toISOString() } };
		await database.db.transaction((tx) => support.enqueueNotification(tx, [event]));
		await arrived;
		ms.push(performance.now() - t);
	}
	ms.sort((a, b) => a - b);
	const at = (q) => Number(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(1));
	return { p50: at(0.5), p95: at(0.95), max: Number(ms[ms.length - 1].toFixed(1)) };
}

async function baseline(support, port, n, secret) {
	const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
	const body = JSON.stringify({ type: 'certificate.issued', timestamp: new Date().toISOString(), data: { certificateId: 'wc_bench', proofId: 'prf_bench', issuedAt: new Date().toISOString() } });
	let next = 0;
	const t = performance.now();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < n) {
				next++;
				const headers = support.signatureHeaders(support.messageId(randomUUID()), new Date(), body, [secret]);
				await new Promise((resolve, reject) => {
					const req = request({ host: '127.0.0.1', port, path: '/baseline', method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
						res.resume();
						res.on('end', resolve);
					});
					req.on('error', reject);
					req.end(body);
				});
			}
		})
	);
	agent.destroy();
	return n / ((performance.now() - t) / 1000);
}

export async function notifyBenchmark({ quick, support, log, appRoot = root }) {
	const n = quick ? 200 : 5000;
	const hook = await receiver();
	const env = { WORKERS: 'none', WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${hook.port}`, NOTIFY_CONCURRENCY: String(CONCURRENCY) };
	const app = await startApp(env, { name: 'notify', appRoot });
	const database = support.openDatabase(embeddedDatabaseUrl(app.dataDir), 4);
	let worker;
	try {
		const jar = await support.signInToApp(app.origin, 'admin@acme.test');
		const created = await fetch(`${app.origin}/api/v1/webhooks`, {
			method: 'POST',
			headers: { cookie: jar.header(), origin: app.origin, 'content-type': 'application/json' },
			body: JSON.stringify({ url: `http://127.0.0.1:${hook.port}/hook`, events: ['certificate.issued'] })
		});
		if (created.status !== 201) throw new Error(`registering the endpoint failed: ${created.status} ${await created.text()}`);
		const { secret } = await created.json();
		const [{ id: tenantId }] = await database.sql`select id from tenants where slug = 'acme'`;
		const t0 = performance.now();
		for (let i = 0; i < n; i += 500) {
			const events = Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
				type: 'certificate.issued',
				tenantId,
				data: { certificateId: `wc_bench${String(i + j).padStart(8, '0')}`, proofId: `prf_bench${i + j}`, issuedAt: new Date().toISOString(), device: { manufacturer: 'Samsung', model: '870 EVO' } }
			}));
			await database.db.transaction((tx) => support.enqueueNotification(tx, events));
		}
		const enqueueMs = performance.now() - t0;
		log(`notify: ${n} deliveries written through the outbox in ${Math.round(enqueueMs)} ms; starting one worker`);
		const started = performance.now();
		worker = await startWorker('notifications', env, { dataDir: app.dataDir, appRoot });
		const cpu0 = cpuMs(worker.pid);
		for (;;) {
			const [{ sent }] = await database.sql`select count(*)::int as sent from notification_deliveries where status = 'sent'`;
			if (sent >= n) break;
			if (performance.now() - started > 600_000) throw new Error(`only ${sent} of ${n} deliveries sent after 10 minutes:\n${worker.output()}`);
			await new Promise((r) => setTimeout(r, 100));
		}
		const cpu = cpuMs(worker.pid) - cpu0;
		// the worker's own span: its first attempt's start to its last attempt's end (process start-up excluded)
		const [{ span }] = await database.sql`select extract(epoch from max(finished_at) - min(started_at))::float8 as span from notification_attempts`;
		const seconds = span;
		const wall = (performance.now() - started) / 1000;
		const unique = [...hook.ids.keys()].filter((k) => k.startsWith('msg_')).length;
		if (unique !== n) throw new Error(`the receiver saw ${unique} distinct webhook-ids for ${n} deliveries`);
		const [{ attempts }] = await database.sql`select count(*)::int as attempts from notification_attempts`;
		log(`notify: worker sent ${n} in ${seconds.toFixed(1)} s; latency of single events`);
		const latency = await latencies(support, database, hook, tenantId, quick ? 10 : 50);
		log(`notify: commit to arrival p50 ${latency.p50} ms, p95 ${latency.p95} ms; baseline loop`);
		const base = await baseline(support, hook.port, n, secret);
		return [
			result('notify.webhooks_per_s', 'deliveries/s', n / seconds, base, {
				deliveries: n,
				concurrency: CONCURRENCY,
				seconds: Number(seconds.toFixed(2)),
				secondsFromProcessStart: Number(wall.toFixed(2)),
				workerCpuMsPerDelivery: Number((cpu / n).toFixed(2)),
				enqueuePerS: Math.round(n / (enqueueMs / 1000)),
				uniqueWebhookIds: unique,
				attempts,
				latencyMsP50: latency.p50,
				latencyMsP95: latency.p95,
				latencyMsMax: latency.max,
				note: 'first attempt started to last attempt finished, one worker process draining a backlog; CPU of the worker from its ready line to the end; latency: commit of one event to its arrival at the receiver, the worker idle and listening (NOTIFY), one event at a time; baseline: signed POSTs from a plain loop, same receiver and concurrency'
			})
		];
	} finally {
		await worker?.stop();
		await database.close(1);
		await app.stop();
		await hook.stop();
	}
}
