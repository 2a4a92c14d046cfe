-- Issue 5 §8: the least-privilege ingest role must not read tenants. Submissions still refuse a
-- suspended tenant (issue 7 §4), so the ingest role may ask exactly that question about a tenant
-- it already knows (from the agent's row), and nothing else: a SECURITY DEFINER function owned by
-- the migrating role, with a fixed search_path (PostgreSQL docs, "Writing SECURITY DEFINER
-- Functions Safely"). EXECUTE is granted by ensureIngestRole (src/lib/server/db/roles.ts).
CREATE OR REPLACE FUNCTION tenant_is_active(p_tenant uuid) RETURNS boolean
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = public, pg_temp
	AS $$ select exists (select 1 from public.tenants where id = p_tenant and status = 'active') $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION tenant_is_active(uuid) FROM PUBLIC;
