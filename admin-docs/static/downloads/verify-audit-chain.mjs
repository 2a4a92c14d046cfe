#!/usr/bin/env node
// Recomputes WipeCert audit hash chains offline from an export of
// GET /api/v1/audit/export (or /api/v1/admin/audit/export), NDJSON or JSON.
// Node.js 18 or later, no dependencies. Usage:
//   node verify-audit-chain.mjs audit.ndjson
// Exit 0: every chain in the file recomputes; 1: a problem (printed with the
// chain and seq); 2: the file cannot be read.
//
// hash = SHA-256( prevHash as 32 raw bytes || UTF-8 of the canonical row ),
// the canonical row being the RFC 8785 (JSON Canonicalization Scheme) form of
// {v, chain, seq, tenantId, actor, action, target, result, correlationId,
//  sourceIp, details, createdAt}.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const GENESIS = '0'.repeat(64);

/** RFC 8785: object keys sorted by UTF-16 code units, no whitespace, ECMAScript number and string forms. */
function canonical(value) {
	if (value === null || typeof value !== 'object') {
		if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('a number that JSON cannot hold');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	return `{${Object.keys(value)
		.sort()
		.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
		.join(',')}}`;
}

function rowHash(prevHash, row) {
	const hashed = {
		v: 1,
		chain: row.chain,
		seq: row.seq,
		tenantId: row.tenantId,
		actor: row.actor,
		action: row.action,
		target: row.target,
		result: row.result,
		correlationId: row.correlationId,
		sourceIp: row.sourceIp,
		details: row.details,
		createdAt: row.createdAt
	};
	return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonical(hashed), 'utf8').digest('hex');
}

const file = process.argv[2];
if (!file) {
	console.error('usage: node verify-audit-chain.mjs EXPORT.ndjson|EXPORT.json');
	process.exit(2);
}
let rows;
try {
	const text = readFileSync(file, 'utf8');
	rows = text.trimStart().startsWith('[') ? JSON.parse(text) : text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
} catch (error) {
	console.error(`cannot read ${file}: ${error.message}`);
	process.exit(2);
}

const chains = new Map();
for (const row of rows) {
	if (!chains.has(row.chain)) chains.set(row.chain, []);
	chains.get(row.chain).push(row);
}
let bad = 0;
for (const [chain, list] of chains) {
	let prev = null;
	let problem = null;
	for (const row of list) {
		if (prev && row.seq !== prev.seq + 1) problem = `seq ${row.seq} follows seq ${prev.seq}: rows are missing (seq_gap)`;
		else if (prev && row.prevHash !== prev.hash) problem = `seq ${row.seq}: prevHash is not the hash of seq ${prev.seq} (prev_hash_mismatch)`;
		else if (!prev && row.seq === 1 && row.prevHash !== GENESIS) problem = `seq 1: prevHash is not 64 zeros (prev_hash_mismatch)`;
		else if (rowHash(row.prevHash, row) !== row.hash) problem = `seq ${row.seq}: the row does not hash to its hash; it was changed (hash_mismatch)`;
		if (problem) break;
		prev = row;
	}
	if (problem) {
		bad++;
		console.log(`chain ${chain}: ${problem}`);
		continue;
	}
	const first = list[0];
	const from = first.seq === 1 ? 'from its first row' : `from seq ${first.seq} (linked to the rows before by prevHash ${first.prevHash})`;
	console.log(`chain ${chain}: ${list.length} rows OK ${from}; head seq ${prev.seq} hash ${prev.hash}`);
}
if (!chains.size) console.log('the file holds no audit rows');
process.exit(bad ? 1 : 0);
