import { describe, expect, test } from "bun:test";
import { firstFreeSlug, isValidGtin, PRODUCT_SLUG_MAX_LENGTH, productSlugBase, slugCandidate } from "./service.ts";

describe("product slugs", () => {
  test("the title transliterated, lowercase, with dashes", () => {
    expect(productSlugBase("Café Crème — Édition Spéciale!")).toBe("cafe-creme-edition-speciale");
    expect(productSlugBase("  Straße & Smørrebrød  ")).toBe("strasse-smorrebrod");
    expect(productSlugBase("ÆON Łódź 4K/HDR")).toBe("aeon-lodz-4k-hdr");
  });

  test("a title without Latin letters or digits still gets a stem", () => {
    expect(productSlugBase("特价商品")).toBe("product");
    expect(productSlugBase("🔥🔥🔥")).toBe("product");
  });

  test("at most 80 characters, never ending in a dash, suffixes included", () => {
    const long = productSlugBase(`${"word ".repeat(40)}end`);
    expect(long.length).toBeLessThanOrEqual(PRODUCT_SLUG_MAX_LENGTH);
    expect(long).not.toEndWith("-");
    for (const n of [2, 10, 123, 100_000]) {
      const candidate = slugCandidate(long, n);
      expect(candidate.length).toBeLessThanOrEqual(PRODUCT_SLUG_MAX_LENGTH);
      expect(candidate).toEndWith(`-${n}`);
      expect(candidate).not.toContain("--");
    }
  });

  test("the first free candidate: the stem, then -2, -3 …", () => {
    expect(firstFreeSlug("tee", new Set())).toBe("tee");
    expect(firstFreeSlug("tee", new Set(["tee"]))).toBe("tee-2");
    expect(firstFreeSlug("tee", new Set(["tee", "tee-2", "tee-3", "tee-5"]))).toBe("tee-4");
  });
});

describe("GTIN check digits", () => {
  test("valid GTIN-8, -12, -13 and -14 pass", () => {
    for (const code of ["96385074", "036000291452", "4006381333931", "10614141000415", "00000000000000"]) expect(isValidGtin(code)).toBe(true);
  });

  test("a wrong check digit, a wrong length or a non-digit fails", () => {
    for (const code of ["96385075", "036000291453", "4006381333932", "10614141000416", "1234567", "123456789", "40063813339a1", ""]) {
      expect(isValidGtin(code)).toBe(false);
    }
  });
});
