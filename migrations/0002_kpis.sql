CREATE TABLE "agent_presence_events" (
	"tenant_id" uuid NOT NULL,
	"agent_id" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"connection_id" uuid NOT NULL,
	CONSTRAINT "agent_presence_events_tenant_id_agent_id_at_state_pk" PRIMARY KEY("tenant_id","agent_id","at","state")
);
--> statement-breakpoint
CREATE TABLE "agent_schedules" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"agent_id" text NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"tenant_id" uuid NOT NULL,
	"id" text NOT NULL,
	"name" text,
	"provider" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "agents_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "kpi_dirty_hours" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"hour_key" text NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpi_hourly" (
	"tenant_id" uuid NOT NULL,
	"hour_key" text NOT NULL,
	"agent_id" text NOT NULL,
	"queue" text NOT NULL,
	"campaign_id" text NOT NULL,
	"provider" text NOT NULL,
	"direction" text NOT NULL,
	"calls" integer NOT NULL,
	"offered" integer NOT NULL,
	"answered" integer NOT NULL,
	"abandoned" integer NOT NULL,
	"short_abandoned" integer NOT NULL,
	"short_abandoned_within_sl" integer NOT NULL,
	"missed" integer NOT NULL,
	"voicemail" integer NOT NULL,
	"answered_within_sl" integer NOT NULL,
	"wait_sum_answered" bigint NOT NULL,
	"handled_count" integer NOT NULL,
	"handle_sum_handled" bigint NOT NULL,
	"fcr_eligible" integer NOT NULL,
	"fcr_resolved" integer NOT NULL,
	"csat_count" integer NOT NULL,
	"csat_positive" integer NOT NULL,
	"nps_count" integer NOT NULL,
	"nps_promoters" integer NOT NULL,
	"nps_detractors" integer NOT NULL,
	CONSTRAINT "kpi_hourly_tenant_id_hour_key_agent_id_queue_campaign_id_provider_direction_pk" PRIMARY KEY("tenant_id","hour_key","agent_id","queue","campaign_id","provider","direction")
);
--> statement-breakpoint
CREATE TABLE "kpi_state" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"fingerprint" text NOT NULL,
	"rebuilt_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "queues" (
	"tenant_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"key" text NOT NULL,
	"queue_id" text,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "queues_tenant_id_provider_key_pk" PRIMARY KEY("tenant_id","provider","key")
);
--> statement-breakpoint
CREATE TABLE "survey_responses" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"csat" smallint,
	"nps" smallint,
	"responded_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "agent_schedules_interval_idx" ON "agent_schedules" USING btree ("tenant_id","agent_id","starts_at","ends_at");--> statement-breakpoint
CREATE INDEX "kpi_dirty_hours_tenant_idx" ON "kpi_dirty_hours" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "survey_responses_call_idx" ON "survey_responses" USING btree ("tenant_id","call_id","responded_at");