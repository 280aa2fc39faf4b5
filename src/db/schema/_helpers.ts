import { timestamp } from 'drizzle-orm/pg-core';

/** Every instant is stored as timestamptz (UTC); reports convert to the tenant's timezone. */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const timestamps = {
  createdAt: instant('created_at').notNull().defaultNow(),
  updatedAt: instant('updated_at').notNull().defaultNow(),
};
