import { type FieldError, isCountryCode } from "@bazaar/contracts";

export interface PostalCodeRule {
  pattern: RegExp;
  /** shown in the error, so the shopper sees what is expected */
  example: string;
  /** the country has postal codes everywhere, so an address there needs one */
  required: boolean;
}

const rule = (pattern: RegExp, example: string, required = true): PostalCodeRule => ({ pattern, example, required });

/**
 * Postal codes per country (ISO 3166-1 alpha-2), checked after normalisePostalCode (trimmed, runs of spaces made
 * one, upper case); the patterns also ignore case. The usual separator is optional ("1100048", "SW1A1AA" pass).
 * A country without a rule takes any code of the contract's generic shape, and none.
 */
export const POSTAL_CODE_RULES: Readonly<Partial<Record<string, PostalCodeRule>>> = {
  AT: rule(/^[1-9]\d{3}$/, "1010"),
  AU: rule(/^\d{4}$/, "2000"),
  BE: rule(/^[1-9]\d{3}$/, "1000"),
  BR: rule(/^\d{5}[ -]?\d{3}$/, "01310-100"),
  // the first letter never D F I O Q U W Z, the others never D F I O Q U
  CA: rule(/^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ -]?\d[ABCEGHJ-NPRSTV-Z]\d$/i, "K1A 0B1"),
  CH: rule(/^[1-9]\d{3}$/, "8001"),
  CN: rule(/^\d{6}$/, "100000"),
  CZ: rule(/^[1-7]\d{2} ?\d{2}$/, "110 00"),
  DE: rule(/^(?:0[1-9]|[1-9]\d)\d{3}$/, "10115"),
  DK: rule(/^\d{4}$/, "1050"),
  ES: rule(/^(?:0[1-9]|[1-4]\d|5[0-2])\d{3}$/, "28013"), // 01–52: the province
  FI: rule(/^\d{5}$/, "00100"),
  FR: rule(/^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$/, "75008"), // 01–98: the département (2A/2B Corsica write 20)
  // Royal Mail's outward code (A9, A99, AA9, AA99, A9A, AA9A) and inward code (9AA, never C I K M O V)
  GB: rule(/^(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})$/i, "SW1A 1AA"),
  GR: rule(/^[1-8]\d{2} ?\d{2}$/, "105 57"),
  // Eircodes exist for every address but few shoppers know theirs
  IE: rule(/^(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$/i, "D02 X285", false),
  IN: rule(/^[1-9]\d{2} ?\d{3}$/, "110001"),
  IT: rule(/^\d{5}$/, "00184"),
  JP: rule(/^\d{3}[ -]?\d{4}$/, "100-0001"),
  KR: rule(/^\d{5}$/, "03187"), // five digits since 2015
  MX: rule(/^\d{5}$/, "06600"),
  NL: rule(/^[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}$/i, "1012 AB"), // SA, SD and SS are never issued
  NO: rule(/^\d{4}$/, "0150"),
  NZ: rule(/^\d{4}$/, "6011"),
  PL: rule(/^\d{2}[ -]?\d{3}$/, "00-950"),
  PT: rule(/^[1-9]\d{3}[ -]?\d{3}$/, "1100-048"),
  RU: rule(/^[1-6]\d{5}$/, "101000"),
  SE: rule(/^[1-9]\d{2} ?\d{2}$/, "114 55"),
  SG: rule(/^\d{6}$/, "018956"),
  SK: rule(/^[089]\d{2} ?\d{2}$/, "811 01"),
  TR: rule(/^(?:0[1-9]|[1-7]\d|8[01])\d{3}$/, "34110"), // 01–81: the province
  US: rule(/^\d{5}(?:[ -]?\d{4})?$/, "94103"),
};

export interface AddressForRules {
  country: string;
  postalCode: string | null;
  phone: string | null;
}

/** What an address breaks beyond its schema (country list, postal-code rules, phone shape); empty when nothing. */
export function addressProblems(address: AddressForRules, rules: Readonly<Partial<Record<string, PostalCodeRule>>> = POSTAL_CODE_RULES): FieldError[] {
  const errors: FieldError[] = [];
  if (!isCountryCode(address.country)) errors.push({ path: "/country", message: "is not an ISO 3166-1 alpha-2 country code" });
  const rule = rules[address.country];
  if (rule && address.postalCode === null && rule.required) errors.push({ path: "/postalCode", message: `is required for ${address.country}` });
  if (rule && address.postalCode !== null && !rule.pattern.test(address.postalCode)) {
    errors.push({ path: "/postalCode", message: `is not a postal code of ${address.country} (expected something like ${rule.example})` });
  }
  // E.164: a country code never starts with 0, and the whole number is at most 15 digits
  if (address.phone !== null && !/^\+[1-9][0-9]{6,14}$/.test(address.phone)) {
    errors.push({ path: "/phone", message: "must be an international number of 7 to 15 digits starting with +, such as +351 21 123 4567" });
  }
  return errors;
}

/** "+351 (21) 123-4567" → "+351211234567": one stored form, whatever the shopper typed. */
export const normalisePhone = (phone: string) => phone.replace(/[\s().-]/g, "");

/** "sw1a  1aa" → "SW1A 1AA". */
export const normalisePostalCode = (code: string) => code.trim().replace(/\s+/g, " ").toUpperCase();
