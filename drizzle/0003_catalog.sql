CREATE TABLE `brand` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `brand_slug_unique` ON `brand` (`slug`);--> statement-breakpoint
CREATE TABLE `catalog_import` (
	`id` text PRIMARY KEY NOT NULL,
	`seller_id` text NOT NULL,
	`format` text NOT NULL,
	`source_key` text NOT NULL,
	`status` text NOT NULL,
	`rows_total` integer DEFAULT 0 NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`rows_failed` integer DEFAULT 0 NOT NULL,
	`report_key` text,
	`error` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `catalog_import_seller_idx` ON `catalog_import` (`seller_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `catalog_import_status_idx` ON `catalog_import` (`status`);--> statement-breakpoint
CREATE TABLE `category` (
	`id` text PRIMARY KEY NOT NULL,
	`parent_id` text,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`path` text NOT NULL,
	`depth` integer NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`commission_bps` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `category_slug_unique` ON `category` (`slug`);--> statement-breakpoint
CREATE INDEX `category_parent_idx` ON `category` (`parent_id`,`sort_order`);--> statement-breakpoint
CREATE INDEX `category_path_idx` ON `category` (`path`);--> statement-breakpoint
CREATE TABLE `category_attribute` (
	`id` text PRIMARY KEY NOT NULL,
	`category_id` text NOT NULL,
	`key` text NOT NULL,
	`label` text NOT NULL,
	`type` text NOT NULL,
	`unit` text,
	`options` text,
	`filterable` integer DEFAULT false NOT NULL,
	`searchable` integer DEFAULT false NOT NULL,
	`variant_defining` integer DEFAULT false NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`category_id`) REFERENCES `category`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `category_attribute_key_idx` ON `category_attribute` (`category_id`,`key`);--> statement-breakpoint
CREATE TABLE `product` (
	`id` text PRIMARY KEY NOT NULL,
	`seller_id` text NOT NULL,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`brand_id` text,
	`category_id` text NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`currency` text NOT NULL,
	`min_price_minor` integer,
	`max_price_minor` integer,
	`in_stock` integer DEFAULT false NOT NULL,
	`popularity` integer DEFAULT 0 NOT NULL,
	`rating_average_x100` integer,
	`rating_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`published_at` integer,
	FOREIGN KEY (`brand_id`) REFERENCES `brand`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`category_id`) REFERENCES `category`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `product_slug_unique` ON `product` (`slug`);--> statement-breakpoint
CREATE INDEX `product_seller_idx` ON `product` (`seller_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `product_category_idx` ON `product` (`category_id`,`status`);--> statement-breakpoint
CREATE INDEX `product_list_newest_idx` ON `product` (`status`,`published_at`,`id`);--> statement-breakpoint
CREATE INDEX `product_list_price_idx` ON `product` (`status`,`min_price_minor`,`id`);--> statement-breakpoint
CREATE INDEX `product_list_popular_idx` ON `product` (`status`,`popularity`,`id`);--> statement-breakpoint
CREATE INDEX `product_brand_idx` ON `product` (`brand_id`,`status`);--> statement-breakpoint
CREATE TABLE `product_attribute` (
	`product_id` text NOT NULL,
	`key` text NOT NULL,
	`value_text` text,
	`value_number` integer,
	PRIMARY KEY(`product_id`, `key`),
	FOREIGN KEY (`product_id`) REFERENCES `product`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `product_attribute_text_idx` ON `product_attribute` (`key`,`value_text`);--> statement-breakpoint
CREATE INDEX `product_attribute_number_idx` ON `product_attribute` (`key`,`value_number`);--> statement-breakpoint
CREATE TABLE `product_image` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`variant_id` text,
	`key` text NOT NULL,
	`content_type` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`alt` text DEFAULT '' NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `product`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`variant_id`) REFERENCES `variant`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `product_image_product_idx` ON `product_image` (`product_id`,`variant_id`,`position`);--> statement-breakpoint
CREATE TABLE `stock_adjustment` (
	`id` text PRIMARY KEY NOT NULL,
	`variant_id` text NOT NULL,
	`location_id` text NOT NULL,
	`delta` integer NOT NULL,
	`on_hand_after` integer NOT NULL,
	`reason` text NOT NULL,
	`note` text,
	`actor_id` text NOT NULL,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_adjustment_variant_idx` ON `stock_adjustment` (`variant_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `stock_level` (
	`variant_id` text NOT NULL,
	`location_id` text NOT NULL,
	`on_hand` integer DEFAULT 0 NOT NULL,
	`reserved` integer DEFAULT 0 NOT NULL,
	`low_stock_threshold` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`variant_id`, `location_id`),
	FOREIGN KEY (`variant_id`) REFERENCES `variant`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`location_id`) REFERENCES `stock_location`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "stock_level_on_hand_nonnegative" CHECK("stock_level"."on_hand" >= 0),
	CONSTRAINT "stock_level_reserved_range" CHECK("stock_level"."reserved" >= 0 AND "stock_level"."reserved" <= "stock_level"."on_hand")
);
--> statement-breakpoint
CREATE TABLE `stock_location` (
	`id` text PRIMARY KEY NOT NULL,
	`seller_id` text NOT NULL,
	`name` text NOT NULL,
	`country` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_location_seller_idx` ON `stock_location` (`seller_id`);--> statement-breakpoint
CREATE TABLE `stock_reservation` (
	`id` text PRIMARY KEY NOT NULL,
	`variant_id` text NOT NULL,
	`location_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`holder` text NOT NULL,
	`status` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "stock_reservation_quantity_positive" CHECK("stock_reservation"."quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX `stock_reservation_expiry_idx` ON `stock_reservation` (`expires_at`) WHERE status = 'held';--> statement-breakpoint
CREATE INDEX `stock_reservation_holder_idx` ON `stock_reservation` (`holder`);--> statement-breakpoint
CREATE TABLE `variant` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`seller_id` text NOT NULL,
	`sku` text NOT NULL,
	`options` text NOT NULL,
	`price_minor` integer NOT NULL,
	`compare_at_minor` integer,
	`currency` text NOT NULL,
	`weight_grams` integer,
	`length_mm` integer,
	`width_mm` integer,
	`height_mm` integer,
	`barcode` text,
	`position` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `product`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "variant_price_nonnegative" CHECK("variant"."price_minor" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `variant_seller_sku_idx` ON `variant` (`seller_id`,`sku`);--> statement-breakpoint
CREATE INDEX `variant_product_idx` ON `variant` (`product_id`,`position`);