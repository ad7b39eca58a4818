import { ProviderParams, WebhookAck } from "@bazaar/contracts";
import { t } from "elysia";
import { plugin } from "../../http/plugin.ts";
import { problems } from "../../http/problems.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import type { Providers } from "../charges/service.ts";
import { receiveWebhook } from "./service.ts";

/** Where payment gateways post their events. Public (the signature is the authentication), raw body kept for it. */
export function webhookRoutes(deps: Deps, providers: Providers) {
  return plugin("payments/webhooks")
    .use(requestContext(deps))
    .post("/v1/payments/webhooks/:provider", ({ ctx, params, body, request }) => receiveWebhook(ctx, providers, params.provider, body, request.headers), {
      // the signature covers the exact bytes: the body is taken as text, never re-serialised
      parse: "text",
      body: t.String({
        description: "the provider's event, exactly as sent",
        example: '{"id":"evt_sbx_1","type":"payment.succeeded","created":1795600000,"data":{"ref":"sbx_1","paymentId":"pay_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C"}}',
      }),
      params: ProviderParams,
      response: { 200: WebhookAck, ...problems(400, 404, 413, 422) },
      detail: {
        operationId: "receivePaymentWebhook",
        tags: ["payments"],
        summary: "A payment provider's webhook (sandbox, stripe, razorpay, paypal)",
        description:
          "Verified against the provider's signature over the raw body: a forged, altered or stale one is a 400 and nothing is kept. Each event is kept once per provider event id (a redelivery answers `duplicate: true`) and applied through the outbox; news older than what a payment already shows changes nothing.",
      },
    });
}
