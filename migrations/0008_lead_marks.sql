CREATE TABLE "lead_dirty_numbers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"external_number" text NOT NULL,
	"from_at" timestamp with time zone NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "lead_dirty_numbers_tenant_idx" ON "lead_dirty_numbers" USING btree ("tenant_id","id");