import { describe, expect, test } from "bun:test";
import { isCountryCode } from "@bazaar/contracts";
import { addressProblems, normalisePostalCode, POSTAL_CODE_RULES } from "./address-rules.ts";

/** What the shopper may type (before normalisation) and what is not a postal code there. */
const CODES: Record<string, { valid: string[]; invalid: string[] }> = {
  US: { valid: ["94103", "00501", "94103-1234", "941031234", "94103 1234"], invalid: ["9410", "941033", "94103-123", "94103-12345", "ABCDE", "94103--1234"] },
  CA: {
    valid: ["K1A 0B1", "k1a 0b1", "K1A0B1", "M5V-3L9", "T2P 1J9", "H0H 0H0"],
    invalid: ["D1A 0B1", "K1D 0B1", "W1A 0B1", "Z1A 0B1", "K1A 0B", "12345", "K1A  0B1X"],
  },
  GB: {
    valid: ["SW1A 1AA", "sw1a 1aa", "SW1A1AA", "EC1A 1BB", "W1A 0AX", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "GIR 0AA"],
    invalid: ["SW1A 1CA", "QW1A 1AA", "SW1A", "1AA", "SW1A-1AA", "12345", "SW1A 1AAA", "V1 1AA"],
  },
  DE: { valid: ["10115", "01067", "80331", "99998"], invalid: ["00115", "1011", "101155", "10115-1", "D-10115"] },
  FR: { valid: ["75008", "01000", "20000", "97400", "98000"], invalid: ["00100", "99000", "7500", "750080", "75 008", "2A000"] },
  ES: { valid: ["28013", "01001", "08001", "52001", "35001"], invalid: ["00001", "53001", "60001", "2801", "280133"] },
  IT: { valid: ["00184", "20121", "98168", "00010"], invalid: ["0018", "001844", "I-00184", "ABCDE"] },
  NL: { valid: ["1012 AB", "1012ab", "1012AB", "9999 ZZ", "3011 SB"], invalid: ["0123 AB", "1012 SA", "1012 sd", "1012 SS", "1012", "1012 A", "1012-AB"] },
  PT: { valid: ["1100-048", "1100 048", "1100048", "4000-001", "9950-302"], invalid: ["0100-048", "1100", "1100-04", "1100-0481", "11000-048", "1100--048"] },
  PL: { valid: ["00-950", "00 950", "00950", "31-042"], invalid: ["0-950", "00-95", "009500", "AB-950"] },
  SE: { valid: ["114 55", "11455", "981 33"], invalid: ["014 55", "1145", "114 555", "114-55", "S-114 55"] },
  BR: { valid: ["01310-100", "01310100", "01310 100", "69900-000"], invalid: ["01310-10", "0131-0100", "013101000", "01310-1000"] },
  MX: { valid: ["06600", "01000", "97000"], invalid: ["0660", "066000", "06-600"] },
  IN: { valid: ["110001", "110 001", "400050", "560001"], invalid: ["010001", "11001", "1100011", "110-001"] },
  CN: { valid: ["100000", "200040", "010010"], invalid: ["10000", "1000000", "100-000", "10000A"] },
  JP: { valid: ["100-0001", "1000001", "100 0001", "060-0001"], invalid: ["100-001", "10-00001", "100-00011", "1000-001"] },
  KR: { valid: ["03187", "06236", "63309"], invalid: ["0318", "031877", "110-011", "110011"] },
  AU: { valid: ["2000", "0800", "3000", "6000"], invalid: ["200", "20000", "2000A", "NSW 2000"] },
  TR: { valid: ["34110", "06100", "01000", "81000"], invalid: ["00100", "82000", "99000", "3411", "341100"] },
  RU: { valid: ["101000", "190000", "690091", "236000"], invalid: ["001000", "701000", "10100", "1010000", "101 000"] },
  AT: { valid: ["1010", "8010"], invalid: ["0101", "101", "10100", "A-1010"] },
  BE: { valid: ["1000", "9000"], invalid: ["0999", "100", "10000"] },
  CH: { valid: ["8001", "1200"], invalid: ["0800", "80010", "CH-8001"] },
  DK: { valid: ["1050", "0800", "9990"], invalid: ["105", "10500", "DK-1050"] },
  NO: { valid: ["0150", "5003"], invalid: ["150", "01500"] },
  FI: { valid: ["00100", "33100"], invalid: ["0010", "001000"] },
  CZ: { valid: ["110 00", "11000", "602 00"], invalid: ["010 00", "810 00", "110 0", "110-00"] },
  SK: { valid: ["811 01", "81101", "040 01", "949 01"], invalid: ["111 01", "711 01", "811 0"] },
  GR: { valid: ["105 57", "10557", "546 21"], invalid: ["005 57", "905 57", "1055"] },
  IE: { valid: ["D02 X285", "d02x285", "A65 F4E2", "D6W 1234", "T12 XE4W"], invalid: ["D02", "B02 X285", "D02 B285", "D02 X28", "D02 X2850", "DUBLIN 2"] },
  NZ: { valid: ["6011", "0600"], invalid: ["601", "60110"] },
  SG: { valid: ["018956", "238801"], invalid: ["18956", "0189560"] },
};

const REQUIRED = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "PT", "PL", "SE", "BR", "MX", "IN", "CN", "JP", "KR", "AU", "TR", "RU"];

/** The code as the address service checks it: normalised first, as createAddress and updateAddress do. */
const problemsOf = (country: string, typed: string | null) =>
  addressProblems({ country, postalCode: typed === null ? null : normalisePostalCode(typed), phone: null });

describe("POSTAL_CODE_RULES", () => {
  test("cover at least the main markets, each keyed by a real country with an example that passes its own rule", () => {
    for (const country of REQUIRED) expect(POSTAL_CODE_RULES[country], country).toBeDefined();
    for (const [country, rule] of Object.entries(POSTAL_CODE_RULES)) {
      expect(isCountryCode(country), country).toBe(true);
      expect(rule?.pattern.test(rule.example), `${country} ${rule?.example}`).toBe(true);
      expect(rule?.pattern.test(normalisePostalCode(rule.example)), `${country} normalised example`).toBe(true);
      expect(CODES[country], `${country} has test codes`).toBeDefined();
    }
  });

  for (const [country, { valid, invalid }] of Object.entries(CODES)) {
    test(`${country}: ${valid.length} valid and ${invalid.length} invalid codes`, () => {
      for (const code of valid) expect(problemsOf(country, code), `${country} ${code}`).toEqual([]);
      for (const code of invalid) {
        const errors = problemsOf(country, code);
        expect(
          errors.map((e) => e.path),
          `${country} ${code}`,
        ).toEqual(["/postalCode"]);
        expect(errors[0]?.message).toBe(`is not a postal code of ${country} (expected something like ${POSTAL_CODE_RULES[country]?.example})`);
      }
    });
  }

  test("surrounding and doubled spaces are normalised away before the rule; other separators are not invented", () => {
    expect(problemsOf("GB", "  sw1a   1aa ")).toEqual([]);
    expect(problemsOf("PT", " 1100-048 ")).toEqual([]);
    expect(problemsOf("NL", "1012   ab")).toEqual([]);
    expect(problemsOf("US", "94103 - 1234").map((e) => e.path)).toEqual(["/postalCode"]);
  });

  test("the patterns ignore case even on codes that were not normalised", () => {
    for (const [country, code] of [
      ["GB", "sw1a 1aa"],
      ["CA", "k1a 0b1"],
      ["NL", "1012 ab"],
      ["IE", "d02 x285"],
    ] as const) {
      expect(POSTAL_CODE_RULES[country]?.pattern.test(code), `${country} ${code}`).toBe(true);
    }
  });

  test("required: the main markets need a postal code; Ireland's Eircode is optional; countries without a rule take any or none", () => {
    for (const country of REQUIRED) {
      expect(POSTAL_CODE_RULES[country]?.required, country).toBe(true);
      expect(problemsOf(country, null), country).toEqual([{ path: "/postalCode", message: `is required for ${country}` }]);
    }
    expect(POSTAL_CODE_RULES.IE?.required).toBe(false);
    expect(problemsOf("IE", null)).toEqual([]);
    // no rule: Hong Kong has no postal codes; anything of the contract's generic shape passes
    expect(POSTAL_CODE_RULES.HK).toBeUndefined();
    expect(problemsOf("HK", null)).toEqual([]);
    expect(problemsOf("HK", "999077")).toEqual([]);
  });

  test("the other checks still run beside the postal code", () => {
    expect(addressProblems({ country: "ZZ", postalCode: "1", phone: "+12" }).map((e) => e.path)).toEqual(["/country", "/phone"]);
    expect(addressProblems({ country: "US", postalCode: "1", phone: "+12" }).map((e) => e.path)).toEqual(["/postalCode", "/phone"]);
  });
});
