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
CREATE INDEX "kpi_daily_value_idx" ON "kpi_daily" USING btree ("tenant_id","kind","value","day");