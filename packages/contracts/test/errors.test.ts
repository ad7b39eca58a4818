import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import {
  AppError,
  ConflictError,
  ERROR_STATUS,
  type ErrorCode,
  ForbiddenError,
  NotFoundError,
  PROBLEM_CONTENT_TYPE,
  Problem,
  problemResponse,
  problemType,
  toProblem,
  UnauthenticatedError,
  ValidationError,
} from "../src/index.ts";

const CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

describe("error codes", () => {
  test("each code maps to its documented status", () => {
    expect(ERROR_STATUS).toMatchObject({
      BAD_REQUEST: 400,
      MALFORMED_JSON: 400,
      VALIDATION_FAILED: 422,
      UNAUTHENTICATED: 401,
      INVALID_CREDENTIALS: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      VERSION_CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      RATE_LIMITED: 429,
      INTERNAL: 500,
      NOT_READY: 503,
    });
    for (const code of CODES) expect(new AppError(code).status).toBe(ERROR_STATUS[code]);
  });

  test("problem type URLs are distinct kebab-case slugs under bazaar.dev", () => {
    expect(problemType("VALIDATION_FAILED")).toBe("https://bazaar.dev/problems/validation-failed");
    expect(problemType("NOT_FOUND")).toBe("https://bazaar.dev/problems/not-found");
    const types = CODES.map(problemType);
    expect(new Set(types).size).toBe(CODES.length);
    for (const t of types) expect(t).toMatch(/^https:\/\/bazaar\.dev\/problems\/[a-z]+(-[a-z]+)*$/);
  });
});

describe("toProblem", () => {
  test("renders every code as a schema-valid RFC 9457 body with a title", () => {
    for (const code of CODES) {
      const problem = toProblem(new AppError(code), "req_1");
      expect(Value.Check(Problem, problem)).toBe(true);
      expect(problem).toMatchObject({ type: problemType(code), status: ERROR_STATUS[code], code, requestId: "req_1" });
      expect(problem.title.length).toBeGreaterThan(0);
      expect(problem.detail).toBe(problem.title); // detail defaults to the title
    }
  });

  test("requestId and errors appear only when there is something to say", () => {
    expect(Object.keys(toProblem(new AppError("NOT_FOUND", "gone")))).toEqual(["type", "title", "status", "detail", "code"]);
    expect(toProblem(new AppError("BAD_REQUEST", "x", []))).not.toHaveProperty("errors");
    expect(toProblem(new AppError("BAD_REQUEST", "x"), "")).not.toHaveProperty("requestId");
    const problem = toProblem(new AppError("BAD_REQUEST", "x", [{ path: "/a", message: "m" }]), "req_2");
    expect(problem.errors).toEqual([{ path: "/a", message: "m" }]);
    expect(problem.requestId).toBe("req_2");
  });

  test("never leaks a stack or the error's name", () => {
    const text = JSON.stringify(toProblem(new AppError("INTERNAL")));
    expect(text).not.toContain("stack");
    expect(text).not.toContain("AppError");
    expect(text).not.toContain(".ts");
  });
});

describe("problemResponse", () => {
  test("a validation error: 422, problem+json, type URL, requestId, field errors", async () => {
    const response = problemResponse(new ValidationError([{ path: "/email", message: "must be a valid email address" }]), "req_01");
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
    expect(PROBLEM_CONTENT_TYPE).toBe("application/problem+json");
    expect(await response.json()).toEqual({
      type: "https://bazaar.dev/problems/validation-failed",
      title: "Validation failed",
      status: 422,
      detail: "/email: must be a valid email address",
      code: "VALIDATION_FAILED",
      requestId: "req_01",
      errors: [{ path: "/email", message: "must be a valid email address" }],
    });
  });

  test("without field errors the errors member is omitted", async () => {
    const body = (await problemResponse(new NotFoundError("Product", "prd_1")).json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("errors");
    expect(body).not.toHaveProperty("requestId");
    expect(body).toMatchObject({ status: 404, code: "NOT_FOUND", detail: "Product prd_1 was not found" });
  });

  test("UnauthenticatedError carries a Bearer challenge; others carry no www-authenticate", async () => {
    const response = problemResponse(new UnauthenticatedError(), "req_9");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="bazaar"');
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ code: "UNAUTHENTICATED", detail: "A valid access token is required", requestId: "req_9" });
    expect(problemResponse(new ForbiddenError()).headers.get("www-authenticate")).toBeNull();
  });

  test("custom headers on an AppError reach the response", () => {
    const response = problemResponse(new AppError("RATE_LIMITED", "slow down", undefined, { "retry-after": "30" }));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(response.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
  });
});

describe("error classes", () => {
  test("each is an AppError with its code, status and detail", () => {
    const cases: [AppError, ErrorCode, number, string][] = [
      [new NotFoundError("User"), "NOT_FOUND", 404, "User was not found"],
      [new NotFoundError("User", "usr_1"), "NOT_FOUND", 404, "User usr_1 was not found"],
      [new ConflictError("email already registered", "/email"), "CONFLICT", 409, "email already registered"],
      [new ForbiddenError(), "FORBIDDEN", 403, "You may not do this"],
      [new UnauthenticatedError("token expired"), "UNAUTHENTICATED", 401, "token expired"],
    ];
    for (const [error, code, status, detail] of cases) {
      expect(error).toBeInstanceOf(AppError);
      expect(error).toBeInstanceOf(Error);
      expect([error.code, error.status, error.detail, error.message]).toEqual([code, status, detail, detail]);
    }
    expect(new ConflictError("taken", "/email").errors).toEqual([{ path: "/email", message: "taken" }]);
    expect(new ConflictError("taken").errors).toBeUndefined();
  });

  test("ValidationError names every field in its detail, the root as /", () => {
    const error = new ValidationError([
      { path: "/email", message: "bad" },
      { path: "", message: "expected object" },
    ]);
    expect(error.detail).toBe("/email: bad; /: expected object");
    expect(error.status).toBe(422);
  });
});
