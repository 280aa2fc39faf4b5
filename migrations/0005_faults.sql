ALTER TABLE "tenants" ADD COLUMN "previous_api_key_hash" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "previous_api_key_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "consecutive_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "paused_reason" text;--> statement-breakpoint
CREATE INDEX "deliveries_subscription_due_idx" ON "deliveries" USING btree ("subscription_id","next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_previous_api_key_hash_unique" UNIQUE("previous_api_key_hash");