ALTER TABLE "connections" ALTER COLUMN "health" SET DEFAULT 'unverified';--> statement-breakpoint
ALTER TABLE "backfills" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;