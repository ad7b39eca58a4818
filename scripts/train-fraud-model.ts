// `bun scripts/train-fraud-model.ts [--check]`: generates labelled synthetic payments (seeded, so the same every
// run), fits the fraud model (logistic regression, L2, full-batch gradient descent) on 80 % of them, evaluates it
// and the full score (model + rules) on the other 20 %, writes core/payments/fraud/model-weights.json and prints
// the report. `--check` writes nothing and exits 1 when the committed weights are not what training gives.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { countryMismatches, type FraudFeatures, HISTORY_SIZE } from "../core/payments/fraud/features.ts";
import { FEATURE_NAMES, featureVector, type ModelWeights, predictVector } from "../core/payments/fraud/model.ts";
import { BLOCK_THRESHOLD, REVIEW_THRESHOLD, riskOf } from "../core/payments/fraud/service.ts";

export const WEIGHTS_PATH = join(import.meta.dir, "../core/payments/fraud/model-weights.json");

/** Bump when the features or the generator change meaning; the hash after it changes with every new fit. */
const MODEL_NAME = "fraud-lr-2";

export const TRAINING = {
  seed: 20_261_125,
  samples: 50_000,
  fraudRate: 0.04,
  trainShare: 0.8,
  epochs: 1500,
  learningRate: 0.5,
  l2: 0.001,
} as const;

export type TrainingOptions = typeof TRAINING;

// ---- a seeded PRNG and the distributions drawn from it ----

/** mulberry32: tiny, fast and good enough for synthetic data; the same seed gives the same stream everywhere. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Box–Muller; 1 − u keeps log away from 0. */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Knuth's method: fine for the small means used here (≤ 60). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** successes in `n` tries of chance `p` */
  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.chance(p)) k++;
    return k;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
}

// ---- the synthetic payments ----

export interface Sample {
  features: FraudFeatures;
  fraud: boolean;
  /** which generator made it (for the report) */
  kind: "legit" | "card_testing" | "account_takeover" | "new_account" | "stealth";
}

const COUNTRIES = ["PT", "US", "DE", "BR", "IN", "JP", "GB", "FR", "NG", "MX", "ID", "TR"] as const;

interface Draft {
  ageDays: number;
  history: number;
  /** the user's typical captured amount, US dollars */
  typical: number;
  amount: number;
  p10m: number;
  p24h: number;
  /** null: a wallet payment, no card */
  cardUsers: number | null;
  cardPayments: number;
  /** null: no address known */
  ipPayments: number | null;
  home: string;
  ipAway: boolean;
  shippingAway: boolean;
  cardAway: boolean;
  declines: number;
}

function otherCountry(r: Random, home: string): string {
  let c = r.pick(COUNTRIES);
  while (c === home) c = r.pick(COUNTRIES);
  return c;
}

/** Turns a draft into the features the database would give, with the same derivations as features.ts. */
function toFeatures(r: Random, d: Draft): FraudFeatures {
  const history = Math.min(HISTORY_SIZE, d.history);
  const median = history ? d.typical * r.logNormal(1, 0.1) : null;
  const mean = median === null ? null : median * r.logNormal(1.15, 0.1);
  // features.ts converts every amount to US dollars, rounded to the cent
  const amountUsd = Math.max(0.01, Math.round(d.amount * 100) / 100);
  const unknown = (p: number) => r.chance(p);
  const countries = {
    ipCountry: d.ipPayments === null || unknown(0.05) ? null : d.ipAway ? otherCountry(r, d.home) : d.home,
    billingCountry: unknown(0.1) ? null : d.home,
    shippingCountry: unknown(0.05) ? null : d.shippingAway ? otherCountry(r, d.home) : d.home,
    cardCountry: d.cardUsers === null || unknown(0.1) ? null : d.cardAway ? otherCountry(r, d.home) : d.home,
  };
  return {
    userPayments10m: d.p10m,
    userPayments24h: d.p24h,
    cardPayments24h: d.cardUsers === null ? 0 : d.cardPayments,
    cardUsers24h: d.cardUsers ?? 0,
    ipPayments1h: d.ipPayments ?? 0,
    amountUsd,
    amountConverted: true,
    historyPayments: history,
    historyMedianUsd: median,
    historyMeanUsd: mean,
    historyConverted: true,
    amountToMedian: median ? amountUsd / median : null,
    amountToMean: mean ? amountUsd / mean : null,
    firstPayment: history === 0,
    accountAgeDays: d.ageDays,
    ...countries,
    countryMismatches: countryMismatches(countries),
    declines24h: d.declines,
  };
}

function legit(r: Random): FraudFeatures {
  const ageDays = r.chance(0.1) ? r.exponential(2) : Math.min(4000, r.logNormal(250, 1.2));
  const history = r.poisson(Math.min(60, (ageDays / 30) * r.logNormal(1, 0.7)));
  const typical = r.logNormal(35, 0.9);
  // a big purchase now and then (a phone, a sofa) is normal too
  const amount = history ? typical * (r.chance(0.04) ? r.logNormal(4, 0.6) : r.logNormal(1, 0.5)) : r.logNormal(45, 1);
  const burst = r.chance(0.015); // a shopping spree, or retries after a typo
  const p10m = r.poisson(burst ? 3 : 0.15);
  const p24h = p10m + r.poisson(burst ? 6 : 1);
  const card = r.chance(0.85);
  const u = r.next();
  const cardUsers = card ? (u < 0.94 ? 1 : u < 0.995 ? 2 : u < 0.999 ? 3 : 4) : null; // families share cards
  const cardPayments = r.binomial(p24h, 0.7) + (cardUsers ? (cardUsers - 1) * r.poisson(0.7) : 0);
  const sharedAddress = r.chance(0.05); // an office, a campus, a mobile carrier's NAT
  const ipPayments = r.chance(0.9) ? r.poisson(sharedAddress ? 5 : 0.2 + 0.5 * p10m) : null;
  const declines = r.chance(0.05) ? 1 : r.chance(0.012) ? 1 + r.poisson(1.5) : 0;
  return toFeatures(r, {
    ageDays,
    history,
    typical,
    amount,
    p10m,
    p24h,
    cardUsers,
    cardPayments,
    ipPayments,
    home: r.pick(COUNTRIES),
    ipAway: r.chance(0.06), // travelling, or a VPN
    shippingAway: r.chance(0.04), // a gift abroad
    cardAway: r.chance(0.025), // an expat's home card
    declines,
  });
}

/** Many small charges on stolen cards from fresh accounts, often the same card across accounts. */
function cardTesting(r: Random): FraudFeatures {
  const ageDays = r.chance(0.75) ? r.exponential(1) : r.logNormal(100, 1.2);
  const p10m = r.poisson(4);
  const p24h = p10m + r.poisson(8);
  const cardUsers = 1 + r.poisson(1.2);
  const mismatch = r.chance(0.55);
  return toFeatures(r, {
    ageDays,
    history: r.poisson(0.3),
    typical: r.logNormal(25, 0.8),
    amount: r.logNormal(12, 1),
    p10m,
    p24h,
    cardUsers,
    // a tester rotates cards, and each card is tried from several accounts
    cardPayments: r.binomial(p24h, 0.4) + (cardUsers - 1) * r.poisson(2),
    // half run from one host, half through rotating proxies
    ipPayments: r.chance(0.9) ? r.poisson(r.chance(0.5) ? 12 : 2) : null,
    home: r.pick(COUNTRIES),
    ipAway: mismatch && r.chance(0.7),
    shippingAway: mismatch && r.chance(0.3),
    cardAway: mismatch && r.chance(0.6),
    declines: r.poisson(2.5),
  });
}

/** An old account in someone else's hands: a spend far above its history, from and to elsewhere. */
function accountTakeover(r: Random): FraudFeatures {
  const ageDays = Math.min(4000, r.logNormal(400, 1));
  const typical = r.logNormal(35, 0.9);
  const p10m = r.poisson(1);
  const p24h = p10m + r.poisson(2);
  const newCard = r.chance(0.4);
  const cardUsers = newCard ? 1 + (r.chance(0.3) ? r.poisson(1.5) : 0) : 1;
  return toFeatures(r, {
    ageDays,
    history: 1 + r.poisson(Math.min(60, ageDays / 20)),
    typical,
    amount: typical * r.logNormal(6, 0.8),
    p10m,
    p24h,
    cardUsers,
    cardPayments: r.binomial(p24h, 0.8) + (cardUsers - 1) * r.poisson(1.5),
    ipPayments: r.chance(0.9) ? r.poisson(1) : null,
    home: r.pick(COUNTRIES),
    ipAway: r.chance(0.65),
    shippingAway: r.chance(0.5),
    cardAway: newCard && r.chance(0.5),
    declines: r.poisson(0.4),
  });
}

/** A fresh account paying a lot with a stolen card at once. */
function newAccount(r: Random): FraudFeatures {
  const p10m = r.poisson(0.8);
  const p24h = p10m + r.poisson(1.5);
  const cardUsers = 1 + (r.chance(0.25) ? r.poisson(1.5) : 0);
  return toFeatures(r, {
    ageDays: r.exponential(0.7),
    history: r.chance(0.9) ? 0 : r.poisson(1),
    typical: r.logNormal(35, 0.9),
    amount: r.logNormal(350, 0.9),
    p10m,
    p24h,
    cardUsers,
    cardPayments: r.binomial(p24h, 0.8) + (cardUsers - 1) * r.poisson(1.5),
    ipPayments: r.chance(0.9) ? r.poisson(1) : null,
    home: r.pick(COUNTRIES),
    ipAway: r.chance(0.45),
    shippingAway: r.chance(0.3),
    cardAway: r.chance(0.55),
    declines: r.poisson(0.8),
  });
}

/** `n` labelled payments from `seed`; about `fraudRate` of them fraud, of four kinds, one of which looks legitimate. */
export function generateDataset(seed: number, n: number, fraudRate: number): Sample[] {
  const r = new Random(seed);
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    if (!r.chance(fraudRate)) {
      samples.push({ features: legit(r), fraud: false, kind: "legit" });
      continue;
    }
    const u = r.next();
    if (u < 0.3) samples.push({ features: cardTesting(r), fraud: true, kind: "card_testing" });
    else if (u < 0.55) samples.push({ features: accountTakeover(r), fraud: true, kind: "account_takeover" });
    else if (u < 0.85) samples.push({ features: newAccount(r), fraud: true, kind: "new_account" });
    // fraud no feature can tell apart: the model must not be perfect on it
    else samples.push({ features: legit(r), fraud: true, kind: "stealth" });
  }
  return samples;
}

/** The generated data split as training uses it: the first `trainShare` for fitting, the rest held out (samples are i.i.d.). */
export function splitDataset(options: TrainingOptions = TRAINING): { train: Sample[]; heldOut: Sample[] } {
  const samples = generateDataset(options.seed, options.samples, options.fraudRate);
  const cut = Math.round(samples.length * options.trainShare);
  return { train: samples.slice(0, cut), heldOut: samples.slice(cut) };
}

// ---- fitting ----

/** 12 significant digits: tidy JSON, and the same file on every machine whatever the last bits of exp/log do. */
const round12 = (x: number) => Number(x.toPrecision(12));

/** Logistic regression on standardised inputs: full-batch gradient descent on mean log-loss + (l2 / 2)·‖w‖² (bias not penalised). */
export function fitLogistic(rows: readonly number[][], labels: readonly boolean[], options: Pick<TrainingOptions, "epochs" | "learningRate" | "l2">) {
  const n = rows.length;
  const d = FEATURE_NAMES.length;
  const means = new Array<number>(d).fill(0);
  const stds = new Array<number>(d).fill(0);
  for (const row of rows) for (let j = 0; j < d; j++) means[j] = (means[j] as number) + (row[j] as number) / n;
  for (const row of rows) for (let j = 0; j < d; j++) stds[j] = (stds[j] as number) + ((row[j] as number) - (means[j] as number)) ** 2 / n;
  for (let j = 0; j < d; j++) stds[j] = Math.sqrt(stds[j] as number) || 1;

  const x = new Float64Array(n * d);
  const y = new Float64Array(n);
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = ((row[j] as number) - (means[j] as number)) / (stds[j] as number);
    y[i] = labels[i] ? 1 : 0;
  });

  const w = new Float64Array(d);
  let b = 0;
  const grad = new Float64Array(d);
  let loss = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    grad.fill(0);
    let gradB = 0;
    loss = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += (w[j] as number) * (x[i * d + j] as number);
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const error = p - (y[i] as number);
      for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) + error * (x[i * d + j] as number);
      gradB += error;
      loss -= y[i] ? Math.log(Math.max(p, 1e-15)) : Math.log(Math.max(1 - p, 1e-15));
    }
    for (let j = 0; j < d; j++) w[j] = (w[j] as number) - options.learningRate * ((grad[j] as number) / n + options.l2 * (w[j] as number));
    b -= options.learningRate * (gradB / n);
  }
  return {
    means: means.map(round12),
    stds: stds.map(round12),
    weights: [...w].map(round12),
    bias: round12(b),
    trainLogLoss: loss / n,
  };
}

/** The hash in a model's version: of exactly the numbers that predict. */
export function modelHash(model: Pick<ModelWeights, "features" | "means" | "stds" | "weights" | "bias">): string {
  const numbers = JSON.stringify([model.features, model.means, model.stds, model.weights, model.bias]);
  return createHash("sha256").update(numbers).digest("hex").slice(0, 10);
}

// ---- evaluation ----

export interface Confusion {
  truePositives: number;
  falsePositives: number;
  trueNegatives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
  /** of legitimate payments, the share flagged */
  falsePositiveRate: number;
}

export function confusion(flagged: readonly boolean[], labels: readonly boolean[]): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  flagged.forEach((f, i) => {
    if (f && labels[i]) tp++;
    else if (f) fp++;
    else if (labels[i]) fn++;
    else tn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    truePositives: tp,
    falsePositives: fp,
    trueNegatives: tn,
    falseNegatives: fn,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    falsePositiveRate: fp + tn ? fp / (fp + tn) : 0,
  };
}

/** ROC AUC as the Mann–Whitney statistic: the chance a random fraud scores above a random legitimate payment (ties count half). */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPositive = 0;
  let positives = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && (order[end + 1] as readonly [number, number])[0] === (order[start] as readonly [number, number])[0]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[(order[k] as readonly [number, number])[1]]) {
        rankSumPositive += averageRank;
        positives++;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  return positives && negatives ? (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives) : 0.5;
}

export interface Evaluation {
  samples: number;
  fraud: number;
  aucModel: number;
  aucScore: number;
  /** the model alone, flagging at probability ≥ 0.5 */
  model50: Confusion;
  /** the full score: flagged for review or blocked (≥ REVIEW_THRESHOLD) */
  review: Confusion;
  /** the full score: blocked (≥ BLOCK_THRESHOLD) */
  block: Confusion;
  /** recall per kind of fraud at the review threshold */
  recallByKind: Record<string, number>;
}

export function evaluate(model: ModelWeights, samples: readonly Sample[]): Evaluation {
  const labels = samples.map((s) => s.fraud);
  const probabilities = samples.map((s) => predictVector(model, featureVector(s.features)));
  const scores = samples.map((s, i) => riskOf(s.features, probabilities[i] as number, model.version).score);
  const recallByKind: Record<string, number> = {};
  for (const kind of ["card_testing", "account_takeover", "new_account", "stealth"]) {
    const of = samples.map((s, i) => [s, scores[i] as number] as const).filter(([s]) => s.kind === kind);
    recallByKind[kind] = of.length ? of.filter(([, score]) => score >= REVIEW_THRESHOLD).length / of.length : 0;
  }
  return {
    samples: samples.length,
    fraud: labels.filter(Boolean).length,
    aucModel: rocAuc(probabilities, labels),
    aucScore: rocAuc(scores, labels),
    model50: confusion(
      probabilities.map((p) => p >= 0.5),
      labels,
    ),
    review: confusion(
      scores.map((s) => s >= REVIEW_THRESHOLD),
      labels,
    ),
    block: confusion(
      scores.map((s) => s >= BLOCK_THRESHOLD),
      labels,
    ),
    recallByKind,
  };
}

// ---- the whole run ----

export function trainFraudModel(options: TrainingOptions = TRAINING): { model: ModelWeights; evaluation: Evaluation; trainLogLoss: number } {
  const { train, heldOut } = splitDataset(options);
  const fitted = fitLogistic(
    train.map((s) => featureVector(s.features)),
    train.map((s) => s.fraud),
    options,
  );
  const numbers = { features: [...FEATURE_NAMES], means: fitted.means, stds: fitted.stds, weights: fitted.weights, bias: fitted.bias };
  const version = `${MODEL_NAME}-${modelHash(numbers)}`;
  const unevaluated: ModelWeights = { version, ...numbers };
  const evaluation = evaluate(unevaluated, heldOut);
  const model: ModelWeights = {
    ...unevaluated,
    training: {
      ...options,
      trainSamples: train.length,
      trainFraud: train.filter((s) => s.fraud).length,
      trainLogLoss: round12(fitted.trainLogLoss),
    },
    evaluation: {
      heldOutSamples: evaluation.samples,
      heldOutFraud: evaluation.fraud,
      aucModel: round4(evaluation.aucModel),
      aucScore: round4(evaluation.aucScore),
      review: summary(evaluation.review),
      block: summary(evaluation.block),
    },
  };
  return { model, evaluation, trainLogLoss: fitted.trainLogLoss };
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const summary = (c: Confusion) => ({
  precision: round4(c.precision),
  recall: round4(c.recall),
  f1: round4(c.f1),
  falsePositiveRate: round4(c.falsePositiveRate),
  confusion: { tp: c.truePositives, fp: c.falsePositives, tn: c.trueNegatives, fn: c.falseNegatives },
});

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function formatReport(model: ModelWeights, evaluation: Evaluation, trainLogLoss: number): string {
  const row = (name: string, c: Confusion) =>
    `| ${name} | ${pct(c.precision)} | ${pct(c.recall)} | ${c.f1.toFixed(3)} | ${pct(c.falsePositiveRate)} | ${c.truePositives} | ${c.falsePositives} | ${c.trueNegatives} | ${c.falseNegatives} |`;
  const lines = [
    `model ${model.version}: ${FEATURE_NAMES.length} features, train log-loss ${trainLogLoss.toFixed(4)}`,
    `held-out set: ${evaluation.samples} payments, ${evaluation.fraud} fraud (${pct(evaluation.fraud / evaluation.samples)})`,
    `ROC AUC: model ${evaluation.aucModel.toFixed(4)}, full score (model + rules) ${evaluation.aucScore.toFixed(4)}`,
    "",
    "| flagged when | precision | recall | F1 | false-positive rate | TP | FP | TN | FN |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    row("model p ≥ 0.5 (model alone)", evaluation.model50),
    row(`score ≥ ${REVIEW_THRESHOLD} (review or block)`, evaluation.review),
    row(`score ≥ ${BLOCK_THRESHOLD} (block)`, evaluation.block),
    "",
    `recall at score ≥ ${REVIEW_THRESHOLD} by kind of fraud: ${Object.entries(evaluation.recallByKind)
      .map(([kind, recall]) => `${kind} ${pct(recall)}`)
      .join(", ")}`,
    "",
    "weights (standardised inputs):",
    ...FEATURE_NAMES.map((name, i) => `  ${name.padEnd(26)} ${(model.weights[i] as number).toFixed(4).padStart(8)}`),
    `  ${"bias".padEnd(26)} ${model.bias.toFixed(4).padStart(8)}`,
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const started = performance.now();
  const { model, evaluation, trainLogLoss } = trainFraudModel();
  console.log(formatReport(model, evaluation, trainLogLoss));
  console.log(`\ntrained in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (process.argv.includes("--check")) {
    const committed = JSON.parse(readFileSync(WEIGHTS_PATH, "utf8")) as ModelWeights;
    // the evaluation too: a change of the rules changes it without changing the weights
    if (!Bun.deepEquals(committed, JSON.parse(JSON.stringify(model)))) {
      console.error(`${WEIGHTS_PATH} (${committed.version}) is not what training gives (${model.version}): run bun scripts/train-fraud-model.ts`);
      process.exit(1);
    }
    console.log(`${WEIGHTS_PATH} is up to date (${model.version})`);
  } else {
    writeFileSync(WEIGHTS_PATH, `${JSON.stringify(model, null, 2)}\n`);
    // as the repo's formatter lays it out, so a retrain's diff is only the numbers that changed
    const biome = join(import.meta.dir, "../node_modules/.bin/biome");
    if (existsSync(biome)) Bun.spawnSync([biome, "format", "--write", WEIGHTS_PATH], { stdout: "ignore", stderr: "inherit" });
    console.log(`wrote ${WEIGHTS_PATH}`);
  }
}
