CREATE TABLE "licence_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"ledger_entry_id" bigint NOT NULL,
	"balance" integer NOT NULL,
	"threshold" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "licence_alerts_kind_check" CHECK ("licence_alerts"."kind" in ('low', 'exhausted'))
);
--> statement-breakpoint
CREATE TABLE "billing_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" text NOT NULL,
	"tenant_id" uuid,
	"month" text NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'generating' NOT NULL,
	"time_zone" text NOT NULL,
	"language" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"totals" jsonb,
	"breakdown" jsonb,
	"csv_key" text,
	"csv_sha256" text,
	"csv_bytes" bigint,
	"json_key" text,
	"json_sha256" text,
	"json_bytes" bigint,
	"pdf_key" text,
	"pdf_sha256" text,
	"pdf_bytes" bigint,
	"statement_sha256" text,
	"requested_by_kind" text,
	"requested_by_id" text,
	"requested_by_role" text,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	CONSTRAINT "billing_reports_scope_check" CHECK ("billing_reports"."scope" = coalesce("billing_reports"."tenant_id"::text, 'platform')),
	CONSTRAINT "billing_reports_month_check" CHECK ("billing_reports"."month" ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
	CONSTRAINT "billing_reports_status_check" CHECK ("billing_reports"."status" in ('generating', 'published')),
	CONSTRAINT "billing_reports_version_check" CHECK ("billing_reports"."version" >= 1),
	CONSTRAINT "billing_reports_published_check" CHECK ("billing_reports"."status" <> 'published' or ("billing_reports"."totals" is not null and "billing_reports"."csv_sha256" is not null and "billing_reports"."json_sha256" is not null and "billing_reports"."pdf_sha256" is not null and "billing_reports"."published_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "low_balance_threshold" integer DEFAULT 50 NOT NULL;--> statement-breakpoint
ALTER TABLE "licence_alerts" ADD CONSTRAINT "licence_alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_reports" ADD CONSTRAINT "billing_reports_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "licence_alerts_crossing_key" ON "licence_alerts" USING btree ("tenant_id","kind","ledger_entry_id");--> statement-breakpoint
CREATE UNIQUE INDEX "billing_reports_scope_month_version_key" ON "billing_reports" USING btree ("scope","month","version");--> statement-breakpoint
CREATE INDEX "certificates_tenant_issued_idx" ON "certificates" USING btree ("tenant_id","issued_at","id");--> statement-breakpoint
CREATE INDEX "licence_ledger_created_idx" ON "licence_ledger" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "proof_events_tenant_final_idx" ON "proof_events" USING btree ("tenant_id","to_status","at") WHERE "proof_events"."to_status" in ('REJECTED', 'CERTIFIED');--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_low_balance_threshold_check" CHECK ("tenants"."low_balance_threshold" >= 0);