CREATE TABLE "call_annotations" (
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"call_key" text NOT NULL,
	"call_id" uuid NOT NULL,
	"sentiment" jsonb,
	"summary" text,
	"topics" jsonb,
	"outcome" text,
	"handled_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "call_annotations_connection_id_call_key_pk" PRIMARY KEY("connection_id","call_key")
);
--> statement-breakpoint
CREATE TABLE "automation_endpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"number" text,
	"queue" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "handled_by" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "escalated_from_automation" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "automation" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "first_time_caller" boolean;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "sentiment" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "summary" text;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "topics" jsonb;--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "self_served" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "automation_met" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "automation_escalated" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "csat_automated_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "csat_automated_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "repeat_handle_sum" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "wait_sum_offered" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "transferred" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "leads" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "sentiment_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "sentiment_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "sentiment_score_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "sentiment_score_milli_sum" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "self_served" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "automation_met" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "automation_escalated" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "csat_automated_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "csat_automated_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "repeat_handle_sum" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "wait_sum_offered" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "transferred" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "leads" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "sentiment_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "sentiment_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "sentiment_score_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "sentiment_score_milli_sum" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "automation_endpoints" ADD CONSTRAINT "automation_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_annotations_tenant_call_idx" ON "call_annotations" USING btree ("tenant_id","call_id");--> statement-breakpoint
CREATE INDEX "automation_endpoints_tenant_idx" ON "automation_endpoints" USING btree ("tenant_id");--> statement-breakpoint
-- Calls stored before handledBy existed: an agent answered or placed them, or the provider reported
-- a self-served call (the rest of the evidence is known again when a call is recomputed from its events).
UPDATE "calls" SET "handled_by" = CASE WHEN "status" = 'self_served' THEN 'automation' ELSE 'agent' END
WHERE "status" IN ('answered', 'self_served') OR jsonb_array_length("agents") > 0;
