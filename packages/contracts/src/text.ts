import { Type } from "@sinclair/typebox";

/**
 * One line of human text (a name, a label, a reason): at least one visible character and no
 * control characters. NUL in particular: SQLite's C API cuts a string at it, so "Ada\u0000x"
 * would be stored as "Ada" — refused here instead of silently truncated.
 */
export function SingleLineText(options: { minLength?: number; maxLength: number; examples?: string[]; description?: string }) {
  const { minLength = 1, maxLength, ...rest } = options;
  return Type.String({
    minLength,
    maxLength,
    pattern: "^[^\\u0000-\\u001F\\u007F]*[^\\s\\u0000-\\u001F\\u007F][^\\u0000-\\u001F\\u007F]*$",
    error: `must be ${minLength} to ${maxLength} characters of one line, not all blank`,
    ...rest,
  });
}

/** Free text that may span lines (a description, a message): no control characters but newlines and tabs. */
export function MultiLineText(options: { minLength?: number; maxLength: number; examples?: string[]; description?: string }) {
  const { minLength = 1, maxLength, ...rest } = options;
  return Type.String({
    minLength,
    maxLength,
    pattern: "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$",
    error: `must be ${minLength} to ${maxLength} characters without control characters`,
    ...rest,
  });
}
