import { DEFAULT_PRODUCT_COUNT, type SeedCatalogReport } from "./index.ts";

export interface SeedArgs {
  products: number;
  reset: boolean;
  force: boolean;
}

export const SEED_USAGE =
  "options: --products N (default 5000; --scale N is the same), --reset (delete every catalog row first), --force (a non-file database)";

/** `--products 5000`, `--products=5000`, `--scale 100000`, `--reset`, `--force`; anything else is an error naming it. */
export function parseSeedArgs(argv: readonly string[]): SeedArgs {
  const args: SeedArgs = { products: DEFAULT_PRODUCT_COUNT, reset: false, force: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (name === "--reset" && inline === undefined) args.reset = true;
    else if (name === "--force" && inline === undefined) args.force = true;
    else if (name === "--products" || name === "--scale") {
      const value = inline ?? argv[++i];
      if (value === undefined || !/^\d+$/.test(value.replaceAll("_", "")))
        throw new Error(`${name} needs a whole number of products, got ${value ?? "nothing"}`);
      args.products = Number(value.replaceAll("_", ""));
    } else throw new Error(`unknown option ${arg}; ${SEED_USAGE}`);
  }
  return args;
}

/** One line for people: what this run wrote, what was there already, how long it took. */
export function describeCatalogSeed(report: SeedCatalogReport, seconds: number): string {
  const { created } = report;
  const wrote =
    created.products + created.categories + created.sellers + created.locations + created.brands === 0
      ? "nothing to add"
      : `added ${created.products.toLocaleString("en")} products (${created.variants.toLocaleString("en")} variants, ${created.stockLevels.toLocaleString("en")} stock levels), ${created.categories} categories, ${created.attributes} attributes, ${created.brands} brands, ${created.sellers} sellers, ${created.locations} stock locations`;
  const kept = report.alreadyPresent ? `; ${report.alreadyPresent.toLocaleString("en")} products were already there` : "";
  return `demo catalog${report.reset ? " (reset first)" : ""}: ${wrote}${kept} — ${report.batches} batches, ${seconds.toFixed(1)} s`;
}
