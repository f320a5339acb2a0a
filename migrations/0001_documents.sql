CREATE TABLE `calendar_days` (
	`day` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`name` text,
	`wd_idx` integer DEFAULT 0 NOT NULL,
	`wd_idx_strict` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `calendar_days_idx` ON `calendar_days` (`wd_idx`);--> statement-breakpoint
CREATE INDEX `calendar_days_idx_strict` ON `calendar_days` (`wd_idx_strict`);--> statement-breakpoint
CREATE TABLE `calendar_years` (
	`year` integer PRIMARY KEY NOT NULL,
	`source` text NOT NULL,
	`loaded_at` text NOT NULL,
	`loaded_by` text
);
--> statement-breakpoint
CREATE TABLE `committee_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`document_id` text NOT NULL,
	`session_at` text NOT NULL,
	`place` text NOT NULL,
	`invited_by` text NOT NULL,
	`invited_at` text NOT NULL,
	`response` text,
	`delegate_name` text,
	`response_note` text,
	`responded_by` text,
	`responded_at` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `committee_sessions_doc_ix` ON `committee_sessions` (`document_id`);--> statement-breakpoint
CREATE TABLE `deadline_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text,
	`type` text NOT NULL,
	`version` integer NOT NULL,
	`period_days` integer,
	`period_months` integer,
	`sender_sets` integer DEFAULT false NOT NULL,
	`max_days` integer,
	`max_months` integer,
	`extension_days` integer,
	`extension_months` integer,
	`on_missed` text,
	`source` text NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `deadline_rules_lookup_ix` ON `deadline_rules` (`type`,`jurisdiction_id`,`version`);--> statement-breakpoint
CREATE TABLE `document_events` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`document_id` text NOT NULL,
	`at` text NOT NULL,
	`actor_id` text,
	`type` text NOT NULL,
	`note` text,
	`before` text,
	`after` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `document_events_doc_ix` ON `document_events` (`document_id`,`at`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`sender_org_id` text NOT NULL,
	`recipient_org_id` text NOT NULL,
	`receiving_department_id` text NOT NULL,
	`handling_department_id` text,
	`handler_id` text,
	`doc_number` text NOT NULL,
	`case_numbers` text NOT NULL,
	`case_category` text NOT NULL,
	`area` text,
	`title` text NOT NULL,
	`summary` text,
	`requested_actions` text,
	`attachments` text NOT NULL,
	`rule_id` text NOT NULL,
	`rule_version` integer NOT NULL,
	`period_days` integer,
	`period_months` integer,
	`sent_on` text NOT NULL,
	`received_on` text,
	`received_by` text,
	`due_on` text,
	`deadline_version` integer DEFAULT 0 NOT NULL,
	`calendar_complete` integer,
	`replied_on` text,
	`reply_content` text,
	`reply_decision` text,
	`retrial_ruled` integer,
	`reply_late` integer,
	`replied_by` text,
	`ack_result` text,
	`ack_reason` text,
	`acked_by` text,
	`followup_org_id` text,
	`last_urged_at` text,
	`created_by` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sender_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recipient_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`receiving_department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`handling_department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`handler_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`rule_id`) REFERENCES `deadline_rules`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `documents_idempotency_uq` ON `documents` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `documents_inbox_due_ix` ON `documents` (`recipient_org_id`,coalesce(`due_on`, '9999-12-31'),`id`);--> statement-breakpoint
CREATE INDEX `documents_outbox_due_ix` ON `documents` (`sender_org_id`,coalesce(`due_on`, '9999-12-31'),`id`);--> statement-breakpoint
CREATE INDEX `documents_inbox_updated_ix` ON `documents` (`recipient_org_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `documents_outbox_updated_ix` ON `documents` (`sender_org_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `documents_open_due_ix` ON `documents` (`status`,`due_on`);--> statement-breakpoint
CREATE INDEX `documents_followup_ix` ON `documents` (`followup_org_id`);--> statement-breakpoint
CREATE TABLE `extension_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`document_id` text NOT NULL,
	`deadline_version` integer NOT NULL,
	`period_days` integer,
	`period_months` integer,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`requested_by` text NOT NULL,
	`requested_at` text NOT NULL,
	`decided_by` text,
	`decided_at` text,
	`decision_note` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `extension_requests_doc_ix` ON `extension_requests` (`document_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `extension_requests_one_pending_uq` ON `extension_requests` (`document_id`) WHERE status = 'pending';--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`user_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`text_zh` text NOT NULL,
	`text_en` text NOT NULL,
	`urgent` integer DEFAULT false NOT NULL,
	`dedupe_key` text NOT NULL,
	`created_at` text NOT NULL,
	`read_at` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_dedupe_uq` ON `notifications` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `notifications_user_ix` ON `notifications` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `receiving_routes` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`org_id` text NOT NULL,
	`type` text NOT NULL,
	`department_id` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`department_id`) REFERENCES `departments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `receiving_routes_uq` ON `receiving_routes` (`org_id`,`type`);