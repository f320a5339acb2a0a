CREATE TABLE `case_access_log` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`owner_org_id` text NOT NULL,
	`case_record_id` text NOT NULL,
	`grant_id` text,
	`actor_id` text NOT NULL,
	`actor_org_id` text NOT NULL,
	`action` text NOT NULL,
	`purpose` text,
	`query` text,
	`at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `case_access_log_owner_ix` ON `case_access_log` (`owner_org_id`,`at`);--> statement-breakpoint
CREATE INDEX `case_access_log_record_ix` ON `case_access_log` (`case_record_id`,`at`);--> statement-breakpoint
CREATE TABLE `case_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`owner_org_id` text NOT NULL,
	`grantee_org_id` text NOT NULL,
	`case_record_id` text,
	`rule` text,
	`status` text NOT NULL,
	`note` text,
	`granted_by` text NOT NULL,
	`revoked_by` text,
	`revoked_at` text,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`grantee_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`case_record_id`) REFERENCES `case_records`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `case_grants_record_ix` ON `case_grants` (`case_record_id`,`status`);--> statement-breakpoint
CREATE INDEX `case_grants_grantee_ix` ON `case_grants` (`grantee_org_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `case_grants_idempotency_uq` ON `case_grants` (`granted_by`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `case_records` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`owner_org_id` text NOT NULL,
	`case_number` text NOT NULL,
	`case_key` text NOT NULL,
	`court_name` text NOT NULL,
	`case_type` text NOT NULL,
	`area` text,
	`stage` text NOT NULL,
	`parties` text NOT NULL,
	`party_keys` text NOT NULL,
	`key_dates` text NOT NULL,
	`summary` text,
	`charge_prosecuted` text,
	`charge_judged` text,
	`material` text DEFAULT '[]' NOT NULL,
	`source` text NOT NULL,
	`import_id` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `case_records_number_uq` ON `case_records` (`owner_org_id`,`case_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `case_records_idempotency_uq` ON `case_records` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `case_records_key_ix` ON `case_records` (`case_key`);--> statement-breakpoint
CREATE INDEX `case_records_sync_ix` ON `case_records` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `case_records_stats_ix` ON `case_records` (`jurisdiction_id`,`case_type`,`created_at`);--> statement-breakpoint
CREATE TABLE `two_heads_hearings` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`nominated_by_org_id` text NOT NULL,
	`status` text NOT NULL,
	`case_number` text NOT NULL,
	`case_title` text NOT NULL,
	`reason` text NOT NULL,
	`document_id` text,
	`case_record_id` text,
	`year` integer NOT NULL,
	`hearing_at` text,
	`place` text,
	`outcome` text,
	`outcome_on` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`nominated_by_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `two_heads_hearings_idempotency_uq` ON `two_heads_hearings` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `two_heads_hearings_year_ix` ON `two_heads_hearings` (`jurisdiction_id`,`year`);--> statement-breakpoint
CREATE INDEX `two_heads_hearings_sync_ix` ON `two_heads_hearings` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE TABLE `typical_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`drafted_by_org_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`case_numbers` text NOT NULL,
	`facts` text NOT NULL,
	`reasoning` text NOT NULL,
	`significance` text NOT NULL,
	`tags` text NOT NULL,
	`anonymisation` text NOT NULL,
	`published_at` text,
	`withdrawn_at` text,
	`withdraw_reason` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`drafted_by_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `typical_cases_idempotency_uq` ON `typical_cases` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `typical_cases_public_ix` ON `typical_cases` (`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `typical_cases_sync_ix` ON `typical_cases` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
ALTER TABLE `documents` ADD `retrial_result` text;--> statement-breakpoint
ALTER TABLE `documents` ADD `retrial_result_on` text;--> statement-breakpoint
-- The access audit is append-only: no row is ever changed or removed.
CREATE TRIGGER `case_access_log_no_update` BEFORE UPDATE ON `case_access_log`
BEGIN SELECT RAISE(ABORT, 'case_access_log is append-only'); END;--> statement-breakpoint
CREATE TRIGGER `case_access_log_no_delete` BEFORE DELETE ON `case_access_log`
BEGIN SELECT RAISE(ABORT, 'case_access_log is append-only'); END;
