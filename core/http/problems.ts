import { Problem } from "@bazaar/contracts";

/** The problem+json responses a route can give, for its `response` schema map (and so for /docs). */
export const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, Problem]));
