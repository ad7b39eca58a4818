import { schema } from "@bazaar/db";
import { and, lt } from "drizzle-orm";
import type { Job } from "../platform/jobs.ts";

const DAY = 86_400_000;

/**
 * Deletes what can no longer be used: expired challenges and emailed links (kept a while after
 * expiry so a late click still reads "expired", not "unknown"), and throttle counters long idle.
 */
export const pruneExpiredAccountsData: Job = {
  name: "accounts.prune-expired",
  everyMs: 3_600_000,
  async run({ database, clock }) {
    const now = clock();
    const deleted = await database.batch([
      database.db
        .delete(schema.authChallenge)
        .where(lt(schema.authChallenge.expiresAt, now - DAY))
        .returning({ id: schema.authChallenge.idHash }),
      database.db
        .delete(schema.accountToken)
        .where(lt(schema.accountToken.expiresAt, now - 7 * DAY))
        .returning({ id: schema.accountToken.tokenHash }),
      // a counter whose window and lock both ended a day ago holds nothing worth remembering
      database.db
        .delete(schema.throttle)
        .where(and(lt(schema.throttle.blockedUntil, now - DAY), lt(schema.throttle.windowStart, now - DAY)))
        .returning({ key: schema.throttle.key }),
    ]);
    return (deleted as unknown[][]).reduce((sum, rows) => sum + rows.length, 0);
  },
};
