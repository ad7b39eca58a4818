import { Type } from "@sinclair/typebox";

/** Headers the edge sets on requests it forwards to the core; the core believes them only from the edge. */

/** Where Cloudflare placed the client (`request.cf`): country code, and city percent-encoded. */
export const GEO_COUNTRY_HEADER = "x-bazaar-geo-country";
export const GEO_CITY_HEADER = "x-bazaar-geo-city";

/**
 * Proves a request came through the edge, so the core can believe X-Forwarded-For and the geo
 * headers from an edge whose addresses it cannot list. Its value is HMAC-SHA256(EVENTS_SECRET,
 * EDGE_PROOF_LABEL) in hex: derived, so whoever sees a proxied request's headers does not learn
 * the secret that authorises event delivery.
 */
export const EDGE_PROXY_HEADER = "x-bazaar-edge-proof";
export const EDGE_PROOF_LABEL = "bazaar-edge-proof/v1";

/** Requests that move money or make orders take an Idempotency-Key (a replay returns the first result): printable, bounded. */
export const IdempotencyHeaders = (description = "any unique string per intended operation") =>
  Type.Object({ "idempotency-key": Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$", description })) });
