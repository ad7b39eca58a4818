// The double-entry ledger: every movement of money is one transaction whose entries sum to zero in each
// currency, written in ONE atomic batch with the accounts' cached balances. The no-overdraft CHECK on wallet and
// seller accounts makes the database refuse a debit that would take one below zero, whatever raced it.
import { AppError, type IdGenerator } from "@bazaar/contracts";
import { type Database, isConstraintError, type Queryable, type Statement, schema } from "@bazaar/db";
import { and, eq, sql } from "drizzle-orm";

/**
 * payment_holding: wallet money set aside for an order payment until its card part succeeds (or it is given back).
 * fx_conversion: the platform's position per currency where a buyer pays in one and a seller settles in another;
 * its balances across currencies are the platform's FX gains and losses. seller_receivable: what a seller owes
 * back (a refund after their proceeds were released and spent), netted from their next releases; it goes negative.
 * These three, like platform_commission, refunds and provider_clearing, are not guarded by the no-overdraft CHECK.
 */
export const ACCOUNT_KINDS = [
  "buyer_wallet",
  "seller_pending",
  "seller_available",
  "seller_receivable",
  "platform_commission",
  "refunds",
  "provider_clearing",
  "payment_holding",
  "fx_conversion",
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** The owner of the platform's own accounts. */
export const PLATFORM = "platform";

export interface AccountKey {
  kind: AccountKind;
  /** a user id, PLATFORM, or a provider name for provider_clearing */
  ownerId: string;
  currency: string;
}

export interface Posting {
  account: AccountKey;
  /** added to the account's balance; never zero */
  amountMinor: number;
}

export interface NewTransaction {
  kind: string;
  /** what it is about: a payment, refund or hold id */
  reference: string | null;
  /** a retried posting with the same key changes nothing */
  idempotencyKey: string;
  description?: string;
  postings: Posting[];
}

/** A debit the account cannot cover: nothing of the transaction was written. */
export class InsufficientFundsError extends AppError {
  readonly kind = "INSUFFICIENT_FUNDS";
  constructor(message = "The balance does not cover this amount") {
    super("CONFLICT", message, [{ path: "/amount", message: "is more than the available balance" }]);
    this.name = "InsufficientFundsError";
  }
}

export interface LedgerDeps {
  database: Database;
  ids: IdGenerator;
  clock: () => number;
}

/** Refuses what can never be a ledger transaction: an unbalanced currency, a zero or fractional amount. */
export function assertBalanced(postings: Posting[]): void {
  if (postings.length < 2) throw new RangeError("a ledger transaction needs at least two entries");
  const sums = new Map<string, number>();
  for (const { account, amountMinor } of postings) {
    if (!Number.isSafeInteger(amountMinor) || amountMinor === 0) throw new RangeError(`ledger amounts are non-zero integers, got ${amountMinor}`);
    sums.set(account.currency, (sums.get(account.currency) ?? 0) + amountMinor);
  }
  for (const [currency, sum] of sums) if (sum !== 0) throw new RangeError(`ledger transaction does not balance in ${currency}: ${sum}`);
}

const accountKeyString = (a: AccountKey) => `${a.kind}|${a.ownerId}|${a.currency}`;

/**
 * Postings with one entry per account: amounts on the same account are summed and accounts that net to zero are
 * dropped (a sale in the buyer's own currency passes nothing through fx_conversion).
 */
export function netPostings(postings: Posting[]): Posting[] {
  const byAccount = new Map<string, Posting>();
  for (const p of postings) {
    const key = accountKeyString(p.account);
    const seen = byAccount.get(key);
    byAccount.set(key, { account: p.account, amountMinor: (seen?.amountMinor ?? 0) + p.amountMinor });
  }
  return [...byAccount.values()].filter((p) => p.amountMinor !== 0);
}

/** The ids of these accounts, creating the missing ones (an idempotent insert: racing creators agree). */
export async function ensureAccounts(deps: LedgerDeps, keys: AccountKey[]): Promise<Map<string, string>> {
  const unique = [...new Map(keys.map((k) => [accountKeyString(k), k])).values()];
  const ids = new Map<string, string>();
  const missing: AccountKey[] = [];
  for (const key of unique) {
    const id = await findAccountId(deps.database.db, key);
    if (id) ids.set(accountKeyString(key), id);
    else missing.push(key);
  }
  if (missing.length) {
    const now = deps.clock();
    const inserts: Statement[] = missing.map((key) =>
      deps.database.db
        .insert(schema.ledgerAccount)
        .values({ id: deps.ids("ledgerAccount"), kind: key.kind, ownerId: key.ownerId, currency: key.currency, createdAt: now })
        .onConflictDoNothing(),
    );
    await deps.database.batch(inserts as [Statement, ...Statement[]]);
    for (const key of missing) {
      const id = await findAccountId(deps.database.db, key);
      if (!id) throw new Error(`ledger account ${accountKeyString(key)} could not be created`);
      ids.set(accountKeyString(key), id);
    }
  }
  return ids;
}

async function findAccountId(db: Queryable, key: AccountKey): Promise<string | undefined> {
  const [row] = await db
    .select({ id: schema.ledgerAccount.id })
    .from(schema.ledgerAccount)
    .where(and(eq(schema.ledgerAccount.ownerId, key.ownerId), eq(schema.ledgerAccount.kind, key.kind), eq(schema.ledgerAccount.currency, key.currency)))
    .limit(1);
  return row?.id;
}

/**
 * The statements that write `transaction` (for a caller's own batch, beside e.g. the payment's status change):
 * the transaction row, its entries, and each account's balance moved by the same amounts. Accounts must exist
 * (`ensureAccounts`). Run them atomically; a CHECK refusal anywhere aborts all of them.
 */
export function transactionStatements(
  deps: LedgerDeps,
  accounts: Map<string, string>,
  transaction: NewTransaction,
  /** an open transaction to build them on (they are then run inside it); the database by default */
  db: Queryable = deps.database.db,
): Statement[] {
  assertBalanced(transaction.postings);
  const now = deps.clock();
  const transactionId = deps.ids("ledgerTransaction");
  const statements: Statement[] = [
    db.insert(schema.ledgerTransaction).values({
      id: transactionId,
      kind: transaction.kind,
      reference: transaction.reference,
      idempotencyKey: transaction.idempotencyKey,
      description: transaction.description ?? "",
      createdAt: now,
    }),
  ];
  for (const { account, amountMinor } of transaction.postings) {
    const accountId = accounts.get(accountKeyString(account));
    if (!accountId) throw new Error(`ledger account ${accountKeyString(account)} was not ensured`);
    statements.push(
      db.insert(schema.ledgerEntry).values({ id: deps.ids("ledgerEntry"), transactionId, accountId, amountMinor, currency: account.currency, createdAt: now }),
      db
        .update(schema.ledgerAccount)
        .set({ balanceMinor: sql`${schema.ledgerAccount.balanceMinor} + ${amountMinor}` })
        .where(eq(schema.ledgerAccount.id, accountId)),
    );
  }
  return statements;
}

/**
 * Posts one transaction on its own, atomically. A replay of its idempotency key posts nothing and says so; a debit
 * an account cannot cover throws InsufficientFundsError and posts nothing.
 */
export async function post(deps: LedgerDeps, transaction: NewTransaction, also: Statement[] = []): Promise<{ replayed: boolean }> {
  const accounts = await ensureAccounts(
    deps,
    transaction.postings.map((p) => p.account),
  );
  try {
    await deps.database.batch([...transactionStatements(deps, accounts, transaction), ...also] as [Statement, ...Statement[]]);
    return { replayed: false };
  } catch (error) {
    if (!isConstraintError(error)) throw error;
    if (await transactionExists(deps.database.db, transaction.idempotencyKey)) return { replayed: true };
    if (isOverdraft(error)) throw new InsufficientFundsError();
    throw error;
  }
}

export async function transactionExists(db: Queryable, idempotencyKey: string): Promise<boolean> {
  const [row] = await db
    .select({ id: schema.ledgerTransaction.id })
    .from(schema.ledgerTransaction)
    .where(eq(schema.ledgerTransaction.idempotencyKey, idempotencyKey))
    .limit(1);
  return row !== undefined;
}

/** The no-overdraft CHECK refused the write (SQLite names the constraint in its message). */
export function isOverdraft(error: unknown): boolean {
  const text = `${(error as { message?: string })?.message ?? ""} ${String((error as { cause?: unknown })?.cause ?? "")}`;
  return text.includes("ledger_account_no_overdraft");
}

// ---- reading ----

export interface Balance {
  currency: string;
  amountMinor: number;
}

/** An owner's balances of one kind, per currency (the cached balance, which reconciliation proves). */
export async function balancesOf(database: Database, ownerId: string, kind: AccountKind): Promise<Balance[]> {
  const rows = await database.db
    .select({ currency: schema.ledgerAccount.currency, amountMinor: schema.ledgerAccount.balanceMinor })
    .from(schema.ledgerAccount)
    .where(and(eq(schema.ledgerAccount.ownerId, ownerId), eq(schema.ledgerAccount.kind, kind)))
    .orderBy(schema.ledgerAccount.currency);
  return rows;
}

export interface Mismatch {
  what: string;
  detail: string;
}

/**
 * Proves the ledger: every account's cached balance equals the sum of its entries, and every transaction sums to
 * zero in each currency. Returns what does not hold (nothing, always, unless someone wrote around the ledger).
 */
export async function reconcile(database: Database): Promise<Mismatch[]> {
  const mismatches: Mismatch[] = [];
  const accounts = await database.db.all<{ id: string; balance: number; sum: number }>(sql`
    SELECT a.id AS id, a.balance_minor AS balance, coalesce(sum(e.amount_minor), 0) AS sum
    FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
    GROUP BY a.id HAVING a.balance_minor <> coalesce(sum(e.amount_minor), 0)`);
  for (const a of accounts) mismatches.push({ what: `account ${a.id}`, detail: `cached balance ${a.balance}, entries sum to ${a.sum}` });
  const transactions = await database.db.all<{ id: string; currency: string; sum: number }>(sql`
    SELECT transaction_id AS id, currency, sum(amount_minor) AS sum FROM ledger_entry
    GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0`);
  for (const t of transactions) mismatches.push({ what: `transaction ${t.id}`, detail: `${t.currency} entries sum to ${t.sum}` });
  return mismatches;
}
