import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_DE, messageDe } from './errors-de';
import { ERROR_CATALOGUE, ERROR_CODES, errorBody } from './errors';
import { apiLocale, germanMessage, localizeEnvelope } from './localize';

function sources(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return name === 'paraglide' || name === 'api' ? [] : sources(path);
		return /\.ts$/.test(name) && !/\.spec\.ts$/.test(name) ? [path] : [];
	});
}

describe('API error messages in German', () => {
	it('picks the language by Accept-Language weight, en by default', () => {
		expect(apiLocale(null)).toBe('en');
		expect(apiLocale('de')).toBe('de');
		expect(apiLocale('de-DE,de;q=0.9,en;q=0.8')).toBe('de');
		expect(apiLocale('en-US,en;q=0.9,de;q=0.8')).toBe('en');
		expect(apiLocale('fr-FR, de;q=0.5')).toBe('de');
		expect(apiLocale('de;q=0, en')).toBe('en');
		expect(apiLocale('*')).toBe('en');
	});

	it('every code of the catalogue has its own German default', () => {
		for (const code of ERROR_CODES) {
			expect(CATALOGUE_DE[code], code).toMatch(/\S/);
			expect(CATALOGUE_DE[code], code).not.toBe(ERROR_CATALOGUE[code].message);
		}
	});

	it('translates the envelope but keeps its code, correlation id, fields and shape', () => {
		const body = errorBody('validation_failed', ERROR_CATALOGUE.validation_failed.message, 'c-1', [{ field: 'name', problem: 'must not be blank' }]);
		expect(localizeEnvelope(body)).toEqual({
			error: { code: 'validation_failed', message: 'Einige Felder sind ungültig; siehe Details.', correlationId: 'c-1', details: [{ field: 'name', problem: 'darf nicht leer sein' }] }
		});
		expect(germanMessage('proof_not_der', 'The body is not a DER-encoded proof: its length field is malformed.')).toBe('Der Inhalt ist kein DER-kodierter Nachweis (its length field is malformed).');
		expect(germanMessage('conflict', 'The balance is 3; this would take it to -2.')).toBe('Der Bestand ist 3; das würde ihn auf -2 bringen.');
		// a message this table does not know falls back to its code's German text, never to English
		expect(germanMessage('conflict', 'Some new text nobody translated.')).toBe(CATALOGUE_DE.conflict);
	});

	it('knows every literal message the server code throws', () => {
		const missing: string[] = [];
		const literal = /new ApiError\(\s*'([a-z_]+)',\s*'((?:[^'\\]|\\.)*)'/g;
		const detail = /problem: '((?:[^'\\]|\\.)*)'/g;
		for (const file of [...sources('src/lib/server'), 'src/hooks.server.ts']) {
			const text = readFileSync(file, 'utf8');
			for (const m of text.matchAll(literal)) if (germanMessage(m[1], m[2]) === CATALOGUE_DE[m[1] as keyof typeof CATALOGUE_DE] && m[2] !== ERROR_CATALOGUE[m[1] as keyof typeof ERROR_CATALOGUE]?.message) missing.push(`${file}: ${m[2]}`);
			if (/ApiError/.test(text)) for (const m of text.matchAll(detail)) if (messageDe(m[1]) === null) missing.push(`${file}: problem ${m[1]}`);
		}
		expect(missing).toEqual([]);
	});
});
