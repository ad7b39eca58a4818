import type { Job } from "../../platform/jobs.ts";
import { runNextImport } from "./service.ts";

/** Works queued catalog imports, one at a time per process; the lease on the row keeps other processes off it. */
export const catalogImportJob: Job = {
  name: "catalog.import",
  everyMs: 5_000,
  run: (deps) => runNextImport(deps),
};
