type Level = "info" | "warn" | "error";

/** One JSON object per line, so Workers Logs and `wrangler tail` can filter on fields like requestId. */
export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: error.name, cause: error.message, stack: error.stack };
  return { error: String(error) };
}
