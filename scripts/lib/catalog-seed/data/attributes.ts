/** An attribute definition as stored (category_attribute), plus hints for making up values. */
export interface AttributeSpec {
  key: string;
  label: string;
  type: "text" | "number" | "enum" | "boolean";
  unit?: string;
  options?: readonly string[];
  filterable?: boolean;
  searchable?: boolean;
  variantDefining?: boolean;
  /** number: the values a product may have (integers in `unit`) */
  numbers?: readonly number[];
  /** text: the values a product may have */
  texts?: readonly string[];
  /** variant-defining and ordered (storage, volume): each later option costs this much more (0.2 = +20 %) */
  priceStep?: number;
}

const enumOf = (key: string, label: string, options: readonly string[], extra: Partial<AttributeSpec> = {}): AttributeSpec => ({
  key,
  label,
  type: "enum",
  options,
  filterable: true,
  ...extra,
});
const numberOf = (key: string, label: string, unit: string, numbers: readonly number[], extra: Partial<AttributeSpec> = {}): AttributeSpec => ({
  key,
  label,
  type: "number",
  unit,
  numbers,
  filterable: true,
  ...extra,
});
const booleanOf = (key: string, label: string): AttributeSpec => ({ key, label, type: "boolean", filterable: true });
const textOf = (key: string, label: string, texts: readonly string[]): AttributeSpec => ({ key, label, type: "text", texts, searchable: true });
const variantBy = (key: string, label: string, options: readonly string[], priceStep?: number): AttributeSpec =>
  enumOf(key, label, options, { variantDefining: true, ...(priceStep ? { priceStep } : {}) });
const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

// ---- variant-defining ----
export const DEVICE_COLOUR = variantBy("colour", "Colour", ["black", "white", "silver", "blue", "green", "purple", "graphite"]);
export const APPAREL_COLOUR = variantBy("colour", "Colour", ["black", "white", "grey", "navy", "red", "green", "beige", "pink", "blue", "yellow", "brown"]);
export const APPAREL_SIZE = variantBy("size", "Size", ["XS", "S", "M", "L", "XL", "XXL"]);
export const SHOE_COLOUR = variantBy("colour", "Colour", ["black", "white", "grey", "navy", "tan", "brown", "red", "olive"]);
export const SHOE_SIZE = variantBy("shoe_size", "Shoe size (EU)", range(36, 46).map(String));
export const ACCESSORY_COLOUR = variantBy("colour", "Colour", ["black", "brown", "tan", "navy", "burgundy", "olive", "cream", "silver", "gold"]);
export const HOME_COLOUR = variantBy("colour", "Colour", ["white", "black", "grey", "sage", "terracotta", "navy", "oat", "mustard", "blush"]);
export const PHONE_STORAGE = variantBy("storage", "Storage", ["64 GB", "128 GB", "256 GB", "512 GB"], 0.18);
export const LAPTOP_STORAGE = variantBy("storage", "Storage", ["256 GB", "512 GB", "1 TB", "2 TB"], 0.15);
export const CABLE_LENGTH = variantBy("length", "Length", ["0.5 m", "1 m", "2 m", "3 m"], 0.2);
export const KEYBOARD_LAYOUT = variantBy("layout", "Layout", ["US", "UK", "DE", "FR", "ES", "JP"]);
export const BAND_SIZE = variantBy("band_size", "Band size", ["S", "M", "L"]);
export const COSMETIC_VOLUME = variantBy("volume", "Volume", ["30 ml", "50 ml", "100 ml", "200 ml"], 0.45);
export const HAIR_VOLUME = variantBy("volume", "Volume", ["250 ml", "400 ml", "1 l"], 0.5);
export const LIPSTICK_SHADE = variantBy("shade", "Shade", ["ruby", "nude", "coral", "berry", "rose", "plum", "brick"]);
export const FOUNDATION_SHADE = variantBy("shade", "Shade", ["porcelain", "ivory", "sand", "beige", "honey", "caramel", "chestnut", "espresso"]);
export const RUG_SIZE = variantBy("rug_size", "Size", ["60 × 90 cm", "120 × 170 cm", "160 × 230 cm", "200 × 300 cm"], 0.6);
export const PRINT_SIZE = variantBy("print_size", "Print size", ["A4", "A3", "50 × 70 cm", "70 × 100 cm"], 0.35);
export const CANDLE_SCENT = variantBy("scent", "Scent", ["vanilla", "lavender", "sandalwood", "fig", "sea salt", "cedar", "jasmine", "yuzu"]);
export const BED_SIZE = variantBy("bed_size", "Bed size", ["single", "double", "queen", "king"], 0.15);
export const PILLOW_FIRMNESS = variantBy("firmness", "Firmness", ["soft", "medium", "firm"]);
export const COOKWARE_SIZE = variantBy("diameter", "Diameter", ["20 cm", "24 cm", "28 cm", "32 cm"], 0.15);
export const COFFEE_PACK = variantBy("pack_size", "Pack size", ["250 g", "500 g", "1 kg"], 0.8);
export const DUMBBELL_WEIGHT = variantBy("weight", "Weight", ["2 kg", "5 kg", "10 kg", "20 kg"], 0.7);
export const HELMET_SIZE = variantBy("helmet_size", "Helmet size", ["S", "M", "L"]);
export const BOOK_FORMAT = variantBy("format", "Format", ["paperback", "hardcover", "large print"], 0.4);
export const SEAT_COVER_FIT = variantBy("fit", "Fits", ["hatchback", "saloon", "SUV", "van"]);

// ---- describing ----
export const WARRANTY = numberOf("warranty", "Warranty", "months", [12, 12, 24, 24, 36]);
export const BATTERY_CAPACITY = numberOf("battery_capacity", "Battery capacity", "mAh", range(3000, 6000, 100));
export const REFRESH_RATE = numberOf("refresh_rate", "Refresh rate", "Hz", [60, 90, 120, 144, 165, 240]);
export const DUAL_SIM = booleanOf("dual_sim", "Dual SIM");
export const OPERATING_SYSTEM = enumOf("operating_system", "Operating system", ["Android", "HarmonyOS", "KaiOS"]);
export const CASE_MATERIAL = enumOf("material", "Material", ["silicone", "leather", "TPU", "aramid fibre", "recycled plastic"]);
export const COMPATIBLE_WITH = textOf("compatible_with", "Compatible with", [
  "iPhone 16",
  "iPhone 15 Pro",
  "Galaxy S24",
  "Galaxy A55",
  "Pixel 9",
  "Xiaomi 14",
  "Nothing Phone (2)",
]);
export const MAGNETIC = booleanOf("magnetic", "Magnetic (MagSafe / Qi2)");
export const CHARGE_POWER = numberOf("power", "Power", "W", [18, 20, 25, 30, 45, 65, 100, 140]);
export const CONNECTOR = enumOf("connector", "Connector", ["USB-C", "Lightning", "Micro-USB", "USB-A to USB-C"]);
export const LAPTOP_SCREEN = numberOf("screen_size", "Screen size", "in", [13, 14, 14, 15, 16, 16, 17]);
export const MONITOR_SCREEN = numberOf("screen_size", "Screen size", "in", [24, 24, 27, 27, 32, 34, 49]);
export const TV_SCREEN = numberOf("screen_size", "Screen size", "in", [32, 43, 50, 55, 55, 65, 65, 75, 85]);
export const RAM = numberOf("ram", "Memory (RAM)", "GB", [8, 16, 16, 32, 64]);
export const PROCESSOR = enumOf("processor", "Processor", ["Intel Core i5", "Intel Core i7", "AMD Ryzen 5", "AMD Ryzen 7", "Snapdragon X Elite", "Apple M3"]);
export const RESOLUTION = enumOf("resolution", "Resolution", ["Full HD", "QHD", "4K UHD", "5K", "8K"]);
export const PANEL = enumOf("panel", "Panel", ["IPS", "VA", "OLED", "Mini-LED"]);
export const WIRELESS = booleanOf("wireless", "Wireless");
export const SWITCHES = enumOf("switches", "Switches", ["membrane", "linear red", "tactile brown", "clicky blue", "optical"]);
export const NOISE_CANCELLING = booleanOf("noise_cancelling", "Active noise cancelling");
export const BATTERY_HOURS = numberOf("battery_life", "Battery life", "h", range(8, 60, 4));
export const BATTERY_DAYS = numberOf("battery_life", "Battery life", "days", [1, 2, 5, 7, 10, 14, 21]);
export const HEADPHONE_FORM = enumOf("form", "Form", ["over-ear", "on-ear", "in-ear", "open-ear"]);
export const SPEAKER_POWER = numberOf("power", "Output power", "W", [5, 10, 20, 30, 40, 60, 100, 200]);
export const WATER_RATING = enumOf("water_rating", "Water resistance", ["none", "IPX4", "IPX5", "IPX7", "IP67", "IP68"]);
export const SMART_TV = booleanOf("smart_tv", "Smart TV");
export const HDR = enumOf("hdr", "HDR", ["HDR10", "HDR10+", "Dolby Vision", "HLG"]);
export const BRIGHTNESS = numberOf("brightness", "Brightness", "lm", range(300, 4000, 100));
export const GPS = booleanOf("gps", "Built-in GPS");
export const HEART_RATE = booleanOf("heart_rate", "Heart-rate sensor");
export const FABRIC = enumOf("fabric", "Fabric", ["cotton", "organic cotton", "linen", "polyester", "viscose", "wool", "silk", "denim"], { searchable: true });
export const DRESS_LENGTH = enumOf("length", "Length", ["mini", "knee", "midi", "maxi"]);
export const SLEEVE = enumOf("sleeve", "Sleeve", ["sleeveless", "short", "three-quarter", "long"]);
export const JEANS_FIT = enumOf("fit", "Fit", ["skinny", "slim", "straight", "relaxed", "wide-leg"]);
export const TOP_FIT = enumOf("fit", "Fit", ["slim", "regular", "relaxed", "oversized"]);
export const COLLAR = enumOf("collar", "Collar", ["button-down", "spread", "mandarin", "cutaway"]);
export const WATERPROOF = booleanOf("waterproof", "Waterproof");
export const HOODED_ZIP = booleanOf("full_zip", "Full zip");
export const UPPER = enumOf("upper", "Upper", ["leather", "suede", "mesh", "canvas", "knit", "synthetic"]);
export const BAG_CAPACITY = numberOf("capacity", "Capacity", "L", [12, 15, 18, 20, 25, 30, 35, 40]);
export const LAPTOP_SLEEVE = booleanOf("laptop_compartment", "Laptop compartment");
export const LEATHER = enumOf("material", "Material", ["full-grain leather", "vegan leather", "canvas", "nylon", "straw"], { searchable: true });
export const POLARISED = booleanOf("polarised", "Polarised lenses");
export const WATCH_WATER = numberOf("water_resistance", "Water resistance", "m", [30, 50, 100, 200]);
export const MOVEMENT = enumOf("movement", "Movement", ["quartz", "automatic", "solar", "mechanical"]);
export const COOKWARE_MATERIAL = enumOf("material", "Material", ["stainless steel", "cast iron", "non-stick aluminium", "carbon steel", "copper"], {
  searchable: true,
});
export const INDUCTION = booleanOf("induction_ready", "Induction ready");
export const BLADE_LENGTH = numberOf("blade_length", "Blade length", "mm", [90, 120, 150, 180, 200, 210, 240]);
export const STEEL = enumOf("steel", "Steel", ["VG-10", "AUS-8", "X50CrMoV15", "Damascus", "SG2"]);
export const PIECES = numberOf("pieces", "Pieces", "pcs", [1, 2, 4, 6, 12, 16, 24]);
export const DISHWASHER_SAFE = booleanOf("dishwasher_safe", "Dishwasher safe");
export const ROAST = enumOf("roast", "Roast", ["light", "medium", "medium-dark", "dark"]);
export const ORIGIN = textOf("origin", "Origin", [
  "Ethiopia Yirgacheffe",
  "Colombia Huila",
  "Brazil Cerrado",
  "Kenya Nyeri",
  "Uji, Japan",
  "Yunnan, China",
  "Darjeeling, India",
]);
export const BULB = enumOf("bulb", "Bulb", ["E27", "E14", "GU10", "integrated LED"]);
export const WATTAGE = numberOf("wattage", "Wattage", "W", [4, 6, 8, 10, 12, 20, 40]);
export const SMART_HOME = booleanOf("smart", "Works with smart-home apps");
export const RUG_MATERIAL = enumOf("material", "Material", ["wool", "jute", "cotton", "polypropylene", "viscose"], { searchable: true });
export const FRAMED = booleanOf("framed", "Framed");
export const BURN_TIME = numberOf("burn_time", "Burn time", "h", [20, 30, 40, 45, 60, 80]);
export const THREAD_COUNT = numberOf("thread_count", "Thread count", "threads", [200, 300, 400, 600, 800]);
export const TOWEL_WEIGHT = numberOf("density", "Density", "g/m²", [450, 500, 550, 600, 700]);
export const CORDLESS = booleanOf("cordless", "Cordless");
export const PLANTER_DIAMETER = numberOf("diameter", "Diameter", "cm", [10, 12, 15, 20, 25, 30, 40]);
export const PLANTER_MATERIAL = enumOf("material", "Material", ["terracotta", "ceramic", "concrete", "recycled plastic", "rattan"]);
export const SKIN_TYPE = enumOf("skin_type", "Skin type", ["all", "dry", "oily", "combination", "sensitive"]);
export const SPF: AttributeSpec = { key: "spf", label: "SPF", type: "number", numbers: [15, 30, 30, 50, 50], filterable: true };
export const KEY_INGREDIENT = enumOf("key_ingredient", "Key ingredient", ["hyaluronic acid", "vitamin C", "niacinamide", "retinol", "ceramides", "centella"], {
  searchable: true,
});
export const FINISH = enumOf("finish", "Finish", ["matte", "satin", "gloss", "dewy"]);
export const COVERAGE = enumOf("coverage", "Coverage", ["sheer", "medium", "full"]);
export const HAIR_TYPE = enumOf("hair_type", "Hair type", ["all", "dry", "oily", "curly", "coloured", "fine"]);
export const DRYER_POWER = numberOf("power", "Power", "W", [1200, 1600, 1800, 2000, 2200, 2400]);
export const IONIC = booleanOf("ionic", "Ionic");
export const MAT_THICKNESS = numberOf("thickness", "Thickness", "mm", [3, 4, 5, 6, 8]);
export const MAT_MATERIAL = enumOf("material", "Material", ["TPE", "natural rubber", "PVC", "cork", "NBR foam"]);
export const ADJUSTABLE = booleanOf("adjustable", "Adjustable");
export const SLEEPS = numberOf("sleeps", "Sleeps", "people", [1, 2, 2, 3, 4, 6]);
export const SEASON = enumOf("season", "Season", ["2-season", "3-season", "4-season"]);
export const COMFORT_TEMP = numberOf("comfort_temperature", "Comfort temperature", "°C", [-10, -5, 0, 5, 10, 15]);
export const PACK_VOLUME = numberOf("capacity", "Capacity", "L", [20, 28, 35, 45, 55, 65]);
export const LUMENS = numberOf("brightness", "Brightness", "lm", [100, 200, 400, 800, 1200, 1600]);
export const RECHARGEABLE = booleanOf("rechargeable", "USB rechargeable");
export const MIPS = booleanOf("mips", "MIPS protection");
export const PIECE_COUNT = numberOf("pieces", "Pieces", "pcs", [150, 300, 500, 750, 1000, 1500, 2000, 3000]);
export const AGE_FROM = numberOf("age_from", "Age from", "years", [3, 4, 6, 8, 10, 12, 14, 18]);
export const RC_RANGE = numberOf("range", "Control range", "m", [30, 50, 80, 100, 150, 300]);
export const PAINT_COLOURS = numberOf("colours", "Colours", "colours", [12, 24, 36, 48, 72]);
export const PAINT_KIND = enumOf("medium", "Medium", ["acrylic", "watercolour", "gouache", "oil", "alcohol markers"]);
export const YARN_WEIGHT = enumOf("yarn_weight", "Yarn weight", ["lace", "fingering", "DK", "worsted", "aran", "chunky"]);
export const FIBRE = enumOf("fibre", "Fibre", ["merino", "alpaca", "cotton", "acrylic", "mohair blend"]);
export const BOOK_LANGUAGE = enumOf("language", "Language", ["English", "Spanish", "French", "German", "Portuguese", "Japanese", "Chinese", "Polish"]);
export const PAGES = numberOf("pages", "Pages", "pages", range(96, 720, 8), { filterable: false });
export const AUTHOR = textOf("author", "Author", [
  "Amelia Hart",
  "Tomás Aguilar",
  "Søren Lindqvist",
  "Ngozi Okafor",
  "Hélène Marchand",
  "Kenji Watanabe",
  "渡辺 美咲",
  "Zofia Wiśniewska",
  "Rafael Monteiro",
  "Priya Raman",
  "Jonah Whitfield",
  "李 晓明",
  "Émile Garnier",
  "Ingrid Solberg",
]);
export const DASHCAM_RESOLUTION = enumOf("resolution", "Recording resolution", ["1080p", "1440p", "4K"]);
export const NIGHT_VISION = booleanOf("night_vision", "Night vision");
export const CAR_CHARGER_PORTS = numberOf("ports", "Ports", "ports", [1, 2, 3, 4]);
export const KIT_PIECES = numberOf("pieces", "Pieces", "pcs", [3, 5, 8, 10, 12, 15]);
