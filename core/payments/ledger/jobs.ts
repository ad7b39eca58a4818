import type { Job } from "../../platform/jobs.ts";
import { reconcile } from "./service.ts";

/**
 * Proves the ledger every hour: cached balances equal the sums of their entries and every transaction balances.
 * A mismatch is logged as an error (someone wrote around the ledger): it is never "fixed" silently.
 */
export const ledgerReconciliationJob: Job = {
  name: "payments.ledger_reconciliation",
  everyMs: 3_600_000,
  run: async (deps) => {
    const mismatches = await reconcile(deps.database);
    for (const m of mismatches) deps.log.error("ledger mismatch", { what: m.what, detail: m.detail });
    return mismatches.length;
  },
};
