CREATE TABLE "log_cosignatures" (
	"tree_size" bigint NOT NULL,
	"witness" text NOT NULL,
	"cosigned_at" bigint NOT NULL,
	"line" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "log_cosignatures_tree_size_witness_pk" PRIMARY KEY("tree_size","witness")
);
--> statement-breakpoint
CREATE TABLE "log_entries" (
	"idx" bigint PRIMARY KEY NOT NULL,
	"data" "bytea" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "log_cosignatures" ADD CONSTRAINT "log_cosignatures_tree_size_log_checkpoints_tree_size_fk" FOREIGN KEY ("tree_size") REFERENCES "public"."log_checkpoints"("tree_size") ON DELETE no action ON UPDATE no action;