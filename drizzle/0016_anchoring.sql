CREATE TABLE "anchor_certificates" (
	"certificate_id" uuid PRIMARY KEY NOT NULL,
	"public_id" text NOT NULL,
	"proof_id" uuid NOT NULL,
	"leaf_index" bigint NOT NULL,
	"anchor_id" bigint,
	"inclusion" jsonb,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"anchored_at" timestamp with time zone,
	"pdf_anchor_id" bigint
);
--> statement-breakpoint
CREATE TABLE "anchor_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"anchor_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"block_number" bigint,
	"block_hash" text,
	"detail" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anchor_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"wake_at" timestamp with time zone,
	"last_submitted_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_success_at" timestamp with time zone,
	CONSTRAINT "anchor_state_one_row" CHECK ("anchor_state"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "anchors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"chain_id" bigint NOT NULL,
	"contract" text NOT NULL,
	"from_address" text NOT NULL,
	"origin" text NOT NULL,
	"tree_size" bigint NOT NULL,
	"root_hash" text NOT NULL,
	"nonce" bigint NOT NULL,
	"tx_hash" text NOT NULL,
	"raw_tx" text NOT NULL,
	"status" text DEFAULT 'signed' NOT NULL,
	"block_number" bigint,
	"block_hash" text,
	"block_time" timestamp with time zone,
	"gas_used" bigint,
	"fee_wei" text,
	"reorgs" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"confirmed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "anchors_status_check" CHECK ("anchors"."status" in ('signed', 'sent', 'included', 'confirmed', 'final', 'reverted', 'dropped'))
);
--> statement-breakpoint
CREATE TABLE "chain_nonces" (
	"chain_id" bigint NOT NULL,
	"address" text NOT NULL,
	"next_nonce" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_nonces_chain_id_address_pk" PRIMARY KEY("chain_id","address")
);
--> statement-breakpoint
ALTER TABLE "anchor_certificates" ADD CONSTRAINT "anchor_certificates_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anchor_certificates" ADD CONSTRAINT "anchor_certificates_anchor_id_anchors_id_fk" FOREIGN KEY ("anchor_id") REFERENCES "public"."anchors"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anchor_events" ADD CONSTRAINT "anchor_events_anchor_id_anchors_id_fk" FOREIGN KEY ("anchor_id") REFERENCES "public"."anchors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "anchor_certificates_public_id_key" ON "anchor_certificates" USING btree ("public_id");--> statement-breakpoint
CREATE INDEX "anchor_certificates_waiting_idx" ON "anchor_certificates" USING btree ("leaf_index") WHERE "anchor_certificates"."anchor_id" is null;--> statement-breakpoint
CREATE INDEX "anchor_certificates_anchor_idx" ON "anchor_certificates" USING btree ("anchor_id");--> statement-breakpoint
CREATE INDEX "anchor_certificates_pdf_due_idx" ON "anchor_certificates" USING btree ("anchor_id") WHERE "anchor_certificates"."anchor_id" is not null and "anchor_certificates"."pdf_anchor_id" is distinct from "anchor_certificates"."anchor_id";--> statement-breakpoint
CREATE INDEX "anchor_events_anchor_idx" ON "anchor_events" USING btree ("anchor_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "anchors_nonce_key" ON "anchors" USING btree ("chain_id","from_address","nonce");--> statement-breakpoint
CREATE UNIQUE INDEX "anchors_tx_hash_key" ON "anchors" USING btree ("tx_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "anchors_live_tree_size_key" ON "anchors" USING btree ("chain_id","contract","origin","tree_size") WHERE "anchors"."status" not in ('reverted', 'dropped');--> statement-breakpoint
CREATE INDEX "anchors_open_idx" ON "anchors" USING btree ("status","nonce") WHERE "anchors"."status" in ('signed', 'sent', 'included', 'confirmed');--> statement-breakpoint
-- hand-written
-- The anchor worker's single state row exists from the start, so scheduling a wake-up is one UPDATE.
INSERT INTO "anchor_state" ("id") VALUES (1) ON CONFLICT DO NOTHING;
