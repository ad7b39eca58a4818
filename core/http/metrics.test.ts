import { describe, expect, test } from "bun:test";
import { Metrics } from "./metrics.ts";

describe("Prometheus exposition", () => {
  test("label values are escaped (backslash, quote, newline) and plain ones are written as they are", async () => {
    const metrics = new Metrics();
    metrics.httpRequests.inc({ method: "GET", route: '/a"b\\c\nd', status: "200" });
    metrics.httpRequests.inc({ method: "GET", route: "/v1/products", status: "200" }, 2);
    metrics.httpRequests.inc({ method: "GET", route: "/v1/products", status: "200" });
    const text = await metrics.render();
    expect(text).toContain('bazaar_http_requests_total{method="GET",route="/a\\"b\\\\c\\nd",status="200"} 1');
    expect(text).toContain('bazaar_http_requests_total{method="GET",route="/v1/products",status="200"} 3');
  });

  test("a counter without labels has no braces", async () => {
    const metrics = new Metrics();
    metrics.eventsRelayed.inc();
    expect(await metrics.render()).toContain("\nbazaar_events_relayed_total 1\n");
  });
});
