CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"timezone" text NOT NULL,
	"country" text,
	"api_key_hash" text NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_api_key_hash_unique" UNIQUE("api_key_hash")
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"name" text,
	"credentials_sealed" text NOT NULL,
	"health" text DEFAULT 'healthy' NOT NULL,
	"health_detail" jsonb,
	"health_checked_at" timestamp with time zone,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_event_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "call_events" (
	"connection_id" uuid NOT NULL,
	"call_key" text NOT NULL,
	"event_key" text NOT NULL,
	"tenant_id" uuid NOT NULL,
	"source" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "call_events_connection_id_call_key_event_key_pk" PRIMARY KEY("connection_id","call_key","event_key")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error" text,
	"headers" jsonb NOT NULL,
	"query" jsonb NOT NULL,
	"body" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"call_key" text NOT NULL,
	"provider_call_id" text NOT NULL,
	"direction" text NOT NULL,
	"status" text NOT NULL,
	"external_number" text,
	"tracking_number" text,
	"started_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"wait_seconds" integer NOT NULL,
	"talk_seconds" integer NOT NULL,
	"hold_seconds" integer,
	"after_call_work_seconds" integer NOT NULL,
	"acw_reported" integer DEFAULT 0 NOT NULL,
	"handle_seconds" integer NOT NULL,
	"agent_id" text,
	"agent_name" text,
	"agents" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"offered_agents" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"queue_id" text,
	"queue_name" text,
	"tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"recording_url" text,
	"cost_amount" numeric(18, 6),
	"cost_currency" text,
	"campaign_id" uuid,
	"attributed_revenue" numeric(18, 2) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backfills" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"kind" text DEFAULT 'backfill' NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"cursor" text,
	"progress" real DEFAULT 0 NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"error" text,
	"detail" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaign_numbers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"number" text NOT NULL,
	"valid_from" timestamp with time zone,
	"valid_to" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"channel" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_contacts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"name" text,
	"email" text,
	"phones" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_deals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"contact_external_id" text,
	"phones" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"amount" numeric(18, 2) NOT NULL,
	"currency" text NOT NULL,
	"stage" text NOT NULL,
	"type" text,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cost_day_shares" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"kind" text NOT NULL,
	"scope_campaign_id" uuid,
	"scope_agent_id" text,
	"dim" text NOT NULL,
	"value" text,
	"cents" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "costs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"external_id" text,
	"category" text NOT NULL,
	"kind" text NOT NULL,
	"amount" numeric(18, 2) NOT NULL,
	"currency" text NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"campaign_id" uuid,
	"agent_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roi_basis" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"timezone" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roi_day_calls" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"dim" text NOT NULL,
	"value" text,
	"calls" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "roi_dirty_days" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "attribution_credits" (
	"tenant_id" uuid NOT NULL,
	"deal_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"cents" bigint NOT NULL,
	"first_touch_at" timestamp with time zone,
	"deal_closed_at" timestamp with time zone,
	"deal_type" text,
	"started_at" timestamp with time zone,
	"campaign_id" uuid,
	"agent_id" text,
	"queue_name" text,
	"provider" text,
	"direction" text,
	CONSTRAINT "attribution_credits_deal_id_call_id_pk" PRIMARY KEY("deal_id","call_id")
);
--> statement-breakpoint
CREATE TABLE "attribution_dirty_deals" (
	"tenant_id" uuid NOT NULL,
	"deal_id" uuid NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "attribution_dirty_deals_tenant_id_deal_id_pk" PRIMARY KEY("tenant_id","deal_id")
);
--> statement-breakpoint
CREATE TABLE "roi_day_revenue" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"dim" text NOT NULL,
	"value" text,
	"deal_type" text NOT NULL,
	"cents" bigint NOT NULL,
	"deals" integer NOT NULL,
	"to_close_ms" bigint NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE "kpi_daily" (
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"day" text NOT NULL,
	"value" text NOT NULL,
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
	"handled_hours" integer NOT NULL,
	CONSTRAINT "kpi_daily_tenant_id_kind_day_value_pk" PRIMARY KEY("tenant_id","kind","day","value")
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
CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"secret_sealed" text NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"type" text NOT NULL,
	"period" text NOT NULL,
	"value" real NOT NULL,
	"detail" jsonb NOT NULL,
	"raised_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "connections_tenant_idx" ON "connections" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_dedupe_idx" ON "webhook_events" USING btree ("connection_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "webhook_events_pending_idx" ON "webhook_events" USING btree ("received_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_events_connection_status_idx" ON "webhook_events" USING btree ("connection_id","status","received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_tenant_status_idx" ON "webhook_events" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "calls_connection_key_idx" ON "calls" USING btree ("connection_id","call_key");--> statement-breakpoint
CREATE INDEX "calls_tenant_started_idx" ON "calls" USING btree ("tenant_id","started_at","id");--> statement-breakpoint
CREATE INDEX "calls_tenant_updated_idx" ON "calls" USING btree ("tenant_id","updated_at");--> statement-breakpoint
CREATE INDEX "calls_tenant_external_idx" ON "calls" USING btree ("tenant_id","external_number","started_at");--> statement-breakpoint
CREATE INDEX "calls_tenant_provider_call_idx" ON "calls" USING btree ("tenant_id","provider","provider_call_id");--> statement-breakpoint
CREATE INDEX "backfills_connection_idx" ON "backfills" USING btree ("connection_id","created_at");--> statement-breakpoint
CREATE INDEX "campaign_numbers_tenant_number_idx" ON "campaign_numbers" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE INDEX "campaign_numbers_campaign_idx" ON "campaign_numbers" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "campaigns_tenant_idx" ON "campaigns" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_contacts_tenant_external_idx" ON "crm_contacts" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "crm_contacts_phones_idx" ON "crm_contacts" USING gin ("phones");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_deals_tenant_external_idx" ON "crm_deals" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "crm_deals_tenant_stage_closed_idx" ON "crm_deals" USING btree ("tenant_id","stage","closed_at");--> statement-breakpoint
CREATE INDEX "crm_deals_tenant_contact_idx" ON "crm_deals" USING btree ("tenant_id","contact_external_id");--> statement-breakpoint
CREATE INDEX "crm_deals_phones_idx" ON "crm_deals" USING gin ("phones");--> statement-breakpoint
CREATE INDEX "cost_day_shares_tenant_dim_day_idx" ON "cost_day_shares" USING btree ("tenant_id","dim","day");--> statement-breakpoint
CREATE INDEX "costs_tenant_period_idx" ON "costs" USING btree ("tenant_id","period_start","period_end");--> statement-breakpoint
CREATE UNIQUE INDEX "costs_tenant_external_idx" ON "costs" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "roi_day_calls_tenant_dim_day_idx" ON "roi_day_calls" USING btree ("tenant_id","dim","day");--> statement-breakpoint
CREATE INDEX "roi_dirty_days_tenant_day_idx" ON "roi_dirty_days" USING btree ("tenant_id","day");--> statement-breakpoint
CREATE INDEX "roi_dirty_days_marked_idx" ON "roi_dirty_days" USING btree ("marked_at");--> statement-breakpoint
CREATE INDEX "attribution_credits_call_idx" ON "attribution_credits" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "attribution_credits_tenant_closed_idx" ON "attribution_credits" USING btree ("tenant_id","deal_closed_at");--> statement-breakpoint
CREATE INDEX "attribution_dirty_deals_marked_idx" ON "attribution_dirty_deals" USING btree ("marked_at");--> statement-breakpoint
CREATE INDEX "roi_day_revenue_tenant_dim_day_idx" ON "roi_day_revenue" USING btree ("tenant_id","dim","day");--> statement-breakpoint
CREATE UNIQUE INDEX "agent_schedules_interval_idx" ON "agent_schedules" USING btree ("tenant_id","agent_id","starts_at","ends_at");--> statement-breakpoint
CREATE INDEX "kpi_daily_value_idx" ON "kpi_daily" USING btree ("tenant_id","kind","value","day");--> statement-breakpoint
CREATE INDEX "kpi_dirty_hours_tenant_idx" ON "kpi_dirty_hours" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "survey_responses_call_idx" ON "survey_responses" USING btree ("tenant_id","call_id","responded_at");--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_subscription_idx" ON "deliveries" USING btree ("subscription_id","created_at");--> statement-breakpoint
CREATE INDEX "subscriptions_tenant_idx" ON "subscriptions" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_identity_idx" ON "alerts" USING btree ("tenant_id","type","period");--> statement-breakpoint
CREATE INDEX "alerts_tenant_idx" ON "alerts" USING btree ("tenant_id","raised_at");