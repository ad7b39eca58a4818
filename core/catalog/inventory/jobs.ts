import type { Job } from "../../platform/jobs.ts";
import { releaseExpired } from "./service.ts";

/** Gives back stock whose checkout never committed nor released it; several processes may run it at once. */
export const releaseExpiredReservationsJob: Job = {
  name: "inventory.release_expired_reservations",
  everyMs: 30_000,
  run: (deps) => releaseExpired({ database: deps.database, clock: deps.clock, ids: deps.ids, eventsWritten: () => deps.relay?.kick() }),
};
