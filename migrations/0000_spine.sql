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
CREATE INDEX "backfills_connection_idx" ON "backfills" USING btree ("connection_id","created_at");