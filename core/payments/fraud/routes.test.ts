import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { AppError, type Problem } from "@bazaar/contracts";
import { openapi } from "@elysiajs/openapi";
import { signUp } from "../../catalog/products/test-fixtures.ts";
import { bodyGuard } from "../../http/body-guard.ts";
import { plugin } from "../../http/plugin.ts";
import { problemHandler } from "../../http/problem.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Ctx } from "../../platform/deps.ts";
import { createHarness, type Harness } from "../../testing/harness.ts";
import type { FraudAssessmentView, FraudReviewPage } from "./contracts.ts";
import { fraudRoutes } from "./routes.ts";
import { assessPayment } from "./service.ts";

let h: Harness;
let calls: { ctx: Ctx; assessment: FraudAssessmentView }[];
let hookError: Error | undefined;
let call: (method: string, path: string, options?: { token?: string; body?: unknown; rawBody?: string }) => Promise<Response>;

/** The fraud routes mounted as the payments module will mount them, with a hook that records what it is given. */
beforeEach(async () => {
  h = await createHarness();
  calls = [];
  hookError = undefined;
  const app = plugin("fraud-routes-test")
    .use(requestContext(h.deps))
    .use(problemHandler(h.deps.log))
    .use(bodyGuard(h.deps.config.maxBodyBytes))
    .use(
      fraudRoutes(h.deps, {
        onReviewDecided: async (ctx, assessment) => {
          calls.push({ ctx, assessment });
          if (hookError) throw hookError;
        },
      }),
    );
  call = (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(new TextEncoder().encode(body).byteLength);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    return app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  };
});
afterEach(() => h.destroy());

const json = async <T>(response: Response) => (await response.json()) as T;
async function problem(response: Response, status: number): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  return json<Problem>(response);
}

const ctx = () => ({ database: h.database, clock: () => h.clock.now, ids: h.deps.ids });

/** A payment the fraud check holds for review: a brand-new account paying a large amount. */
async function heldPayment(amountMinor = 150_000): Promise<string> {
  const { user } = await h.register();
  const result = await assessPayment(ctx(), {
    paymentId: h.deps.ids("payment"),
    userId: user.id,
    amountMinor,
    currency: "USD",
    cardFingerprint: `fp_${user.id}`,
  });
  expect(result.decision).toBe("review");
  h.clock.advance(1_000);
  return result.id;
}

/** A payment the fraud check let through: a small amount, nothing unusual. */
async function allowedPayment(): Promise<string> {
  const { user } = await h.register();
  const result = await assessPayment(ctx(), { paymentId: h.deps.ids("payment"), userId: user.id, amountMinor: 1_500, currency: "EUR" });
  expect(result.decision).toBe("allow");
  return result.id;
}

const decide = (id: string, token: string, body: unknown = { decision: "approve" }) => call("POST", `/v1/admin/fraud/reviews/${id}/decision`, { token, body });
const list = async (token: string, query = "") => {
  const response = await call("GET", `/v1/admin/fraud/reviews${query}`, { token });
  expect(response.status).toBe(200);
  return json<FraudReviewPage>(response);
};

describe("the review queue", () => {
  test("an admin lists pending reviews oldest first, cursor-paginated; decided ones follow, newest decision first", async () => {
    const admin = await signUp(h, "admin");
    const [a, b, c] = [await heldPayment(), await heldPayment(), await heldPayment()];
    const allowed = await allowedPayment();

    const first = await list(admin.token, "?limit=2");
    expect(first.items.map((r) => r.id)).toEqual([a, b]);
    expect(first.items[0]).toMatchObject({ decision: "review", reviewStatus: "pending", reviewedBy: null, reviewedAt: null, reviewNote: null });
    expect(first.items[0]?.reasons[0]?.code).toBe("NEW_ACCOUNT_LARGE");
    expect(first.items[0]?.features).toMatchObject({ firstPayment: true, amountUsd: 1500, amountConverted: true });
    expect(first.nextCursor).toBeString();
    const second = await list(admin.token, `?limit=2&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ id: c })], nextCursor: null });

    expect((await decide(a, admin.token, { decision: "reject" })).status).toBe(200);
    h.clock.advance(1_000);
    expect((await decide(c, admin.token)).status).toBe(200);
    // pending (b) first, then the decisions, the newest (c) first; the allowed payment was never a review
    const all = await list(admin.token);
    expect(all.items.map((r) => [r.id, r.reviewStatus])).toEqual([
      [b, "pending"],
      [c, "approved"],
      [a, "rejected"],
    ]);
    expect(all.items.map((r) => r.id)).not.toContain(allowed);
    // the same order, one at a time
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: FraudReviewPage = await list(admin.token, `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      walked.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual([b, c, a]);

    expect((await list(admin.token, "?status=pending")).items.map((r) => r.id)).toEqual([b]);
    expect((await list(admin.token, "?status=rejected")).items.map((r) => r.id)).toEqual([a]);
  });

  test("a bad query names the field (422); a forged cursor is a 400", async () => {
    const admin = await signUp(h, "admin");
    expect((await problem(await call("GET", "/v1/admin/fraud/reviews?limit=0", { token: admin.token }), 422)).errors?.[0]?.path).toBe("/limit");
    expect((await problem(await call("GET", "/v1/admin/fraud/reviews?limit=101", { token: admin.token }), 422)).errors?.[0]?.path).toBe("/limit");
    expect((await problem(await call("GET", "/v1/admin/fraud/reviews?status=maybe", { token: admin.token }), 422)).errors?.[0]?.path).toBe("/status");
    expect((await problem(await call("GET", "/v1/admin/fraud/reviews?cursor=abc", { token: admin.token }), 400)).errors?.[0]?.path).toBe("/cursor");
  });
});

describe("deciding a review", () => {
  test("approve stores who decided, when and why, once; the hook gets the decided assessment", async () => {
    const admin = await signUp(h, "admin");
    const id = await heldPayment();
    const response = await decide(id, admin.token, { decision: "approve", note: "Customer confirmed by phone" });
    expect(response.status).toBe(200);
    const decided = await json<FraudAssessmentView>(response);
    expect(decided).toMatchObject({
      id,
      decision: "review",
      reviewStatus: "approved",
      reviewedBy: admin.userId,
      reviewedAt: new Date(h.clock.now).toISOString(),
      reviewNote: "Customer confirmed by phone",
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.assessment).toEqual(decided);
    expect(calls[0]?.ctx.requestId).toStartWith("req_");

    // a second decision, either way, is refused and changes nothing; the hook is not called again
    const again = await problem(await decide(id, admin.token, { decision: "reject" }), 409);
    expect(again.detail).toContain("already decided: approved");
    expect(calls).toHaveLength(1);
    expect((await list(admin.token)).items[0]).toEqual(decided);
  });

  test("two admins deciding at once: exactly one wins, the other gets 409", async () => {
    const [first, second] = [await signUp(h, "admin"), await signUp(h, "admin")];
    const id = await heldPayment();
    const responses = await Promise.all([decide(id, first.token, { decision: "approve" }), decide(id, second.token, { decision: "reject" })]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(calls).toHaveLength(1);
  });

  test("an unknown review, or an assessment that was never held, is a 404; a malformed id a 422 naming it", async () => {
    const admin = await signUp(h, "admin");
    expect((await problem(await decide(h.deps.ids("fraudAssessment"), admin.token), 404)).code).toBe("NOT_FOUND");
    expect((await problem(await decide(await allowedPayment(), admin.token), 404)).code).toBe("NOT_FOUND");
    expect((await problem(await decide("pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C", admin.token), 422)).errors?.[0]?.path).toBe("/id");
    expect(calls).toEqual([]);
  });

  test("a malformed body is a 422 naming the field, and decides nothing", async () => {
    const admin = await signUp(h, "admin");
    const id = await heldPayment();
    const cases: [unknown, string][] = [
      [{ decision: "maybe" }, "/decision"],
      [{}, "/decision"],
      [{ decision: "approve", note: "x".repeat(1001) }, "/note"],
      [{ decision: "approve", by: "someone else" }, "/by"],
    ];
    for (const [body, path] of cases) {
      const refused = await problem(await decide(id, admin.token, body), 422);
      expect(
        refused.errors?.map((e) => e.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect((await problem(await call("POST", `/v1/admin/fraud/reviews/${id}/decision`, { token: admin.token, rawBody: "{not json" }), 400)).code).toBe(
      "MALFORMED_JSON",
    );
    expect((await list(admin.token)).items[0]?.reviewStatus).toBe("pending");
    expect(calls).toEqual([]);
  });

  test("when the hook fails the decision stands and the caller hears the hook's error", async () => {
    const admin = await signUp(h, "admin");
    const id = await heldPayment();
    hookError = new AppError("BAD_GATEWAY", "The payment provider did not answer");
    expect((await problem(await decide(id, admin.token), 502)).detail).toBe("The payment provider did not answer");
    expect((await list(admin.token)).items[0]).toMatchObject({ id, reviewStatus: "approved" });
  });
});

describe("security", () => {
  test("without a token: 401; a buyer, a seller or support staff: 403; nothing is decided", async () => {
    const id = await heldPayment();
    for (const response of [await call("GET", "/v1/admin/fraud/reviews"), await decide(id, "")]) {
      expect((await problem(response, 401)).code).toBe("UNAUTHENTICATED");
    }
    expect((await problem(await call("GET", "/v1/admin/fraud/reviews", { token: "not-a-token" }), 401)).code).toBe("UNAUTHENTICATED");
    for (const roles of [[], ["seller"], ["support"]]) {
      const person = await signUp(h, ...roles);
      expect((await problem(await call("GET", "/v1/admin/fraud/reviews", { token: person.token }), 403)).code).toBe("FORBIDDEN");
      expect((await problem(await decide(id, person.token), 403)).code).toBe("FORBIDDEN");
    }
    const admin = await signUp(h, "admin");
    expect((await list(admin.token)).items[0]?.reviewStatus).toBe("pending");
    expect(calls).toEqual([]);
  });
});

describe("OpenAPI", () => {
  test("the routes document their request and response schemas with examples, in a valid document", async () => {
    const app = plugin("fraud-docs-test")
      .use(openapi({ path: "/docs", specPath: "/docs/json" }))
      .use(fraudRoutes(h.deps));
    const document = (await (await app.handle(new Request("http://localhost/docs/json"))).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    await SwaggerParser.validate(structuredClone(document) as never);
    const list = document.paths["/v1/admin/fraud/reviews"]?.get;
    const decideOp = document.paths["/v1/admin/fraud/reviews/{id}/decision"]?.post;
    expect(list?.operationId).toBe("adminListFraudReviews");
    expect(decideOp?.operationId).toBe("adminDecideFraudReview");
    expect(list?.responses?.["200"]?.content?.["application/json"]?.schema?.example).toBeDefined();
    expect(decideOp?.requestBody?.content?.["application/json"]?.schema?.example).toBeDefined();
    expect(decideOp?.responses?.["200"]?.content?.["application/json"]?.schema?.example).toBeDefined();
    for (const status of ["401", "403", "404", "409", "422"]) expect(Object.keys(decideOp?.responses ?? {})).toContain(status);
  });
});

interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: { example?: unknown } }> };
  responses?: Record<string, { content?: Record<string, { schema?: { example?: unknown } }> }>;
}
