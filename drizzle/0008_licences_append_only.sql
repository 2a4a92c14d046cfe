-- Custom migration (owner: src/lib/server/licences). Keep it when squashing migrations.
-- The licence ledger is append-only (ARCHITECTURE rules, issue 5 §6): UPDATE, DELETE
-- and TRUNCATE of licence_ledger are refused for every role, the table owner the app
-- connects as included. A wrong row is corrected by a new `correction` row.
CREATE OR REPLACE FUNCTION licence_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'licence_ledger is append-only (% refused); book a correction instead', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER licence_ledger_no_update_delete BEFORE UPDATE OR DELETE ON "licence_ledger"
	FOR EACH ROW EXECUTE FUNCTION licence_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER licence_ledger_no_truncate BEFORE TRUNCATE ON "licence_ledger"
	FOR EACH STATEMENT EXECUTE FUNCTION licence_ledger_append_only();
