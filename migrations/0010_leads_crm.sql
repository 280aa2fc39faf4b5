CREATE TABLE "crm_leads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"contact_external_id" text,
	"phones" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"match_phones" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source" text NOT NULL,
	"lead_created_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deal_attribution_sent" (
	"deal_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"fingerprint" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "deal_first_touches" (
	"deal_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"call_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"deal_closed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "calls" ADD COLUMN "crm_lead" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "roi_day_calls" ADD COLUMN "leads" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "coalesce_key" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "crm_leads" ADD CONSTRAINT "crm_leads_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "crm_leads_tenant_external_idx" ON "crm_leads" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "crm_leads_tenant_contact_idx" ON "crm_leads" USING btree ("tenant_id","contact_external_id");--> statement-breakpoint
CREATE INDEX "crm_leads_match_phones_idx" ON "crm_leads" USING gin ("match_phones");--> statement-breakpoint
CREATE INDEX "deal_first_touches_tenant_closed_idx" ON "deal_first_touches" USING btree ("tenant_id","deal_closed_at");--> statement-breakpoint
CREATE INDEX "deal_first_touches_call_idx" ON "deal_first_touches" USING btree ("call_id");--> statement-breakpoint
CREATE INDEX "deliveries_subscription_key_idx" ON "deliveries" USING btree ("subscription_id","coalesce_key","created_at") WHERE coalesce_key is not null;--> statement-breakpoint

-- roi_day_calls rows built before the leads column hold 0 leads: forget every tenant's ROI basis,
-- so the next roi-refresh rebuilds its days (readers compute live until then).
DELETE FROM "roi_basis";--> statement-breakpoint
-- deal_first_touches starts empty: every won deal waits for the roi-refresh job (read live until
-- then), which stores its first touch with its credits.
INSERT INTO "attribution_dirty_deals" ("tenant_id", "deal_id")
SELECT "tenant_id", "id" FROM "crm_deals" WHERE "stage" = 'won' AND "closed_at" IS NOT NULL
ON CONFLICT DO NOTHING;
