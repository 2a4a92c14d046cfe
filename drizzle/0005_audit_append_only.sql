-- Custom migration (owner: src/lib/server/audit). Keep it when squashing migrations.
-- The audit trail is append-only (issue 4 §6): UPDATE, DELETE and TRUNCATE of
-- audit_events are refused for every role, including the table owner the app
-- connects as. Tampering then needs ALTER TABLE … DISABLE TRIGGER (owner or
-- superuser), and verifyAuditChain finds what was changed.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON "audit_events"
	FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
	FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
