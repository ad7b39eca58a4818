// The deterministic fraud rules: each looks at the features alone and, when it fires, says why and how many
// points (of the 0–1000 score) it adds. Pure functions, so the training script scores its data with them too.
import type { FraudFeatures } from "./features.ts";

export interface RuleHit {
  code: string;
  message: string;
  points: number;
}

/** Where each rule fires. Exported so the README, tests and the synthetic data talk about the same numbers. */
export const LIMITS = {
  /** the user's payments in 10 minutes / 24 hours */
  userPayments10m: 5,
  userPayments24h: 20,
  /** payments with one card in 24 hours */
  cardPayments24h: 5,
  /** distinct users of one card in 24 hours (a family shares a card; four accounts rarely do) */
  cardUsers24h: 3,
  /** payments from one IP address in an hour (offices and mobile carriers share addresses, so this is high) */
  ipPayments1h: 10,
  /** this amount over the user's median captured amount, with at least `amountSpikeHistory` payments behind it */
  amountSpikeRatio: 5,
  amountSpikeHistory: 3,
  /** an account younger than this many days paying at least `newAccountAmountUsd` (US dollars) */
  newAccountDays: 3,
  newAccountAmountUsd: 500,
  /** failed payments of the user in 24 hours */
  declines24h: 3,
} as const;

export const POINTS = {
  VELOCITY_USER: 300,
  VELOCITY_CARD: 200,
  CARD_MANY_USERS: 400,
  VELOCITY_IP: 150,
  AMOUNT_SPIKE: 200,
  // the model is linear, so it cannot see "new AND large" on its own: this rule alone sends it to review
  NEW_ACCOUNT_LARGE: 500,
  /** per extra country: two countries 150, three 300, four 450 */
  COUNTRY_MISMATCH: 150,
  RECENT_DECLINES: 250,
} as const;

export type RuleCode = keyof typeof POINTS;

const days = (d: number) => (d < 1 ? "less than a day" : `${Math.floor(d)} day${Math.floor(d) === 1 ? "" : "s"}`);
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
/** An amount as the features hold it: US dollars, or its own major units when no exchange rate reached it. */
const usd = (amount: number, converted: boolean) => (converted ? `${round2(amount)} USD` : `${round2(amount)} (its currency's major units: no exchange rate)`);

/** Every rule that fires on `f`, strongest first (ties in the order of POINTS). */
export function evaluateRules(f: FraudFeatures): RuleHit[] {
  const hits: RuleHit[] = [];
  const hit = (code: RuleCode, message: string, points: number = POINTS[code]) => hits.push({ code, message, points });

  if (f.userPayments10m >= LIMITS.userPayments10m || f.userPayments24h >= LIMITS.userPayments24h) {
    hit("VELOCITY_USER", `${f.userPayments10m} other payments by this user in the last 10 minutes, ${f.userPayments24h} in 24 hours`);
  }
  if (f.cardPayments24h >= LIMITS.cardPayments24h) {
    hit("VELOCITY_CARD", `This card was used for ${f.cardPayments24h} other payments in the last 24 hours`);
  }
  if (f.cardUsers24h >= LIMITS.cardUsers24h) {
    hit("CARD_MANY_USERS", `This card was used by ${f.cardUsers24h} different accounts in the last 24 hours`);
  }
  if (f.ipPayments1h >= LIMITS.ipPayments1h) {
    hit("VELOCITY_IP", `${f.ipPayments1h} other payments came from this IP address in the last hour`);
  }
  if (f.amountToMedian !== null && f.historyPayments >= LIMITS.amountSpikeHistory && f.amountToMedian >= LIMITS.amountSpikeRatio) {
    const median = f.historyMedianUsd === null ? "" : ` of ${usd(f.historyMedianUsd, f.historyConverted)}`;
    hit(
      "AMOUNT_SPIKE",
      `The amount (${usd(f.amountUsd, f.amountConverted)}) is ${round1(f.amountToMedian)}× this user's median payment${median} (over ${f.historyPayments} payments)`,
    );
  }
  if (f.accountAgeDays < LIMITS.newAccountDays && f.amountUsd >= LIMITS.newAccountAmountUsd) {
    hit("NEW_ACCOUNT_LARGE", `An account ${days(f.accountAgeDays)} old pays ${usd(f.amountUsd, f.amountConverted)}`);
  }
  if (f.countryMismatches > 0) {
    hit("COUNTRY_MISMATCH", `Countries disagree: ${describeCountries(f)}`, POINTS.COUNTRY_MISMATCH * f.countryMismatches);
  }
  if (f.declines24h >= LIMITS.declines24h) {
    hit("RECENT_DECLINES", `${f.declines24h} of this user's payments were declined in the last 24 hours`);
  }
  return hits.sort((a, b) => b.points - a.points);
}

function describeCountries(f: FraudFeatures): string {
  const named: [string, string | null][] = [
    ["IP", f.ipCountry],
    ["billing", f.billingCountry],
    ["shipping", f.shippingCountry],
    ["card", f.cardCountry],
  ];
  return named
    .filter(([, country]) => country !== null)
    .map(([what, country]) => `${what} ${country}`)
    .join(", ");
}
