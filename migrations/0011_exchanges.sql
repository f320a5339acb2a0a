CREATE TABLE `exchange_notes` (
	`id` text PRIMARY KEY NOT NULL,
	`exchange_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`org_id` text NOT NULL,
	`author_id` text NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`data` text,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`exchange_id`) REFERENCES `exchanges`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `exchange_notes_exchange_ix` ON `exchange_notes` (`exchange_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `exchange_notes_idempotency_uq` ON `exchange_notes` (`author_id`,`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `exchange_notes_assessment_uq` ON `exchange_notes` (`exchange_id`,`org_id`) WHERE kind = 'assessment';--> statement-breakpoint
CREATE TABLE `exchanges` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`kind` text NOT NULL,
	`subkind` text NOT NULL,
	`sender_org_id` text NOT NULL,
	`recipient_org_id` text NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`case_numbers` text DEFAULT '[]' NOT NULL,
	`document_id` text,
	`body` text DEFAULT '{}' NOT NULL,
	`attachments` text DEFAULT '[]' NOT NULL,
	`outcome` text,
	`due_on` text,
	`due_at` text,
	`deadline_version` integer DEFAULT 1 NOT NULL,
	`series_id` text,
	`period` text,
	`plan` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sender_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recipient_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `exchanges_idempotency_uq` ON `exchanges` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `exchanges_period_uq` ON `exchanges` (`series_id`,`period`,`sender_org_id`);--> statement-breakpoint
CREATE INDEX `exchanges_sender_ix` ON `exchanges` (`sender_org_id`,`kind`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `exchanges_recipient_ix` ON `exchanges` (`recipient_org_id`,`kind`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `exchanges_pair_ix` ON `exchanges` (`jurisdiction_id`,`kind`,`created_at`);--> statement-breakpoint
CREATE INDEX `exchanges_open_ix` ON `exchanges` (`kind`,`status`,`due_on`);--> statement-breakpoint
CREATE INDEX `exchanges_document_ix` ON `exchanges` (`document_id`);--> statement-breakpoint
CREATE TABLE `mediation_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`mediation_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`held_on` text NOT NULL,
	`place` text NOT NULL,
	`attendees` text DEFAULT '[]' NOT NULL,
	`note` text,
	`created_by` text NOT NULL,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`mediation_id`) REFERENCES `mediations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mediation_sessions_mediation_ix` ON `mediation_sessions` (`mediation_id`,`held_on`);--> statement-breakpoint
CREATE UNIQUE INDEX `mediation_sessions_idempotency_uq` ON `mediation_sessions` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `mediations` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`document_id` text NOT NULL,
	`opened_by_org_id` text NOT NULL,
	`status` text NOT NULL,
	`participants` text DEFAULT '[]' NOT NULL,
	`outcome` text,
	`outcome_on` text,
	`outcome_note` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`opened_by_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mediations_document_uq` ON `mediations` (`document_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `mediations_idempotency_uq` ON `mediations` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `mediations_sync_ix` ON `mediations` (`jurisdiction_id`,`updated_at`,`id`);