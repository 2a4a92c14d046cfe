ALTER TABLE "certificates" ADD COLUMN "anonymised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "maintenance_runs" ADD COLUMN "outcome" text DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE "maintenance_runs" ADD COLUMN "result" jsonb;--> statement-breakpoint
ALTER TABLE "proofs" ADD COLUMN "object_purged_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "maintenance_runs_task_idx" ON "maintenance_runs" USING btree ("task","finished_at");