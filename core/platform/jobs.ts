import type { Deps } from "./deps.ts";

/** Periodic upkeep a service owns (pruning expired rows, later: releasing expired reservations). */
export interface Job {
  name: string;
  everyMs: number;
  /** returns how many rows it touched, for the log */
  run(deps: Deps): Promise<number>;
}

/**
 * Runs each job now and then every `everyMs`, never two runs of one job at once. Failures are
 * logged and retried next time: jobs must be idempotent (several processes may run them).
 */
export function startJobs(deps: Deps, jobs: Job[]): { stop(): void } {
  const timers = jobs.map((job) => {
    let running = false;
    const tick = async () => {
      if (running) return;
      running = true;
      try {
        const touched = await job.run(deps);
        if (touched) deps.log.info("job ran", { job: job.name, touched });
      } catch (error) {
        deps.log.error("job failed", { job: job.name, error });
      } finally {
        running = false;
      }
    };
    void tick();
    return setInterval(tick, job.everyMs);
  });
  return { stop: () => timers.forEach(clearInterval) };
}
