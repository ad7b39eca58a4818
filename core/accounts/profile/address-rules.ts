import { type FieldError, isCountryCode } from "@bazaar/contracts";

export interface PostalCodeRule {
  pattern: RegExp;
  /** shown in the error, so the shopper sees what is expected */
  example: string;
  /** the country has postal codes everywhere, so an address there needs one */
  required: boolean;
}

/**
 * The hook for per-country postal-code rules, keyed by ISO 3166-1 alpha-2 code. Empty until the
 * cart/shipping issue fills it in; meanwhile any code of the contract's generic shape passes.
 */
export const POSTAL_CODE_RULES: Readonly<Partial<Record<string, PostalCodeRule>>> = {};

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
