// The fraud model: logistic regression over standardised features. Its weights are fitted by
// scripts/train-fraud-model.ts on generated labelled data and committed as model-weights.json.
import type { FraudFeatures } from "./features.ts";
import weightsFile from "./model-weights.json" with { type: "json" };

/** The model's inputs, in order: monotonic transforms of the features (logs tame the long tails of counts and amounts). */
export const FEATURE_NAMES = [
  "log_user_payments_10m",
  "log_user_payments_24h",
  "log_card_payments_24h",
  "log_card_other_users_24h",
  "log_ip_payments_1h",
  "log_amount_usd",
  "log_amount_to_median",
  "first_payment",
  "log_account_age_days",
  "country_mismatches",
  "log_declines_24h",
] as const;

export interface ModelWeights {
  /** the model's name and a hash of its numbers: stored on every assessment */
  version: string;
  features: string[];
  /** per feature, from the training split: x' = (x − mean) / std */
  means: number[];
  stds: number[];
  weights: number[];
  bias: number;
  /** how it was trained and how it did on the held-out split (informational) */
  training?: Record<string, unknown>;
  evaluation?: Record<string, unknown>;
}

/** The amount ratio's log is clipped here: a first big spend and an absurd one are equally suspicious. */
const LOG_RATIO_RANGE = [-3, 5] as const;

/** The model's input vector for `f`, in FEATURE_NAMES order (not yet standardised). */
export function featureVector(f: FraudFeatures): number[] {
  const ratio = f.amountToMedian === null || f.amountToMedian <= 0 ? 0 : Math.min(LOG_RATIO_RANGE[1], Math.max(LOG_RATIO_RANGE[0], Math.log(f.amountToMedian)));
  return [
    Math.log1p(f.userPayments10m),
    Math.log1p(f.userPayments24h),
    Math.log1p(f.cardPayments24h),
    Math.log1p(Math.max(0, f.cardUsers24h - 1)),
    Math.log1p(f.ipPayments1h),
    Math.log1p(Math.max(0, f.amountUsd)),
    ratio,
    f.firstPayment ? 1 : 0,
    Math.log1p(Math.max(0, f.accountAgeDays)),
    f.countryMismatches,
    Math.log1p(f.declines24h),
  ];
}

export function sigmoid(z: number): number {
  // split so neither branch overflows exp
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The fraud probability `model` gives the input vector `x` (raw, as featureVector returns it). */
export function predictVector(model: ModelWeights, x: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < x.length; i++) {
    const std = model.stds[i] ?? 1;
    z += (model.weights[i] ?? 0) * (((x[i] as number) - (model.means[i] ?? 0)) / (std > 0 ? std : 1));
  }
  return sigmoid(z);
}

/** Refuses weights fitted for other inputs, rather than predicting nonsense with them. */
export function checkWeights(model: ModelWeights): ModelWeights {
  const n = FEATURE_NAMES.length;
  const sameFeatures = model.features.length === n && model.features.every((name, i) => name === FEATURE_NAMES[i]);
  if (!sameFeatures || model.means.length !== n || model.stds.length !== n || model.weights.length !== n || !Number.isFinite(model.bias)) {
    throw new Error(`model-weights.json does not fit the model's features (${FEATURE_NAMES.join(", ")}); run bun scripts/train-fraud-model.ts`);
  }
  return model;
}

/** The committed model. */
export const MODEL: ModelWeights = weightsFile as ModelWeights;
export const MODEL_VERSION: string = MODEL.version;

let checked = false;

/** The committed model's fraud probability (0–1) for a payment with these features. */
export function predict(features: FraudFeatures): number {
  if (!checked) {
    // checked on first use, not on import: the training script imports this file to write a new one
    checkWeights(MODEL);
    checked = true;
  }
  return predictVector(MODEL, featureVector(features));
}
