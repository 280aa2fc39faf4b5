CREATE TABLE "call_links" (
	"connection_id" uuid NOT NULL,
	"alias_key" text NOT NULL,
	"call_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "call_links_connection_id_alias_key_pk" PRIMARY KEY("connection_id","alias_key")
);
--> statement-breakpoint
ALTER TABLE "call_links" ADD CONSTRAINT "call_links_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "call_links_call_idx" ON "call_links" USING btree ("connection_id","call_key");