ALTER TABLE "deal_first_touches" ADD COLUMN "campaign_id" uuid;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "agent_id" text;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "queue_name" text;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "provider" text;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "direction" text;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "first_time_caller" boolean;--> statement-breakpoint
ALTER TABLE "deal_first_touches" ADD COLUMN "crm_lead" boolean DEFAULT false NOT NULL;--> statement-breakpoint
-- The first touches stored before these columns: their calls' fields as they are now (readers no
-- longer join calls).
UPDATE "deal_first_touches" ft
SET "campaign_id" = c."campaign_id", "agent_id" = c."agent_id", "queue_name" = c."queue_name", "provider" = c."provider",
    "direction" = c."direction", "first_time_caller" = c."first_time_caller", "crm_lead" = c."crm_lead"
FROM "calls" c WHERE c."id" = ft."call_id";
