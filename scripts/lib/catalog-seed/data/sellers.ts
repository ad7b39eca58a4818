/**
 * Where the demo sellers are, what they sell in, and who runs them. Sellers in China list in US
 * dollars, as most cross-border marketplace sellers do; everyone else in their own currency.
 */
export interface SellerCountry {
  country: string;
  currency: string;
  locale: string;
  /** how many of the 50 sellers are here */
  sellers: number;
  cities: readonly string[];
  people: readonly string[];
}

export const SELLER_COUNTRIES: readonly SellerCountry[] = [
  {
    country: "CN",
    currency: "USD",
    locale: "zh-CN",
    sellers: 16,
    cities: ["Shenzhen", "Yiwu", "Guangzhou", "Hangzhou", "Ningbo", "Dongguan"],
    people: ["Li Na", "Wang Wei", "Zhang Min", "Chen Jie", "Liu Yang", "Huang Lei", "Zhao Xin", "Wu Fang", "李娜", "陈杰"],
  },
  {
    country: "US",
    currency: "USD",
    locale: "en",
    sellers: 7,
    cities: ["Portland", "Austin", "Brooklyn", "Denver", "Chicago"],
    people: ["Maya Brooks", "Jordan Reyes", "Ethan Cole", "Aaliyah Grant", "Noah Kim", "Grace Sullivan"],
  },
  {
    country: "DE",
    currency: "EUR",
    locale: "de",
    sellers: 4,
    cities: ["Berlin", "Hamburg", "Leipzig", "Munich"],
    people: ["Jonas Müller", "Lea Schröder", "Lukas Weiß", "Anna Köhler"],
  },
  {
    country: "FR",
    currency: "EUR",
    locale: "fr",
    sellers: 3,
    cities: ["Lyon", "Paris", "Bordeaux", "Nantes"],
    people: ["Chloé Lefèvre", "Théo Durand", "Inès Moreau", "Hugo Bénard"],
  },
  {
    country: "ES",
    currency: "EUR",
    locale: "es",
    sellers: 2,
    cities: ["Valencia", "Barcelona", "Sevilla"],
    people: ["Lucía Fernández", "Álvaro Núñez", "Marta Ibáñez"],
  },
  { country: "PT", currency: "EUR", locale: "pt", sellers: 2, cities: ["Lisbon", "Porto"], people: ["João Conceição", "Inês Gonçalves"] },
  {
    country: "GB",
    currency: "GBP",
    locale: "en-GB",
    sellers: 4,
    cities: ["Manchester", "Bristol", "Leeds", "London"],
    people: ["Oliver Hughes", "Amelia Patel", "Harry Walsh", "Isla Morgan"],
  },
  {
    country: "JP",
    currency: "JPY",
    locale: "ja",
    sellers: 3,
    cities: ["Osaka", "Tokyo", "Kyoto", "Sapporo"],
    people: ["Sato Haruto", "Suzuki Yui", "高橋 蓮", "Tanaka Aoi"],
  },
  { country: "KR", currency: "KRW", locale: "ko", sellers: 2, cities: ["Seoul", "Busan"], people: ["Kim Min-jun", "Park Seo-yeon", "이지은"] },
  { country: "BR", currency: "BRL", locale: "pt-BR", sellers: 2, cities: ["São Paulo", "Curitiba", "Recife"], people: ["Ana Beatriz Lima", "Gustavo Araújo"] },
  { country: "PL", currency: "PLN", locale: "pl", sellers: 2, cities: ["Kraków", "Wrocław", "Gdańsk"], people: ["Zofia Wójcik", "Łukasz Zieliński"] },
  { country: "TR", currency: "TRY", locale: "tr", sellers: 1, cities: ["İstanbul", "İzmir"], people: ["Çağla Yılmaz", "Emre Şahin"] },
  { country: "MX", currency: "MXN", locale: "es-MX", sellers: 1, cities: ["Guadalajara", "Monterrey"], people: ["Sofía Hernández", "Diego Ramírez"] },
  { country: "IN", currency: "INR", locale: "hi", sellers: 1, cities: ["Jaipur", "Bengaluru", "Pune"], people: ["Aarav Sharma", "Ananya Iyer"] },
];

/** Overseas warehouses that cross-border sellers ship from (the second location of a seller in China). */
export const OVERSEAS_WAREHOUSES: readonly { city: string; country: string }[] = [
  { city: "Los Angeles", country: "US" },
  { city: "Madrid", country: "ES" },
  { city: "Frankfurt", country: "DE" },
  { city: "Warsaw", country: "PL" },
];

/** Two lists whose pairs name the stores ("Golden Kite", "Harbor Lane Goods"). */
export const STORE_FIRST = [
  "Golden",
  "Harbor",
  "Lantern",
  "Maple",
  "Paper",
  "North",
  "Copper",
  "Blue",
  "Cedar",
  "Little",
  "Wild",
  "Silver",
  "Jade",
  "Coral",
  "Velvet",
  "Quiet",
] as const;
export const STORE_SECOND = ["Kite", "Lane", "Works", "Market", "Studio", "Trading", "Supply", "House", "Goods", "Atelier", "Corner", "Bazaar"] as const;

/** What every demo seller's password is (README lists it): the same as the other demo sellers'. */
export const DEMO_SELLER_PASSWORD = "bazaar-seller-demo";
export const SELLER_COUNT = 50;
export const sellerEmail = (index: number): string => `seller-${String(index + 1).padStart(2, "0")}@bazaar.test`;
