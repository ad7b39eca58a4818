import { describe, expect, test } from "bun:test";
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { AppError, assertValid, type FieldError, fieldErrors, LoginBody, RegisterBody, ValidationError } from "../src/index.ts";

function validationErrors(schema: Parameters<typeof assertValid>[0], value: unknown): FieldError[] {
  try {
    assertValid(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as ValidationError).code).toBe("VALIDATION_FAILED");
    expect((error as ValidationError).status).toBe(422);
    return (error as ValidationError).errors ?? [];
  }
  throw new Error("assertValid accepted an invalid value");
}

const byPath = (errors: FieldError[]) => Object.fromEntries(errors.map((e) => [e.path, e.message]));

const Listing = Type.Object(
  {
    title: Type.String({ minLength: 3, maxLength: 80, error: "must be 3 to 80 characters" }),
    quantity: Type.Integer({ minimum: 1 }),
    sku: Type.String(),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 5, error: "tags are at most 5 characters" }))),
  },
  { additionalProperties: false },
);

describe("assertValid", () => {
  test("returns quietly for a valid value", () => {
    const value: unknown = { title: "Teapot", quantity: 2, sku: "TP-1", tags: ["tea"] };
    assertValid(Listing, value);
    expect(value.quantity).toBe(2); // narrowed to the schema's type
  });

  test("names every bad field, with the schema's own message when it has one", () => {
    const errors = validationErrors(Listing, { title: "ab", quantity: 1.5, tags: ["ok", "far too long"], colour: "red" });
    expect(byPath(errors)).toEqual({
      "/title": "must be 3 to 80 characters",
      "/quantity": "expected integer",
      "/sku": "is required",
      "/tags/1": "tags are at most 5 characters",
      "/colour": "unexpected property",
    });
  });

  test("the ValidationError's detail lists each field", () => {
    try {
      assertValid(Listing, { title: "ab", quantity: 0, sku: "x" });
      throw new Error("not thrown");
    } catch (error) {
      expect((error as ValidationError).detail).toBe("/title: must be 3 to 80 characters; /quantity: expected integer to be greater or equal to 1");
    }
  });

  test("a wrong value at the root is reported at /", () => {
    expect(validationErrors(Listing, "not an object")).toEqual([{ path: "/", message: "expected object" }]);
    expect(validationErrors(Type.Integer(), 1.5)).toEqual([{ path: "/", message: "expected integer" }]);
  });

  test("the account contracts report their custom messages", () => {
    const errors = validationErrors(RegisterBody, { email: "nope", password: "short", name: "" });
    expect(byPath(errors)).toEqual({
      "/email": "must be a valid email address",
      "/password": "must be 10 to 128 characters",
      "/name": "must be 1 to 100 characters of one line, not all blank",
    });
    expect(byPath(validationErrors(LoginBody, {}))).toEqual({
      "/email": "must be a valid email address",
      "/password": "is required (at most 128 characters)",
    });
  });

  test("valid account bodies pass on their own, without a web framework having registered formats", () => {
    expect(() => assertValid(RegisterBody, { email: "ada@example.com", password: "correct horse battery", name: "Ada Lovelace" })).not.toThrow();
    expect(() => assertValid(LoginBody, { email: "ada@example.com", password: "x" })).not.toThrow();
  });
});

describe("fieldErrors", () => {
  test("keeps the first message per path and keeps paths in first-seen order", () => {
    const Both = Type.Object({ code: Type.String({ minLength: 3, pattern: "^[a-z]+$" }), n: Type.Integer() });
    const raw = [...Value.Errors(Both, { code: "A", n: "x" })];
    expect(raw.filter((e) => e.path === "/code").length).toBeGreaterThan(1); // the case under test really occurs
    expect(fieldErrors(raw)).toEqual([
      { path: "/code", message: "expected string length greater or equal to 3" },
      { path: "/n", message: "expected integer" },
    ]);
  });

  test("a custom message wins over TypeBox's and over 'is required'", () => {
    const S = Type.Object({ email: Type.String({ minLength: 5, error: "must be a valid email address" }) });
    expect(fieldErrors(Value.Errors(S, {}))).toEqual([{ path: "/email", message: "must be a valid email address" }]);
    expect(fieldErrors(Value.Errors(S, { email: "a" }))).toEqual([{ path: "/email", message: "must be a valid email address" }]);
  });

  test("no errors, no field errors", () => {
    expect(fieldErrors(Value.Errors(Listing, { title: "Teapot", quantity: 1, sku: "s" }))).toEqual([]);
  });
});
