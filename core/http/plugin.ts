import { Elysia } from "elysia";

/**
 * Every core plugin starts here. `normalize: false` makes Elysia refuse unknown
 * fields (`additionalProperties: false`) with a 422 instead of silently dropping them.
 */
export function plugin(name: string) {
  return new Elysia({ name, normalize: false });
}
