ALTER TABLE `payment` ADD `next_action_url` text;--> statement-breakpoint
ALTER TABLE `payment` ADD `provider_updated_at` integer;