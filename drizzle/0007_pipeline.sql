CREATE TABLE "agent_activity" (
	"agent_id" uuid PRIMARY KEY NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_enrolment_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"name" text NOT NULL,
	"created_by_kind" text NOT NULL,
	"created_by_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"agent_id" uuid
);
--> statement-breakpoint
CREATE TABLE "agent_request_nonces" (
	"agent_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agent_request_nonces_agent_id_nonce_pk" PRIMARY KEY("agent_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"certificate_serial" text NOT NULL,
	"certificate_pem" text NOT NULL,
	"public_key_spki" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"suspended_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_status_check" CHECK ("agents"."status" in ('active', 'suspended', 'revoked')),
	CONSTRAINT "agents_revoked_has_time" CHECK ("agents"."status" <> 'revoked' or "agents"."revoked_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"public_id" text NOT NULL,
	"tenant_id" uuid NOT NULL,
	"proof_id" uuid NOT NULL,
	"status" text DEFAULT 'issuing' NOT NULL,
	"record" jsonb NOT NULL,
	"record_sha256" text NOT NULL,
	"receipt_key_id" text,
	"receipt_signature" text,
	"receipt_algorithm" text,
	"log_index" bigint,
	"pdf_object_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"issued_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"revoked_by_kind" text,
	"revoked_by_id" text,
	CONSTRAINT "certificates_status_check" CHECK ("certificates"."status" in ('issuing', 'valid', 'revoked')),
	CONSTRAINT "certificates_revoked_check" CHECK ("certificates"."status" <> 'revoked' or ("certificates"."revoked_at" is not null and "certificates"."revocation_reason" is not null))
);
--> statement-breakpoint
CREATE TABLE "licence_ledger" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"amount" integer NOT NULL,
	"balance_after" integer NOT NULL,
	"proof_id" uuid,
	"reason" text,
	"actor_kind" text,
	"actor_id" text,
	"reference" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "licence_ledger_kind_check" CHECK ("licence_ledger"."kind" in ('grant', 'top_up', 'consumption', 'refund', 'correction')),
	CONSTRAINT "licence_ledger_balance_check" CHECK ("licence_ledger"."balance_after" >= 0),
	CONSTRAINT "licence_ledger_amount_check" CHECK (("licence_ledger"."kind" = 'consumption' and "licence_ledger"."amount" = -1 and "licence_ledger"."proof_id" is not null)
				or ("licence_ledger"."kind" = 'refund' and "licence_ledger"."amount" = 1 and "licence_ledger"."proof_id" is not null)
				or ("licence_ledger"."kind" in ('grant', 'top_up') and "licence_ledger"."amount" > 0)
				or ("licence_ledger"."kind" = 'correction' and "licence_ledger"."amount" <> 0)),
	CONSTRAINT "licence_ledger_reason_check" CHECK ("licence_ledger"."kind" = 'consumption' or length("licence_ledger"."reason") > 0)
);
--> statement-breakpoint
CREATE TABLE "proof_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"proof_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"code" text,
	"detail" text,
	"actor" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "proofs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"public_id" text NOT NULL,
	"tenant_id" uuid NOT NULL,
	"agent_id" uuid,
	"source" text NOT NULL,
	"submitter_kind" text NOT NULL,
	"submitter_id" text NOT NULL,
	"filename" text,
	"size_bytes" integer NOT NULL,
	"content_sha256" text NOT NULL,
	"content_hmac" text,
	"object_key" text NOT NULL,
	"status" text DEFAULT 'RECEIVED' NOT NULL,
	"rejection_code" text,
	"rejection_detail" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"claimed_by" text,
	"claimed_until" timestamp with time zone,
	"last_error" text,
	"summary" jsonb,
	"device_serial" text,
	"asset_tag" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "proofs_status_check" CHECK ("proofs"."status" in ('RECEIVED', 'VALIDATING', 'CERTIFIED_PENDING_ANCHOR', 'CERTIFIED', 'CERTIFIED_NO_ANCHOR', 'REJECTED', 'FAILED_RETRYABLE')),
	CONSTRAINT "proofs_rejected_has_code" CHECK ("proofs"."status" <> 'REJECTED' or "proofs"."rejection_code" is not null)
);
--> statement-breakpoint
ALTER TABLE "agent_activity" ADD CONSTRAINT "agent_activity_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_enrolment_tokens" ADD CONSTRAINT "agent_enrolment_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_proof_id_proofs_id_fk" FOREIGN KEY ("proof_id") REFERENCES "public"."proofs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licence_ledger" ADD CONSTRAINT "licence_ledger_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licence_ledger" ADD CONSTRAINT "licence_ledger_proof_id_proofs_id_fk" FOREIGN KEY ("proof_id") REFERENCES "public"."proofs"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proof_events" ADD CONSTRAINT "proof_events_proof_id_proofs_id_fk" FOREIGN KEY ("proof_id") REFERENCES "public"."proofs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proofs" ADD CONSTRAINT "proofs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "proofs" ADD CONSTRAINT "proofs_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_enrolment_tokens_hash_key" ON "agent_enrolment_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "agent_enrolment_tokens_tenant_idx" ON "agent_enrolment_tokens" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "agent_request_nonces_created_idx" ON "agent_request_nonces" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "agents_certificate_serial_key" ON "agents" USING btree ("certificate_serial");--> statement-breakpoint
CREATE INDEX "agents_tenant_idx" ON "agents" USING btree ("tenant_id","enrolled_at");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_public_id_key" ON "certificates" USING btree ("public_id");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_proof_key" ON "certificates" USING btree ("proof_id");--> statement-breakpoint
CREATE INDEX "certificates_tenant_created_idx" ON "certificates" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "licence_ledger_tenant_idx" ON "licence_ledger" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "licence_ledger_consumption_key" ON "licence_ledger" USING btree ("proof_id") WHERE "licence_ledger"."kind" = 'consumption';--> statement-breakpoint
CREATE UNIQUE INDEX "licence_ledger_refund_key" ON "licence_ledger" USING btree ("proof_id") WHERE "licence_ledger"."kind" = 'refund';--> statement-breakpoint
CREATE UNIQUE INDEX "licence_ledger_reference_key" ON "licence_ledger" USING btree ("tenant_id","reference") WHERE "licence_ledger"."reference" is not null;--> statement-breakpoint
CREATE INDEX "proof_events_proof_idx" ON "proof_events" USING btree ("proof_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "proofs_public_id_key" ON "proofs" USING btree ("public_id");--> statement-breakpoint
CREATE UNIQUE INDEX "proofs_tenant_content_key" ON "proofs" USING btree ("tenant_id","content_sha256");--> statement-breakpoint
CREATE UNIQUE INDEX "proofs_tenant_hmac_key" ON "proofs" USING btree ("tenant_id","content_hmac") WHERE "proofs"."content_hmac" is not null;--> statement-breakpoint
CREATE INDEX "proofs_tenant_received_idx" ON "proofs" USING btree ("tenant_id","received_at","id");--> statement-breakpoint
CREATE INDEX "proofs_tenant_status_idx" ON "proofs" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "proofs_tenant_serial_idx" ON "proofs" USING btree ("tenant_id","device_serial");--> statement-breakpoint
CREATE INDEX "proofs_tenant_asset_idx" ON "proofs" USING btree ("tenant_id","asset_tag");--> statement-breakpoint
CREATE INDEX "proofs_open_idx" ON "proofs" USING btree ("status","received_at") WHERE "proofs"."status" in ('RECEIVED', 'VALIDATING', 'FAILED_RETRYABLE');