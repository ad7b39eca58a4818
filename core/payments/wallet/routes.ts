import {
  ConflictError,
  IdempotencyHeaders,
  PaymentIdParams,
  PaymentView,
  RefundBody,
  RefundList,
  RefundView,
  SandboxAuthenticationBody,
  TopUpBody,
  ValidationError,
  WalletQuery,
  WalletView,
} from "@bazaar/contracts";
import { authentication, requireOwner } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import { applyProviderState, confirmPayment, countryOfLocation, findPayment, getPayment, type Providers, topUp, view } from "../charges/service.ts";
import { ProviderError } from "../providers/provider.ts";
import { SandboxProvider } from "../providers/sandbox.ts";
import { refundPayment, refundsOf } from "../refunds/service.ts";
import { getWallet } from "./service.ts";

const TAGS = ["payments"];
const IDEMPOTENCY_HEADERS = IdempotencyHeaders();

/** The buyer's wallet and payments, the sandbox's authentication page, and staff refunds. */
export function walletRoutes(deps: Deps, providers: Providers) {
  return plugin("payments/wallet")
    .use(requestContext(deps))
    .use(authentication(deps))
    .get("/v1/me/wallet", ({ ctx, actor, query }) => getWallet(ctx, actor, query), {
      auth: true,
      query: WalletQuery,
      response: { 200: WalletView, ...problems(401, 422) },
      detail: { operationId: "getWallet", tags: TAGS, summary: "Your wallet: the balance in each currency and its entries, newest first" },
    })
    .post(
      "/v1/me/wallet/top-ups",
      async ({ ctx, actor, body, headers, set }) => {
        set.status = 201;
        const risk = { ipAddress: ctx.client.ip ?? undefined, ipCountry: countryOfLocation(ctx.client.location) };
        return topUp(ctx, providers, actor, body, { idempotencyKey: headers["idempotency-key"], risk });
      },
      {
        auth: true,
        body: TopUpBody,
        headers: IDEMPOTENCY_HEADERS,
        response: { 201: PaymentView, ...problems(400, 401, 409, 413, 415, 422, 502) },
        detail: {
          operationId: "topUpWallet",
          tags: TAGS,
          summary: "Add money to your wallet with a card (or another method of a payment provider)",
          description:
            "The wallet is credited once the provider captures the payment: at once for most cards, after authentication when `status` is `requires_action` (follow `nextAction.url`), or when the provider's webhook arrives. Every payment is scored by the fraud check first (`risk`): a blocked one is `failed` and nothing is charged; one held for review is `authorized` until staff decide. Send an `Idempotency-Key`: a retry with the same key returns the same payment and charges nothing twice.",
        },
      },
    )
    .get("/v1/me/payments/:id", ({ ctx, actor, params }) => getPayment(ctx, actor, params.id), {
      auth: true,
      params: PaymentIdParams,
      response: { 200: PaymentView, ...problems(401, 404, 422) },
      detail: { operationId: "getPayment", tags: TAGS, summary: "One of your payments" },
    })
    .post(
      "/v1/me/payments/:id/sandbox-authentication",
      async ({ ctx, actor, params, body }) => {
        // the caller's own payment, or 404
        const row = requireOwner(actor, await findPayment(ctx, params.id), "payment", [], (p) => p.buyerId);
        const sandbox = providers.byName.sandbox;
        if (!(sandbox instanceof SandboxProvider) || row.provider !== "sandbox" || !row.providerRef) {
          throw new ValidationError([{ path: "/", message: "only a sandbox payment has a sandbox authentication step" }]);
        }
        let answer: ReturnType<SandboxProvider["authenticate"]>;
        try {
          answer = sandbox.authenticate(row.providerRef, body.result);
        } catch (error) {
          if (error instanceof ProviderError) throw new ConflictError(error.message, "/");
          throw error;
        }
        return view(await applyProviderState(ctx, providers.policy, row.id, answer));
      },
      {
        auth: true,
        params: PaymentIdParams,
        body: SandboxAuthenticationBody,
        response: { 200: PaymentView, ...problems(400, 401, 404, 413, 415, 422) },
        detail: {
          operationId: "completeSandboxAuthentication",
          tags: TAGS,
          summary: "Sandbox only: approve or deny the extra authentication step of a test payment, as the buyer would on the bank's page",
        },
      },
    )
    .post("/v1/me/payments/:id/confirm", ({ ctx, actor, params }) => confirmPayment(ctx, providers, actor, params.id), {
      auth: true,
      params: PaymentIdParams,
      response: { 200: PaymentView, ...problems(401, 404, 409, 422) },
      detail: {
        operationId: "confirmPayment",
        tags: TAGS,
        summary: "After approving a payment on the provider's page (PayPal), complete it",
        description: "Only for your own payment in `requires_action` at a provider that needs this step; a second call answers 409.",
      },
    })
    .get(
      "/v1/me/payments/:id/refunds",
      async ({ ctx, actor, params }) => {
        await getPayment(ctx, actor, params.id);
        return { items: await refundsOf(ctx, params.id) };
      },
      {
        auth: true,
        params: PaymentIdParams,
        response: { 200: RefundList, ...problems(401, 404, 422) },
        detail: { operationId: "listPaymentRefunds", tags: TAGS, summary: "The refunds of one of your payments, oldest first" },
      },
    )
    .post(
      "/v1/admin/payments/:id/refunds",
      async ({ ctx, params, body, headers, set }) => {
        const key = headers["idempotency-key"];
        if (!key) throw new ValidationError([{ path: "/headers/idempotency-key", message: "is required: a refund must never be made twice" }]);
        set.status = 201;
        return refundPayment(ctx, providers, params.id, body, key);
      },
      {
        auth: ["admin"],
        params: PaymentIdParams,
        body: RefundBody,
        headers: IDEMPOTENCY_HEADERS,
        response: { 201: RefundView, ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
        detail: {
          operationId: "refundPayment",
          tags: TAGS,
          summary: "Staff: refund part or all of a captured payment",
          description:
            "Never more than was captured and not yet refunded (for an order: of the sub-order named by `subOrderId`). The seller's share and the platform's commission come back in proportion. Requires an `Idempotency-Key`; a replay returns the first refund, and a different refund under the same key is a 409.",
        },
      },
    );
}
