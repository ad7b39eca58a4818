import { describe, expect, test } from "bun:test";
import { SUB_ORDER_STATUSES, type SubOrderStatus } from "@bazaar/contracts";
import { parentStatusOf, TRANSITIONS, transitionOf } from "./lifecycle.ts";

describe("the sub-order state machine", () => {
  test("exactly the documented steps exist; everything else is refused", () => {
    const allowed = new Set(TRANSITIONS.map((t) => `${t.from}→${t.to}`));
    expect([...allowed].sort()).toEqual(
      [
        "pending→confirmed",
        "pending→cancelled",
        "confirmed→cancelled",
        "confirmed→shipped",
        "shipped→delivered",
        "delivered→return_requested",
        "return_requested→returned",
        "return_requested→delivered",
      ].sort(),
    );
    for (const from of SUB_ORDER_STATUSES) {
      for (const to of SUB_ORDER_STATUSES) {
        expect(transitionOf(from, to) !== undefined).toBe(allowed.has(`${from}→${to}`));
      }
    }
  });

  test("who may make each step: a buyer never ships or approves returns, a seller never asks for a return", () => {
    const by = (from: SubOrderStatus, to: SubOrderStatus) => transitionOf(from, to)?.by ?? [];
    expect(by("confirmed", "shipped")).not.toContain("buyer");
    expect(by("return_requested", "returned")).not.toContain("buyer");
    expect([...by("delivered", "return_requested")]).toEqual(["buyer", "admin"]);
    expect(by("pending", "confirmed")).toContain("system");
    expect(by("confirmed", "cancelled")).toContain("buyer");
    // cancelled and returned are the end
    for (const to of SUB_ORDER_STATUSES) {
      expect(transitionOf("cancelled", to)).toBeUndefined();
      expect(transitionOf("returned", to)).toBeUndefined();
    }
  });

  test("every step announces itself with the event of its target status", () => {
    for (const t of TRANSITIONS) expect(t.event.type as string).toBe(`order.${t.to}`);
  });
});

describe("the parent order's status", () => {
  test("all alike: that status; all cancelled: cancelled", () => {
    expect(parentStatusOf(["shipped", "shipped"])).toBe("shipped");
    expect(parentStatusOf(["cancelled", "cancelled"])).toBe("cancelled");
  });

  test("mixed: as far along as the least advanced part still live", () => {
    expect(parentStatusOf(["shipped", "confirmed"])).toBe("confirmed");
    expect(parentStatusOf(["delivered", "cancelled"])).toBe("delivered");
    expect(parentStatusOf(["returned", "delivered"])).toBe("delivered");
    expect(parentStatusOf(["return_requested", "delivered", "cancelled"])).toBe("delivered");
  });
});
