CREATE TABLE "initiatives" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"kpi" text NOT NULL,
	"expected_change" double precision NOT NULL,
	"relative" boolean DEFAULT false NOT NULL,
	"adjustment_days" integer NOT NULL,
	"window_days" integer DEFAULT 28 NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports_sent" (
	"tenant_id" uuid NOT NULL,
	"month" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reports_sent_tenant_id_month_pk" PRIMARY KEY("tenant_id","month")
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text,
	"kpi" text NOT NULL,
	"comparison" text NOT NULL,
	"value" numeric(24, 6) NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"period" text,
	"notify" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "alerts_identity_idx";--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "status" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "granularity" text DEFAULT 'day' NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "subject" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "initiatives" ADD CONSTRAINT "initiatives_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports_sent" ADD CONSTRAINT "reports_sent_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "initiatives_tenant_idx" ON "initiatives" USING btree ("tenant_id","started_at");--> statement-breakpoint
CREATE INDEX "targets_tenant_idx" ON "targets" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_idx" ON "alerts" USING btree ("tenant_id","type","granularity","subject") WHERE status = 'open' and granularity <> 'day';--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_identity_idx" ON "alerts" USING btree ("tenant_id","type","granularity","subject","period");