ALTER TABLE "connections" ADD COLUMN "health_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "state" jsonb DEFAULT '{}'::jsonb NOT NULL;