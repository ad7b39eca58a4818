import type { TSchema } from "@sinclair/typebox";
import { Value, type ValueError } from "@sinclair/typebox/value";
import { type FieldError, ValidationError } from "./errors.ts";
import "./formats.ts";

/** Turns TypeBox's value errors into one field error per path (the first message wins). */
export function fieldErrors(errors: Iterable<ValueError>): FieldError[] {
  const byPath = new Map<string, string>();
  for (const e of errors) {
    const path = e.path || "/";
    if (byPath.has(path)) continue;
    byPath.set(path, describe(e));
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

function describe(e: ValueError): string {
  const schema = e.schema as TSchema & { error?: string };
  if (typeof schema.error === "string") return schema.error;
  if (e.value === undefined && e.path) return "is required";
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

/**
 * Checks a value against a schema without code generation (safe in workerd) and
 * throws a ValidationError naming every bad field.
 */
export function assertValid<T extends TSchema>(schema: T, value: unknown): asserts value is import("@sinclair/typebox").Static<T> {
  if (Value.Check(schema, value)) return;
  throw new ValidationError(fieldErrors(Value.Errors(schema, value)));
}
