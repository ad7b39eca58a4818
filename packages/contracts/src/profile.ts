import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { idPattern } from "./ids.ts";
import { SUPPORTED_CURRENCIES } from "./money.ts";
import { SingleLineText } from "./text.ts";

/** The interface languages the storefront is translated into (BCP 47, canonical case). */
export const SUPPORTED_LOCALES = [
  "en",
  "en-GB",
  "es",
  "es-MX",
  "fr",
  "de",
  "it",
  "nl",
  "pl",
  "pt",
  "pt-BR",
  "tr",
  "ru",
  "uk",
  "ar",
  "he",
  "hi",
  "id",
  "th",
  "vi",
  "ja",
  "ko",
  "zh-CN",
  "zh-TW",
] as const;
export type SupportedLocale = (typeof SUPPORTED_LOCALES)[number];

export const Locale = Type.Union(
  SUPPORTED_LOCALES.map((l) => Type.Literal(l)),
  { error: `must be one of the supported locales: ${SUPPORTED_LOCALES.join(", ")}`, description: "BCP 47 language tag", examples: ["pt-BR"] },
);

export const PreferredCurrency = Type.Union(
  SUPPORTED_CURRENCIES.map((c) => Type.Literal(c)),
  { error: `must be one of the supported currencies: ${SUPPORTED_CURRENCIES.join(", ")}`, description: "ISO 4217 display currency", examples: ["EUR"] },
);

export const PersonName = SingleLineText({ maxLength: 100, examples: ["Ada Lovelace"] });

export const UpdateProfileBody = Type.Object(
  { name: Type.Optional(PersonName), locale: Type.Optional(Locale), currency: Type.Optional(PreferredCurrency) },
  { additionalProperties: false, example: { locale: "pt-BR", currency: "BRL" } },
);
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

/** What a passwordless account types to confirm that it means it. */
export const ACCOUNT_DELETION_PHRASE = "delete my account";

export const DeleteAccountBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 128, error: "is required (at most 128 characters)", examples: ["correct horse battery"] })),
    confirm: Type.Optional(
      Type.Literal(ACCOUNT_DELETION_PHRASE, {
        error: `must be exactly "${ACCOUNT_DELETION_PHRASE}"`,
        description: "for accounts without a password, together with a sign-in less than 10 minutes old",
      }),
    ),
  },
  { additionalProperties: false, example: { password: "correct horse battery" } },
);
export type DeleteAccountBody = Static<typeof DeleteAccountBody>;

// ---- avatar ----

/** What an avatar upload may be; the bytes must say the same as the Content-Type. */
export const AVATAR_MEDIA_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export type AvatarMediaType = (typeof AVATAR_MEDIA_TYPES)[number];
export const AVATAR_MAX_BYTES = 2 * 1024 * 1024;
/** Per side, in pixels: bounds what a decoder allocates (4096² RGBA is 64 MiB), whatever the file's size. */
export const AVATAR_MAX_SIDE = 4096;
/** Animated GIF, PNG or WebP: at most this many frames. */
export const AVATAR_MAX_FRAMES = 100;

export const AvatarQuery = Type.Object({
  v: Type.Optional(
    Type.String({
      maxLength: 64,
      pattern: "^[A-Za-z0-9_-]+$",
      error: "must be the version from avatarUrl",
      description: "the version in UserView.avatarUrl; when it is current the image is cacheable forever",
      examples: ["Xk2b9QwE"],
    }),
  ),
});

// ---- addresses ----

/** ISO 3166-1 alpha-2, every assigned code, plus XK (Kosovo: user-assigned, but what carriers use). */
export const COUNTRY_CODES: readonly string[] = `
  AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD
  CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
  GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
  KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
  NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
  SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
  VN VU WF WS YE YT ZA ZM ZW XK
`
  .trim()
  .split(/\s+/);
const COUNTRIES = new Set(COUNTRY_CODES);
export const isCountryCode = (code: string) => COUNTRIES.has(code);

export const MAX_ADDRESSES_PER_USER = 20;

const ADDRESS_ID_EXAMPLE = "adr_01JD4M3Z8Q5V7W9X1Y2Z3A4B5C";
export const AddressId = Type.String({ pattern: idPattern("address"), error: "must be an address id", examples: [ADDRESS_ID_EXAMPLE] });
export const AddressIdParams = Type.Object({ id: AddressId });

const CountryCode = Type.String({
  pattern: "^[A-Z]{2}$",
  error: "must be an ISO 3166-1 alpha-2 country code such as US",
  description: "ISO 3166-1 alpha-2",
  examples: ["PT"],
});
const PostalCode = Type.String({
  minLength: 1,
  maxLength: 16,
  pattern: "^ *[A-Za-z0-9](?:[A-Za-z0-9 -]*[A-Za-z0-9])? *$",
  error: "must be 1 to 16 letters, digits, spaces or hyphens",
  examples: ["1100-048"],
});
const Phone = Type.String({
  maxLength: 32,
  pattern: "^\\+[0-9 ().-]{6,30}$",
  error: "must be an international number starting with +, such as +351 21 123 4567",
  description: "international format; stored as E.164 (+ and digits only)",
  examples: ["+351 21 123 4567"],
});

/** Optional text that a PATCH clears with null. */
function Clearable<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Union([schema, Type.Null()], { error: `${schema.error ?? "is invalid"}, or null` }));
}

const addressFields = {
  label: Clearable(SingleLineText({ maxLength: 50, examples: ["Home"] })),
  recipient: SingleLineText({ maxLength: 100, examples: ["Ada Lovelace"] }),
  line1: SingleLineText({ maxLength: 200, examples: ["Rua Augusta 24"] }),
  line2: Clearable(SingleLineText({ maxLength: 200, examples: ["3º esq."] })),
  city: SingleLineText({ maxLength: 100, examples: ["Lisboa"] }),
  region: Clearable(SingleLineText({ maxLength: 100, examples: ["Lisboa"] })),
  postalCode: Clearable(PostalCode),
  country: CountryCode,
  phone: Clearable(Phone),
  isDefaultShipping: Type.Optional(Type.Boolean({ description: "make this the default shipping address (false: stop it being the default)" })),
  isDefaultBilling: Type.Optional(Type.Boolean({ description: "make this the default billing address (false: stop it being the default)" })),
};

const ADDRESS_INPUT_EXAMPLE = {
  label: "Home",
  recipient: "Ada Lovelace",
  line1: "Rua Augusta 24",
  line2: "3º esq.",
  city: "Lisboa",
  postalCode: "1100-048",
  country: "PT",
  phone: "+351 21 123 4567",
  isDefaultShipping: true,
};

export const CreateAddressBody = Type.Object(addressFields, { additionalProperties: false, example: ADDRESS_INPUT_EXAMPLE });
export type CreateAddressBody = Static<typeof CreateAddressBody>;

export const UpdateAddressBody = Type.Partial(Type.Object(addressFields), { additionalProperties: false, example: { line2: null, isDefaultBilling: true } });
export type UpdateAddressBody = Static<typeof UpdateAddressBody>;

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ADDRESS_EXAMPLE = {
  id: ADDRESS_ID_EXAMPLE,
  label: "Home",
  recipient: "Ada Lovelace",
  line1: "Rua Augusta 24",
  line2: "3º esq.",
  city: "Lisboa",
  region: null,
  postalCode: "1100-048",
  country: "PT",
  phone: "+351211234567",
  isDefaultShipping: true,
  isDefaultBilling: false,
  createdAt: "2026-11-25T06:00:00.000Z",
  updatedAt: "2026-11-25T06:00:00.000Z",
};

export const AddressView = Type.Object(
  {
    id: AddressId,
    label: Nullable(Type.String()),
    recipient: Type.String(),
    line1: Type.String(),
    line2: Nullable(Type.String()),
    city: Type.String(),
    region: Nullable(Type.String()),
    postalCode: Nullable(Type.String()),
    country: Type.String({ description: "ISO 3166-1 alpha-2" }),
    phone: Nullable(Type.String({ description: "E.164" })),
    isDefaultShipping: Type.Boolean(),
    isDefaultBilling: Type.Boolean(),
    createdAt: Type.String({ format: "date-time" }),
    updatedAt: Type.String({ format: "date-time" }),
  },
  { $id: "AddressView", example: ADDRESS_EXAMPLE },
);
export type AddressView = Static<typeof AddressView>;

/** Not paginated: an account holds at most MAX_ADDRESSES_PER_USER addresses. */
export const AddressList = Type.Object(
  { items: Type.Array(AddressView, { maxItems: MAX_ADDRESSES_PER_USER }) },
  { $id: "AddressList", example: { items: [ADDRESS_EXAMPLE] } },
);
export type AddressList = Static<typeof AddressList>;
