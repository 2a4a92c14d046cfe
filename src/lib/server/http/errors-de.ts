/**
 * German texts of the error envelope (`Accept-Language: de`). The code never
 * changes; only `message` and the details' `problem` are translated. Every
 * catalogue code has its German default (the type makes a missing one a
 * compile error); a specific message is translated when it is listed here
 * (literal or pattern), else the code's German default stands in for it.
 */
import type { ErrorCode } from './errors';

export const CATALOGUE_DE: Record<ErrorCode, string> = {
	bad_request: 'Die Anfrage konnte nicht verstanden werden.',
	unauthenticated: 'Melden Sie sich an oder senden Sie ein gültiges Token.',
	forbidden: 'Ihre Rolle erlaubt das nicht.',
	not_found: 'Hier ist nichts.',
	method_not_allowed: 'Dieser Pfad nimmt diese Methode nicht an.',
	conflict: 'Die Anfrage widerspricht dem aktuellen Stand.',
	idempotency_key_reused: 'Dieser Idempotency-Key wurde schon mit einer anderen Anfrage verwendet.',
	payload_too_large: 'Der Inhalt der Anfrage ist größer als erlaubt.',
	headers_too_large: 'Anfragezeile und Header sind größer, als der Server annimmt (16 KiB).',
	unsupported_media_type: 'Der Inhalt der Anfrage hat einen Inhaltstyp, den dieser Pfad nicht annimmt.',
	validation_failed: 'Einige Felder sind ungültig; siehe Details.',
	rate_limited: 'Zu viele Anfragen; versuchen Sie es nach der Zeit in Retry-After erneut.',
	internal_error: 'Bei uns ist etwas schiefgelaufen; nennen Sie die Korrelations-ID.',
	service_unavailable: 'Ein benötigter Dienst ist nicht erreichbar; versuchen Sie es später erneut.',
	agent_signature_invalid: 'Die Signatur der Anfrage fehlt oder gehört zu keinem registrierten Agenten.',
	agent_signature_expired: 'Die Signatur der Anfrage wurde außerhalb des erlaubten Zeitfensters erstellt.',
	agent_signature_replayed: 'Diese Signatur-Nonce wurde schon verwendet; signieren Sie jede Anfrage neu.',
	agent_suspended: 'Dieser Agent ist gesperrt; ein Operator kann ihn wieder freigeben.',
	agent_revoked: 'Dieser Agent wurde widerrufen; registrieren Sie ihn mit einem neuen Token erneut.',
	enrolment_token_invalid: 'Das Registrierungstoken ist unbekannt, verbraucht oder abgelaufen; bitten Sie einen Operator um ein neues.',
	content_digest_mismatch: 'Der Inhalt passt nicht zu seinem Content-Digest (RFC 9530).',
	proof_not_der: 'Der Inhalt ist kein DER-kodierter CMS-Nachweis (er muss mit einer DER-SEQUENCE beginnen).',
	tenant_suspended: 'Dieser Mandant ist gesperrt; bitten Sie den Plattformbetreiber, ihn wieder freizugeben.',
	nwipe_log_invalid: 'Diese Datei ist kein nwipe-Protokoll, das WipeCert lesen kann; die Meldung nennt die Zeile.',
	webhook_url_refused: 'An diese Adresse sendet WipeCert keine Webhooks (Regeln für ausgehende Adressen); siehe Details.',
	delivery_already_sent: 'Diese Zustellung wurde bereits gesendet; sie wird nicht erneut gesendet.',
	delivery_not_resendable: 'Diese Zustellung wurde übersprungen (kein Ziel konfiguriert); ändern Sie die Einstellungen und warten Sie auf das nächste Ereignis.'
};

/** Specific messages and detail problems, English → German. */
const LITERAL_DE: Record<string, string> = {
	'No delivery with this id in your tenant.': 'Keine Zustellung mit dieser ID in Ihrem Mandanten.',
	'No delivery with this id.': 'Keine Zustellung mit dieser ID.',
	'No webhook endpoint with this id in your tenant.': 'Kein Webhook-Endpunkt mit dieser ID in Ihrem Mandanten.',
	'No message with this id in the mail sink.': 'Keine Nachricht mit dieser ID in der Mail-Senke.',
	'This endpoint is disabled; enable it to send it a test message.': 'Dieser Endpunkt ist deaktiviert; aktivieren Sie ihn, um ihm eine Testnachricht zu senden.',
	'choose at least one event': 'wählen Sie mindestens ein Ereignis',
	'The log has no such tile (a full tile exists once its 256 hashes do; a partial one only up to the tree size).': 'Diese Kachel hat das Protokoll nicht (eine volle Kachel gibt es, sobald ihre 256 Hashes existieren; eine teilweise nur bis zur Baumgröße).',
	'This entry bundle covers leaves appended before the log published its entries; their data is not served.': 'Dieses Eintragsbündel umfasst Blätter, die angehängt wurden, bevor das Protokoll seine Einträge veröffentlichte; ihre Daten werden nicht ausgeliefert.',
	'The upload could not be spooled to disk; retry later.': 'Der Upload konnte nicht auf die Festplatte zwischengespeichert werden; versuchen Sie es später erneut.',
	'Send multipart/form-data: parts `log` (nwipe logs), `pdf` (optional) and `attest=true`.': 'Senden Sie multipart/form-data: Teile `log` (nwipe-Protokolle), `pdf` (optional) und `attest=true`.',
	'Attach at least one nwipe log as a `log` part.': 'Hängen Sie mindestens ein nwipe-Protokoll als Teil `log` an.',
	'The database is unavailable; retry later.': 'Die Datenbank ist nicht erreichbar; versuchen Sie es später erneut.',
	'A value in the request is not valid.': 'Ein Wert in der Anfrage ist ungültig.',
	'A consistency proof needs 0 < first ≤ second.': 'Ein Konsistenzbeweis braucht 0 < first ≤ second.',
	'A logo must be a PNG, JPEG or WebP image.': 'Ein Logo muss ein PNG-, JPEG- oder WebP-Bild sein.',
	'A request with this Idempotency-Key is still being processed; retry later.': 'Eine Anfrage mit diesem Idempotency-Key wird noch bearbeitet; versuchen Sie es später erneut.',
	'A tenant needs at least one active tenant admin.': 'Ein Mandant braucht mindestens einen aktiven Mandanten-Admin.',
	'Cross-site request refused (origin check).': 'Anfrage von einer anderen Website abgelehnt (Origin-Prüfung).',
	'Give exactly one of index and leafHash.': 'Geben Sie genau einen der Werte index und leafHash an.',
	'Idempotency-Key and X-Idempotency-Key differ; send one of them.': 'Idempotency-Key und X-Idempotency-Key unterscheiden sich; senden Sie nur einen.',
	'Idempotency-Key must be 1 to 255 printable ASCII characters.': 'Der Idempotency-Key muss aus 1 bis 255 druckbaren ASCII-Zeichen bestehen.',
	'No API route has this path.': 'Kein API-Pfad hat diese Adresse.',
	'No agent with this id in your tenant.': 'In Ihrem Mandanten gibt es keinen Agenten mit dieser ID.',
	'No certificate with this ID.': 'Kein Zertifikat hat diese ID.',
	'No certificate with this id in your tenant.': 'In Ihrem Mandanten gibt es kein Zertifikat mit dieser ID.',
	'No certificate with this id.': 'Kein Zertifikat hat diese ID.',
	'No dead letter with this id.': 'Keine Dead-Letter-Nachricht hat diese ID.',
	'No dev identity provider runs here.': 'Hier läuft kein Entwicklungs-Identitätsanbieter.',
	'No ingest route has this path.': 'Kein Ingest-Pfad hat diese Adresse.',
	'No log entry has this leaf hash.': 'Kein Log-Eintrag hat diesen Blatt-Hash.',
	'No member with this id in your tenant.': 'In Ihrem Mandanten gibt es kein Mitglied mit dieser ID.',
	'No person with this id.': 'Keine Person hat diese ID.',
	'No proof with this id in your tenant.': 'In Ihrem Mandanten gibt es keinen Nachweis mit dieser ID.',
	'No queue with this name.': 'Keine Warteschlange hat diesen Namen.',
	'No service account has this id.': 'Kein Dienstkonto hat diese ID.',
	'No tenant has this id.': 'Kein Mandant hat diese ID.',
	'No tenant with this id.': 'Kein Mandant hat diese ID.',
	'No report with this id.': 'Kein Bericht hat diese ID.',
	'Only the licence of a revoked certificate can be refunded.': 'Nur die Lizenz eines widerrufenen Zertifikats kann erstattet werden.',
	'Present the enrolment token as `Authorization: Bearer <token>`.': 'Senden Sie das Registrierungstoken als `Authorization: Bearer <token>`.',
	'Proof storage is unavailable; retry later.': 'Der Nachweisspeicher ist nicht erreichbar; versuchen Sie es später erneut.',
	'Send multipart/form-data with one part per proof, or one application/zip archive.': 'Senden Sie multipart/form-data mit einem Teil je Nachweis oder ein application/zip-Archiv.',
	'Send the body as application/json.': 'Senden Sie den Inhalt als application/json.',
	'Send the certificate as application/pdf.': 'Senden Sie das Zertifikat als application/pdf.',
	'Sign agent requests (RFC 9421: Signature-Input and Signature headers).': 'Signieren Sie Agenten-Anfragen (RFC 9421: Header Signature-Input und Signature).',
	'Sign in to manage your account.': 'Melden Sie sich an, um Ihr Konto zu verwalten.',
	'The bearer token is not valid here.': 'Das Bearer-Token ist hier nicht gültig.',
	'The body is not valid UTF-8 JSON.': 'Der Inhalt ist kein gültiges UTF-8-JSON.',
	'The cursor is not one this list handed out.': 'Diesen Cursor hat diese Liste nicht ausgegeben.',
	'The identity provider could not be reached.': 'Der Identitätsanbieter ist nicht erreichbar.',
	'The identity provider refused the sign-in code; sign in again.': 'Der Identitätsanbieter hat den Anmeldecode abgelehnt; melden Sie sich erneut an.',
	'The identity provider’s answer could not be verified.': 'Die Antwort des Identitätsanbieters konnte nicht geprüft werden.',
	'The identity provider refused the sign-in.': 'Der Identitätsanbieter hat die Anmeldung abgelehnt.',
	'Sign-in was cancelled.': 'Die Anmeldung wurde abgebrochen.',
	'The licence of this certificate was refunded already.': 'Die Lizenz dieses Zertifikats wurde schon erstattet.',
	'The log is empty.': 'Das Log ist leer.',
	'The multipart body has no boundary.': 'Der Multipart-Inhalt hat keine Boundary.',
	'The sign-in response does not match this browser; sign in again.': 'Die Antwort der Anmeldung passt nicht zu diesem Browser; melden Sie sich erneut an.',
	'The signer is unavailable; retry the enrolment later.': 'Der Signierdienst ist nicht erreichbar; versuchen Sie die Registrierung später erneut.',
	'The upload is empty.': 'Der Upload ist leer.',
	'The proof file is empty (0 bytes).': 'Die Nachweisdatei ist leer (0 Byte).',
	'This action needs a tenant membership.': 'Diese Aktion braucht eine Mitgliedschaft in einem Mandanten.',
	'This address is already a member or invited.': 'Diese Adresse ist schon Mitglied oder eingeladen.',
	'This agent is revoked; enrol a new one.': 'Dieser Agent ist widerrufen; registrieren Sie einen neuen.',
	'This certificate has no PDF yet.': 'Dieses Zertifikat hat noch kein PDF.',
	'This certificate is revoked already.': 'Dieses Zertifikat ist schon widerrufen.',
	'This certificate is still being issued; try again in a moment.': 'Dieses Zertifikat wird noch ausgestellt; versuchen Sie es gleich erneut.',
	'This client is already a service account.': 'Dieser Client ist schon ein Dienstkonto.',
	'This is the last platform admin; grant the role to someone else first.': 'Dies ist der letzte Plattform-Admin; geben Sie die Rolle zuerst jemand anderem.',
	'This membership comes from your identity provider’s groups; change it there.': 'Diese Mitgliedschaft stammt aus den Gruppen Ihres Identitätsanbieters; ändern Sie sie dort.',
	'This operation needs a signed-in person.': 'Diese Operation braucht eine angemeldete Person.',
	'This report is still being generated; download it once it is published.': 'Dieser Bericht wird noch erstellt; laden Sie ihn herunter, sobald er veröffentlicht ist.',
	'This proof was never charged a licence.': 'Für diesen Nachweis wurde nie eine Lizenz verbraucht.',
	'This sign-in took too long or was started elsewhere; sign in again.': 'Diese Anmeldung hat zu lange gedauert oder wurde woanders begonnen; melden Sie sich erneut an.',
	'WipeCert is starting; retry in a moment.': 'WipeCert startet; versuchen Sie es gleich erneut.',
	'You are not a member of this tenant.': 'Sie sind kein Mitglied dieses Mandanten.',
	'a correction must not be zero': 'eine Korrektur darf nicht null sein',
	'a reason is required to revoke an agent': 'zum Widerrufen eines Agenten ist ein Grund nötig',
	'already a member': 'schon Mitglied',
	'applies to format=csv only: the chain export takes from and to': 'gilt nur für format=csv: der Export der Kette nimmt nur from und to',
	'differs from X-Idempotency-Key': 'unterscheidet sich von X-Idempotency-Key',
	'is not a known IANA time zone': 'ist keine bekannte IANA-Zeitzone',
	'leafHash is a SHA-256 hash in base64 or hex.': 'leafHash ist ein SHA-256-Hash in Base64 oder Hex.',
	'must be 1–255 printable ASCII characters without surrounding spaces': 'muss aus 1–255 druckbaren ASCII-Zeichen ohne Leerzeichen am Rand bestehen',
	'must be after from': 'muss nach from liegen',
	'must be an event id': 'muss eine Ereignis-ID sein',
	'must be positive for a grant or top-up': 'muss bei einer Zuteilung oder Aufstockung positiv sein',
	'must not be before startedAt': 'darf nicht vor startedAt liegen',
	'must not be blank': 'darf nicht leer sein',
	'name, language, timeZone, certificateOperator or lowBalanceThreshold is required': 'name, language, timeZone, certificateOperator oder lowBalanceThreshold ist nötig',
	taken: 'schon vergeben',
	invalid: 'ungültig'
};

/** Messages with values in them: the pattern of the English text and its German form. */
const PATTERNS_DE: [RegExp, (...m: string[]) => string][] = [
	[/^The log has published no checkpoint of size (\d+)\.$/, (n) => `Das Log hat keinen Checkpoint der Größe ${n} veröffentlicht.`],
	[/^Leaf (\d+) is not in a tree of size (\d+)\.$/, (i, n) => `Blatt ${i} liegt nicht in einem Baum der Größe ${n}.`],
	[/^Too many requests; retry in (\d+) s\.$/, (s) => `Zu viele Anfragen; versuchen Sie es in ${s} s erneut.`],
	[/^A logo may be at most (\d+) KiB\.$/, (n) => `Ein Logo darf höchstens ${n} KiB groß sein.`],
	[/^A tenant with the short name "(.*)" exists already\.$/, (s) => `Einen Mandanten mit dem Kurznamen „${s}“ gibt es schon.`],
	[/^The request signature is not valid: (.*)\.$/s, (p) => `Die Signatur der Anfrage ist ungültig: ${p}.`],
	[/^The signature was created outside the accepted window of (\d+) s; .*$/s, (n) => `Die Signatur wurde außerhalb des erlaubten Fensters von ${n} s erstellt; prüfen Sie die Uhr des Agenten und signieren Sie jede Anfrage beim Senden.`],
	[/^has not ended yet in (.*)$/, (zone) => `ist in ${zone} noch nicht zu Ende`],
	[/^not grantable to a service account: (.*)$/, (s) => `einem Dienstkonto nicht zuteilbar: ${s}`],
	[/^Send the proof as (.*)\.$/, (t) => `Senden Sie den Nachweis als ${t.replace(' or ', ' oder ')}.`],
	[/^The body is not a DER-encoded proof: (.*)\.$/s, (why) => `Der Inhalt ist kein DER-kodierter Nachweis (${why}).`],
	[/^The upload is larger than (\d+) bytes\.$/, (n) => `Der Upload ist größer als ${n} Byte.`],
	[/^This file is larger than (\d+) bytes\.$/, (n) => `Diese Datei ist größer als ${n} Byte.`],
	[/^The upload is not a readable zip archive: (.*)\.$/s, (e) => `Der Upload ist kein lesbares Zip-Archiv: ${e}.`],
	[/^The zip archive is damaged: (.*)\.$/s, (e) => `Das Zip-Archiv ist beschädigt: ${e}.`],
	[/^The multipart body is malformed: (.*)\.$/s, (e) => `Der Multipart-Inhalt ist fehlerhaft: ${e}.`],
	[/^The body is larger than (\d+) bytes\.$/, (n) => `Der Inhalt ist größer als ${n} Byte.`],
	[/^The balance is (-?\d+); this would take it to (-?\d+)\.$/, (b, a) => `Der Bestand ist ${b}; das würde ihn auf ${a} bringen.`],
	[/^A proof rejected with (\S+) cannot change by reprocessing it\.$/, (c) => `Ein mit ${c} abgelehnter Nachweis ändert sich durch erneute Verarbeitung nicht.`],
	[/^A proof in state (\S+) is not reprocessed\.$/, (s) => `Ein Nachweis im Zustand ${s} wird nicht erneut verarbeitet.`]
];

/** The German text of one message, or null when this table does not know it. */
export function messageDe(message: string): string | null {
	const literal = LITERAL_DE[message];
	if (literal !== undefined) return literal;
	for (const [pattern, german] of PATTERNS_DE) {
		const m = pattern.exec(message);
		if (m) return german(...m.slice(1));
	}
	return null;
}
