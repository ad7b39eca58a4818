CREATE TABLE `payment_split` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`sub_order_id` text NOT NULL,
	`seller_id` text NOT NULL,
	`charge_minor` integer NOT NULL,
	`settlement_currency` text NOT NULL,
	`settlement_minor` integer NOT NULL,
	`commission_minor` integer NOT NULL,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`refunded_settlement_minor` integer DEFAULT 0 NOT NULL,
	`refunded_commission_minor` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payment`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payment_split_amounts" CHECK("payment_split"."charge_minor" > 0 AND "payment_split"."settlement_minor" > 0 AND "payment_split"."commission_minor" >= 0 AND "payment_split"."commission_minor" <= "payment_split"."settlement_minor"),
	CONSTRAINT "payment_split_refunded_range" CHECK("payment_split"."refunded_minor" >= 0 AND "payment_split"."refunded_minor" <= "payment_split"."charge_minor" AND "payment_split"."refunded_settlement_minor" >= 0 AND "payment_split"."refunded_settlement_minor" <= "payment_split"."settlement_minor" AND "payment_split"."refunded_commission_minor" >= 0 AND "payment_split"."refunded_commission_minor" <= "payment_split"."commission_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_split_sub_order_idx` ON `payment_split` (`payment_id`,`sub_order_id`);--> statement-breakpoint
CREATE INDEX `payment_split_seller_idx` ON `payment_split` (`seller_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `refund` ADD `wallet_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `refund` ADD `failure_reason` text;--> statement-breakpoint
ALTER TABLE `settlement_hold` ADD `reversed_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `settlement_hold_reference_idx` ON `settlement_hold` (`reference`);--> statement-breakpoint
CREATE INDEX `payment_open_idx` ON `payment` (`created_at`) WHERE status IN ('authorized', 'requires_action', 'processing');