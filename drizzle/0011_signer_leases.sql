CREATE TABLE "signer_key_leases" (
	"key_id" text PRIMARY KEY NOT NULL,
	"holder" text,
	"leased_at" timestamp with time zone,
	"leased_until" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"batches" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer_receipts" (
	"record_id" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"reserved_until" timestamp with time zone NOT NULL,
	"key_id" text,
	"algorithm" text,
	"signature" text,
	"signed_at" timestamp with time zone
);
