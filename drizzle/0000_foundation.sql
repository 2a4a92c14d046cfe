CREATE TABLE "maintenance_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task" text NOT NULL,
	"job_id" text NOT NULL,
	"worker_pid" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "maintenance_runs_job_id_unique" UNIQUE("job_id")
);
