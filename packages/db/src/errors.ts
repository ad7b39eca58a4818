/** SQLite constraint refusals (CHECK, UNIQUE, FOREIGN KEY…): the database said no, which maps to 409. */
export function isConstraintError(error: unknown, kind?: "UNIQUE" | "CHECK" | "FOREIGNKEY" | "PRIMARYKEY"): boolean {
  const e = error as { code?: string; message?: string; cause?: unknown } | null;
  if (!e) return false;
  const text = `${e.code ?? ""} ${e.message ?? ""}`;
  if (/SQLITE_CONSTRAINT/.test(text) || /constraint failed/i.test(text)) {
    return kind ? new RegExp(kind === "FOREIGNKEY" ? "FOREIGN ?KEY" : kind, "i").test(text) : true;
  }
  return e.cause ? isConstraintError(e.cause, kind) : false;
}
