import { type Static, Type } from "@sinclair/typebox";

/** The closed set of error codes; each maps to exactly one HTTP status. */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  INVALID_LINK_TOKEN: 400,
  VALIDATION_FAILED: 422,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  ACCOUNT_DISABLED: 403,
  RECENT_SIGN_IN_REQUIRED: 403,
  EMAIL_NOT_VERIFIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  VERSION_CONFLICT: 409,
  LENGTH_REQUIRED: 411,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  NOT_READY: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TITLES: Record<ErrorCode, string> = {
  BAD_REQUEST: "Bad request",
  INVALID_LINK_TOKEN: "Invalid or expired link",
  MALFORMED_JSON: "Malformed JSON body",
  VALIDATION_FAILED: "Validation failed",
  UNAUTHENTICATED: "Authentication required",
  INVALID_CREDENTIALS: "Invalid credentials",
  FORBIDDEN: "Forbidden",
  ACCOUNT_DISABLED: "Account disabled",
  RECENT_SIGN_IN_REQUIRED: "Recent sign-in required",
  EMAIL_NOT_VERIFIED: "Email not verified",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  CONFLICT: "Conflict",
  VERSION_CONFLICT: "Version conflict",
  LENGTH_REQUIRED: "Length required",
  PAYLOAD_TOO_LARGE: "Payload too large",
  UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
  RATE_LIMITED: "Too many requests",
  INTERNAL: "Internal server error",
  BAD_GATEWAY: "Bad gateway",
  NOT_READY: "Service not ready",
};

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const FieldError = Type.Object(
  {
    path: Type.String({ description: "JSON pointer to the offending field", examples: ["/email"] }),
    message: Type.String({ examples: ["must be a valid email address"] }),
  },
  { additionalProperties: false },
);
export type FieldError = Static<typeof FieldError>;

export const Problem = Type.Object(
  {
    type: Type.String({ examples: ["https://bazaar.dev/problems/validation-failed"] }),
    title: Type.String({ examples: ["Validation failed"] }),
    status: Type.Integer({ examples: [422] }),
    detail: Type.String({ examples: ["/email: must be a valid email address"] }),
    code: Type.String({ examples: ["VALIDATION_FAILED"] }),
    requestId: Type.Optional(Type.String({ examples: ["req_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"] })),
    errors: Type.Optional(Type.Array(FieldError)),
  },
  {
    $id: "Problem",
    description: "RFC 9457 problem details",
    example: {
      type: "https://bazaar.dev/problems/validation-failed",
      title: "Validation failed",
      status: 422,
      detail: "/email: must be a valid email address",
      code: "VALIDATION_FAILED",
      requestId: "req_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C",
      errors: [{ path: "/email", message: "must be a valid email address" }],
    },
  },
);
export type Problem = Static<typeof Problem>;

export function problemType(code: ErrorCode): string {
  return `https://bazaar.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`;
}

/** Base of every error the application throws on purpose; rendered as problem+json. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string = TITLES[code],
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "AppError";
    this.status = ERROR_STATUS[code];
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[]) {
    super("VALIDATION_FAILED", errors.map((e) => `${e.path || "/"}: ${e.message}`).join("; "), errors);
    this.name = "ValidationError";
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id?: string) {
    super("NOT_FOUND", id ? `${what} ${id} was not found` : `${what} was not found`);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, field?: string) {
    super("CONFLICT", detail, field ? [{ path: field, message: detail }] : undefined);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(detail = "A valid access token is required") {
    super("UNAUTHENTICATED", detail, undefined, { "www-authenticate": 'Bearer realm="bazaar"' });
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = "You may not do this") {
    super("FORBIDDEN", detail);
  }
}

export function toProblem(error: AppError, requestId?: string): Problem {
  const problem: Problem = {
    type: problemType(error.code),
    title: TITLES[error.code],
    status: error.status,
    detail: error.detail,
    code: error.code,
  };
  if (requestId) problem.requestId = requestId;
  if (error.errors?.length) problem.errors = error.errors;
  return problem;
}

/** The one way any runtime (Elysia, Hono, scripts) turns an AppError into a Response. */
export function problemResponse(error: AppError, requestId?: string): Response {
  return new Response(JSON.stringify(toProblem(error, requestId)), {
    status: error.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...error.headers },
  });
}
