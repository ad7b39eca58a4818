CREATE TABLE `commission_rate` (
	`category_id` text PRIMARY KEY NOT NULL,
	`rate_bps` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "commission_rate_range" CHECK("commission_rate"."rate_bps" >= 0 AND "commission_rate"."rate_bps" <= 10000)
);
--> statement-breakpoint
CREATE TABLE `fraud_assessment` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`user_id` text NOT NULL,
	`score` integer NOT NULL,
	`decision` text NOT NULL,
	`reasons` text NOT NULL,
	`features` text NOT NULL,
	`model_version` text NOT NULL,
	`review_status` text,
	`reviewed_by` text,
	`reviewed_at` integer,
	`review_note` text,
	`card_fingerprint` text,
	`ip_address` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fraud_assessment_payment_id_unique` ON `fraud_assessment` (`payment_id`);--> statement-breakpoint
CREATE INDEX `fraud_assessment_review_idx` ON `fraud_assessment` (`review_status`,`created_at`);--> statement-breakpoint
CREATE INDEX `fraud_assessment_user_idx` ON `fraud_assessment` (`user_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `fraud_assessment_card_idx` ON `fraud_assessment` (`card_fingerprint`,`created_at`);--> statement-breakpoint
CREATE INDEX `fraud_assessment_ip_idx` ON `fraud_assessment` (`ip_address`,`created_at`);--> statement-breakpoint
CREATE TABLE `fx_rate` (
	`base` text NOT NULL,
	`quote` text NOT NULL,
	`rate_ppb` integer NOT NULL,
	`source` text NOT NULL,
	`as_of` integer NOT NULL,
	PRIMARY KEY(`base`, `quote`),
	CONSTRAINT "fx_rate_positive" CHECK("fx_rate"."rate_ppb" > 0)
);
--> statement-breakpoint
CREATE TABLE `ledger_account` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner_id` text NOT NULL,
	`currency` text NOT NULL,
	`balance_minor` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ledger_account_no_overdraft" CHECK("ledger_account"."kind" NOT IN ('buyer_wallet', 'seller_pending', 'seller_available') OR "ledger_account"."balance_minor" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_account_owner_idx` ON `ledger_account` (`owner_id`,`kind`,`currency`);--> statement-breakpoint
CREATE TABLE `ledger_entry` (
	`id` text PRIMARY KEY NOT NULL,
	`transaction_id` text NOT NULL,
	`account_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`transaction_id`) REFERENCES `ledger_transaction`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `ledger_account`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_entry_nonzero" CHECK("ledger_entry"."amount_minor" <> 0)
);
--> statement-breakpoint
CREATE INDEX `ledger_entry_account_idx` ON `ledger_entry` (`account_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_entry_transaction_idx` ON `ledger_entry` (`transaction_id`);--> statement-breakpoint
CREATE TABLE `ledger_transaction` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`reference` text,
	`idempotency_key` text,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transaction_idempotency_key_unique` ON `ledger_transaction` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `ledger_transaction_reference_idx` ON `ledger_transaction` (`reference`);--> statement-breakpoint
CREATE TABLE `payment` (
	`id` text PRIMARY KEY NOT NULL,
	`buyer_id` text NOT NULL,
	`purpose` text NOT NULL,
	`reference` text,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`wallet_minor` integer DEFAULT 0 NOT NULL,
	`provider` text NOT NULL,
	`provider_ref` text,
	`capture_mode` text DEFAULT 'automatic' NOT NULL,
	`status` text NOT NULL,
	`captured_minor` integer DEFAULT 0 NOT NULL,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`failure_reason` text,
	`idempotency_key` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "payment_amount_positive" CHECK("payment"."amount_minor" > 0),
	CONSTRAINT "payment_wallet_range" CHECK("payment"."wallet_minor" >= 0 AND "payment"."wallet_minor" <= "payment"."amount_minor"),
	CONSTRAINT "payment_captured_range" CHECK("payment"."captured_minor" >= 0 AND "payment"."captured_minor" <= "payment"."amount_minor"),
	CONSTRAINT "payment_refunded_range" CHECK("payment"."refunded_minor" >= 0 AND "payment"."refunded_minor" <= "payment"."captured_minor")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `payment_idempotency_idx` ON `payment` (`buyer_id`,`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `payment_provider_ref_idx` ON `payment` (`provider`,`provider_ref`);--> statement-breakpoint
CREATE INDEX `payment_buyer_idx` ON `payment` (`buyer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `provider_event` (
	`provider` text NOT NULL,
	`event_id` text NOT NULL,
	`type` text NOT NULL,
	`object_ref` text,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`payload` text NOT NULL,
	PRIMARY KEY(`provider`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `provider_event_object_idx` ON `provider_event` (`provider`,`object_ref`);--> statement-breakpoint
CREATE TABLE `refund` (
	`id` text PRIMARY KEY NOT NULL,
	`payment_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`destination` text NOT NULL,
	`status` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`reference` text,
	`provider_ref` text,
	`idempotency_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payment`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "refund_amount_positive" CHECK("refund"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refund_idempotency_key_unique` ON `refund` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `refund_payment_idx` ON `refund` (`payment_id`);--> statement-breakpoint
CREATE TABLE `settlement_hold` (
	`id` text PRIMARY KEY NOT NULL,
	`seller_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`reference` text NOT NULL,
	`available_at` integer NOT NULL,
	`released_at` integer,
	`created_at` integer NOT NULL,
	CONSTRAINT "settlement_hold_amount_positive" CHECK("settlement_hold"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE INDEX `settlement_hold_due_idx` ON `settlement_hold` (`available_at`) WHERE released_at IS NULL;