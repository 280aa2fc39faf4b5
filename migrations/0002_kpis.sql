ALTER TABLE "agents" ADD COLUMN "display_name" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "linked_to" text;--> statement-breakpoint
CREATE INDEX "agents_linked_to_idx" ON "agents" USING btree ("tenant_id","linked_to");--> statement-breakpoint
-- The rollups gained hour rows (groupBy=hour) and now keep only inbound calls' survey responses in
-- rows other than direction rows: every hour holding a call is rebuilt by the next refresh.
INSERT INTO "kpi_dirty_hours" ("tenant_id", "hour_key")
SELECT DISTINCT c."tenant_id", to_char(c."started_at" AT TIME ZONE t."timezone", 'YYYY-MM-DD"T"HH24')
FROM "calls" c JOIN "tenants" t ON t."id" = c."tenant_id";
