import { expect, test } from "bun:test";
import { clientInfo, edgeProofFor, networkOf } from "./client-info.ts";

const from = (address: string) => ({ requestIP: () => ({ address }) });
const request = (headers: Record<string, string>) => new Request("http://localhost/", { headers });
const PROOF = edgeProofFor("edge-secret-0123456789") ?? "";
const trusted = { addresses: new Set(["127.0.0.1"]), edgeProof: PROOF };

test("X-Forwarded-For is believed only from a trusted proxy", () => {
  const spoofed = request({ "x-forwarded-for": "6.6.6.6", "user-agent": "curl/8" });
  expect(clientInfo(spoofed, from("203.0.113.9"), trusted)).toEqual({ ip: "203.0.113.9", network: "203.0.113.9", userAgent: "curl/8", location: null });
  expect(clientInfo(spoofed, from("127.0.0.1"), trusted)).toEqual({ ip: "6.6.6.6", network: "6.6.6.6", userAgent: "curl/8", location: null });
});

test("proxies append: the client is the right-most address that is not one of our proxies; what it prepended is ignored", () => {
  // nginx in front: the client sent "6.6.6.6" itself, nginx appended the real peer
  expect(clientInfo(request({ "x-forwarded-for": "6.6.6.6, 198.51.100.7" }), from("127.0.0.1"), trusted).ip).toBe("198.51.100.7");
  // two of our proxies in a row are skipped
  expect(clientInfo(request({ "x-forwarded-for": "6.6.6.6, 198.51.100.7, 127.0.0.1" }), from("127.0.0.1"), trusted).ip).toBe("198.51.100.7");
  expect(clientInfo(request({ "x-forwarded-for": "198.51.100.7" }), null, trusted)).toEqual({ ip: null, network: "unknown", userAgent: null, location: null });
});

test("throttles count IPv4 addresses, and IPv6 by /64 (one host holds a whole /64)", () => {
  expect(networkOf("203.0.113.9")).toBe("203.0.113.9");
  expect(networkOf("::ffff:203.0.113.9")).toBe("203.0.113.9");
  expect(networkOf("2001:db8:85a3:8d3:1319:8a2e:370:7348")).toBe("2001:db8:85a3:8d3::/64");
  expect(networkOf("2001:db8:85a3:8d3::1")).toBe(networkOf("2001:0db8:85a3:08d3:ffff::2"));
  expect(networkOf("2001:db8::1")).toBe("2001:db8:0:0::/64");
  expect(networkOf("::1")).toBe("0:0:0:0::/64");
  expect(networkOf(null)).toBe("unknown");
});

test("hostile lengths are cut", () => {
  const info = clientInfo(request({ "x-forwarded-for": "1".repeat(500), "user-agent": "x".repeat(5000) }), from("127.0.0.1"), trusted);
  expect(info.ip?.length).toBe(64);
  expect(info.userAgent?.length).toBe(300);
});

test("the edge's geo headers give a coarse location, believed only from a trusted proxy and only if they look like place names", () => {
  const geo = request({ "x-bazaar-geo-country": "PT", "x-bazaar-geo-city": "Lisbon" });
  expect(clientInfo(geo, from("127.0.0.1"), trusted).location).toBe("Lisbon, PT");
  expect(clientInfo(geo, from("203.0.113.9"), trusted).location).toBeNull();
  expect(clientInfo(request({ "x-bazaar-geo-country": "<script>" }), from("127.0.0.1"), trusted).location).toBeNull();
  expect(clientInfo(request({ "x-bazaar-geo-city": "S%C3%A3o%20Paulo", "x-bazaar-geo-country": "BR" }), from("127.0.0.1"), trusted).location).toBe(
    "São Paulo, BR",
  );
  expect(clientInfo(request({ "x-bazaar-geo-city": "%E0%A4%A", "x-bazaar-geo-country": "IN" }), from("127.0.0.1"), trusted).location).toBe("IN");
});

test("the edge vouches with its secret from any address; a wrong or missing secret vouches for nothing", () => {
  const viaEdge = (proof?: string) =>
    request({ "x-forwarded-for": "198.51.100.7", "x-bazaar-geo-country": "PT", ...(proof ? { "x-bazaar-edge-proof": proof } : {}) });
  // a Cloudflare address the core cannot list
  expect(clientInfo(viaEdge(PROOF), from("172.68.1.1"), trusted)).toMatchObject({ ip: "198.51.100.7", location: "PT" });
  // the secret itself is not the proof
  expect(clientInfo(viaEdge("edge-secret-0123456789"), from("172.68.1.1"), trusted)).toMatchObject({ ip: "172.68.1.1", location: null });
  expect(clientInfo(viaEdge("wrong-secret-0123456789"), from("172.68.1.1"), trusted)).toMatchObject({ ip: "172.68.1.1", location: null });
  expect(clientInfo(viaEdge(), from("172.68.1.1"), trusted)).toMatchObject({ ip: "172.68.1.1", location: null });
  expect(clientInfo(viaEdge(""), from("172.68.1.1"), { addresses: new Set() })).toMatchObject({ ip: "172.68.1.1" });
});
