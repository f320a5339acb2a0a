ALTER TABLE `jurisdictions` ADD `created_by` text;--> statement-breakpoint
ALTER TABLE `jurisdictions` ADD `idempotency_key` text;--> statement-breakpoint
ALTER TABLE `jurisdictions` ADD `request_hash` text;--> statement-breakpoint
CREATE UNIQUE INDEX `jurisdictions_idempotency_uq` ON `jurisdictions` (`created_by`,`idempotency_key`);