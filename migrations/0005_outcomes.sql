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
ALTER TABLE "kpi_daily" ADD COLUMN "self_served" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "automation_met" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "automation_escalated" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "csat_automated_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_daily" ADD COLUMN "csat_automated_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "self_served" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "automation_met" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "automation_escalated" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "csat_automated_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_hourly" ADD COLUMN "csat_automated_positive" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "automation_endpoints" ADD CONSTRAINT "automation_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "automation_endpoints_tenant_idx" ON "automation_endpoints" USING btree ("tenant_id");--> statement-breakpoint
-- Calls stored before handledBy existed: an agent answered or placed them (the evidence of automation
-- is only known again when a call is recomputed from its events).
UPDATE "calls" SET "handled_by" = 'agent' WHERE "status" = 'answered' OR jsonb_array_length("agents") > 0;
