CREATE TABLE `security_log` (
	`event_id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`session_id` text,
	`detail` text,
	`occurred_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `security_log_user_idx` ON `security_log` (`user_id`,`occurred_at`);