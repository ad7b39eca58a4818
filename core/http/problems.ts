import { Problem } from "@bazaar/contracts";

/** The problem+json responses a route can give, for its `response` schema map (and so for /docs). */
export const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Problem]));

/**
 * A problem+json response written straight into a route's OpenAPI `detail` (for routes whose
 * success is not JSON and so document their responses by hand). The schema is plain JSON Schema;
 * Elysia types `detail` as OpenAPI 3.0, which disagrees only about number bounds.
 */
export const problemDoc = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem as unknown as { type: "object" } } },
});
