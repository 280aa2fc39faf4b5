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
CREATE TABLE "attribution_credits" (
	"tenant_id" uuid NOT NULL,
	"deal_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"cents" bigint NOT NULL,
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
CREATE INDEX "campaign_numbers_tenant_number_idx" ON "campaign_numbers" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE INDEX "campaign_numbers_campaign_idx" ON "campaign_numbers" USING btree ("campaign_id");--> statement-breakpoint
CREATE INDEX "campaigns_tenant_idx" ON "campaigns" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_contacts_tenant_external_idx" ON "crm_contacts" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "crm_contacts_phones_idx" ON "crm_contacts" USING gin ("phones");--> statement-breakpoint
CREATE UNIQUE INDEX "crm_deals_tenant_external_idx" ON "crm_deals" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "crm_deals_tenant_stage_closed_idx" ON "crm_deals" USING btree ("tenant_id","stage","closed_at");--> statement-breakpoint
CREATE INDEX "crm_deals_tenant_contact_idx" ON "crm_deals" USING btree ("tenant_id","contact_external_id");--> statement-breakpoint
CREATE INDEX "crm_deals_phones_idx" ON "crm_deals" USING gin ("phones");--> statement-breakpoint
CREATE INDEX "costs_tenant_period_idx" ON "costs" USING btree ("tenant_id","period_start","period_end");--> statement-breakpoint
CREATE UNIQUE INDEX "costs_tenant_external_idx" ON "costs" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "attribution_credits_call_idx" ON "attribution_credits" USING btree ("call_id");