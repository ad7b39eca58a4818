CREATE TABLE `cart` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`guest_token_hash` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "cart_has_owner" CHECK(("cart"."user_id" IS NULL) <> ("cart"."guest_token_hash" IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cart_user_idx` ON `cart` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `cart_guest_token_idx` ON `cart` (`guest_token_hash`);--> statement-breakpoint
CREATE INDEX `cart_updated_idx` ON `cart` (`updated_at`);--> statement-breakpoint
CREATE TABLE `cart_line` (
	`cart_id` text NOT NULL,
	`variant_id` text NOT NULL,
	`quantity` integer NOT NULL,
	`seen_price_minor` integer NOT NULL,
	`seen_currency` text NOT NULL,
	`added_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`cart_id`, `variant_id`),
	FOREIGN KEY (`cart_id`) REFERENCES `cart`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "cart_line_quantity_positive" CHECK("cart_line"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE `wishlist_item` (
	`user_id` text NOT NULL,
	`variant_id` text NOT NULL,
	`product_id` text NOT NULL,
	`notified_price_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`notified_in_stock` integer NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `variant_id`)
);
--> statement-breakpoint
CREATE INDEX `wishlist_item_variant_idx` ON `wishlist_item` (`variant_id`);--> statement-breakpoint
CREATE INDEX `wishlist_item_user_added_idx` ON `wishlist_item` (`user_id`,`added_at`);--> statement-breakpoint
CREATE TABLE `customer_order` (
	`id` text PRIMARY KEY NOT NULL,
	`buyer_id` text NOT NULL,
	`status` text NOT NULL,
	`currency` text NOT NULL,
	`items_minor` integer NOT NULL,
	`shipping_minor` integer NOT NULL,
	`total_minor` integer NOT NULL,
	`wallet_minor` integer DEFAULT 0 NOT NULL,
	`payment_id` text,
	`payment_status` text,
	`next_action_url` text,
	`failure_reason` text,
	`shipping_address` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "customer_order_amounts" CHECK("customer_order"."items_minor" >= 0 AND "customer_order"."shipping_minor" >= 0 AND "customer_order"."total_minor" = "customer_order"."items_minor" + "customer_order"."shipping_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_order_key_idx` ON `customer_order` (`buyer_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `customer_order_buyer_idx` ON `customer_order` (`buyer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `customer_order_expiry_idx` ON `customer_order` (`expires_at`) WHERE status IN ('placing', 'awaiting_payment');--> statement-breakpoint
CREATE TABLE `order_event` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text,
	`type` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`actor` text NOT NULL,
	`actor_id` text,
	`note` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `order_event_order_idx` ON `order_event` (`order_id`,`at`);--> statement-breakpoint
CREATE TABLE `order_item` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`product_id` text NOT NULL,
	`variant_id` text NOT NULL,
	`category_id` text NOT NULL,
	`sku` text NOT NULL,
	`title` text NOT NULL,
	`options` text NOT NULL,
	`quantity` integer NOT NULL,
	`unit_price_minor` integer NOT NULL,
	`settlement_minor` integer NOT NULL,
	`charge_minor` integer NOT NULL,
	FOREIGN KEY (`sub_order_id`) REFERENCES `sub_order`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "order_item_quantity_positive" CHECK("order_item"."quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX `order_item_sub_order_idx` ON `order_item` (`sub_order_id`);--> statement-breakpoint
CREATE TABLE `sub_order` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`seller_id` text NOT NULL,
	`status` text NOT NULL,
	`items_minor` integer NOT NULL,
	`shipping_minor` integer NOT NULL,
	`total_minor` integer NOT NULL,
	`settlement_currency` text NOT NULL,
	`settlement_items_minor` integer NOT NULL,
	`settlement_shipping_minor` integer NOT NULL,
	`fx_rate_ppb` integer NOT NULL,
	`fx_as_of` integer NOT NULL,
	`shipping_rate_id` text,
	`carrier` text,
	`tracking_number` text,
	`shipped_at` integer,
	`delivered_at` integer,
	`return_window_ends_at` integer,
	`return_reason` text,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `customer_order`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sub_order_amounts" CHECK("sub_order"."total_minor" = "sub_order"."items_minor" + "sub_order"."shipping_minor" AND "sub_order"."refunded_minor" >= 0 AND "sub_order"."refunded_minor" <= "sub_order"."total_minor")
);
--> statement-breakpoint
CREATE INDEX `sub_order_order_idx` ON `sub_order` (`order_id`);--> statement-breakpoint
CREATE INDEX `sub_order_seller_idx` ON `sub_order` (`seller_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sub_order_seller_status_idx` ON `sub_order` (`seller_id`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `shipping_rate` (
	`id` text PRIMARY KEY NOT NULL,
	`seller_id` text NOT NULL,
	`name` text NOT NULL,
	`countries` text NOT NULL,
	`kind` text NOT NULL,
	`base_minor` integer NOT NULL,
	`per_kg_minor` integer DEFAULT 0 NOT NULL,
	`free_over_minor` integer,
	`currency` text NOT NULL,
	`min_days` integer NOT NULL,
	`max_days` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "shipping_rate_kind" CHECK("shipping_rate"."kind" IN ('flat', 'weight')),
	CONSTRAINT "shipping_rate_amounts" CHECK("shipping_rate"."base_minor" >= 0 AND "shipping_rate"."per_kg_minor" >= 0 AND "shipping_rate"."min_days" >= 0 AND "shipping_rate"."max_days" >= "shipping_rate"."min_days")
);
--> statement-breakpoint
CREATE INDEX `shipping_rate_seller_idx` ON `shipping_rate` (`seller_id`);