/** The documented demo accounts `bun run dev` seeds (README lists them too). */
export const DEMO_ACCOUNTS = [
  { email: "admin@bazaar.test", password: "bazaar-admin-demo", name: "Ada Admin", roles: ["admin", "buyer"] },
  { email: "seller.one@bazaar.test", password: "bazaar-seller-demo", name: "Sam Seller (Lantern Goods)", roles: ["seller", "buyer"] },
  { email: "seller.two@bazaar.test", password: "bazaar-seller-demo", name: "Sol Seller (Kite & Co)", roles: ["seller", "buyer"] },
  { email: "buyer@bazaar.test", password: "bazaar-buyer-demo", name: "Bea Buyer", roles: ["buyer"] },
] as const;
