// What cart and checkout may know of a shopper: their own address (as shipped to) and preferred currency.
import type { Database, schema } from "@bazaar/db";
import { findAddress } from "./profile/repo.ts";
import { findUserById } from "./repo.ts";

/** The address as an order keeps it (orders' snapshot), with its id in the address book. */
export type ShopperAddress = schema.ShippingAddressSnapshot & { id: string };

/** The user's own address by id; undefined for an unknown id or another user's (callers answer 404/422 alike). */
export async function shopperAddress(database: Database, userId: string, addressId: string): Promise<ShopperAddress | undefined> {
  const row = await findAddress(database, addressId);
  if (!row || row.userId !== userId) return undefined;
  const { id, recipient, line1, line2, city, region, postalCode, country, phone } = row;
  return { id, recipient, line1, line2, city, region, postalCode, country, phone };
}

/** The currency the user chose in their profile (USD unless they chose). */
export async function shopperCurrency(database: Database, userId: string): Promise<string> {
  return (await findUserById(database, userId))?.currency ?? "USD";
}
