CREATE TABLE "roi_day_conversions" (
	"tenant_id" uuid NOT NULL,
	"day" date NOT NULL,
	"dim" text NOT NULL,
	"value" text,
	"lead_deals" integer NOT NULL,
	"deals" integer NOT NULL,
	"to_close_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "roi_day_conversions_tenant_dim_day_idx" ON "roi_day_conversions" USING btree ("tenant_id","dim","day");--> statement-breakpoint
-- The close days of the stored first touches have no conversion rows yet: marked for their revenue
-- (readers compute them on the fly meanwhile; the roi-refresh sweep rebuilds them).
INSERT INTO "roi_dirty_days" ("tenant_id", "day", "revenue_only")
SELECT DISTINCT f."tenant_id", (f."deal_closed_at" AT TIME ZONE t."timezone")::date, true
FROM "deal_first_touches" f JOIN "tenants" t ON t."id" = f."tenant_id";
