CREATE TABLE `registrations` (
	`id` text PRIMARY KEY NOT NULL,
	`training_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`user_id` text NOT NULL,
	`org_id` text NOT NULL,
	`department_id` text,
	`status` text NOT NULL,
	`seq` integer NOT NULL,
	`answers` text DEFAULT '{}' NOT NULL,
	`registered_by` text NOT NULL,
	`offered_at` text,
	`offer_expires_at` text,
	`decided_by` text,
	`decision_note` text,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`training_id`) REFERENCES `trainings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_live_uq` ON `registrations` (`training_id`,`user_id`) WHERE status in ('pending', 'confirmed', 'waitlisted', 'offered');--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_seq_uq` ON `registrations` (`training_id`,`seq`);--> statement-breakpoint
CREATE INDEX `registrations_status_ix` ON `registrations` (`training_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `registrations_user_ix` ON `registrations` (`user_id`);--> statement-breakpoint
CREATE INDEX `registrations_offer_ix` ON `registrations` (`offer_expires_at`) WHERE status = 'offered';--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_idempotency_uq` ON `registrations` (`registered_by`,`idempotency_key`,`user_id`);--> statement-breakpoint
CREATE TABLE `research_members` (
	`id` text PRIMARY KEY NOT NULL,
	`topic_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`user_id` text NOT NULL,
	`org_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`topic_id`) REFERENCES `research_topics`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `research_members_uq` ON `research_members` (`topic_id`,`user_id`);--> statement-breakpoint
CREATE TABLE `research_milestones` (
	`id` text PRIMARY KEY NOT NULL,
	`topic_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`owner_org_id` text NOT NULL,
	`due_on` text NOT NULL,
	`deadline_version` integer DEFAULT 1 NOT NULL,
	`status` text NOT NULL,
	`done_at` text,
	`done_by` text,
	`done_note` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`topic_id`) REFERENCES `research_topics`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `research_milestones_position_uq` ON `research_milestones` (`topic_id`,`position`);--> statement-breakpoint
CREATE INDEX `research_milestones_open_ix` ON `research_milestones` (`status`,`due_on`);--> statement-breakpoint
CREATE TABLE `research_outputs` (
	`id` text PRIMARY KEY NOT NULL,
	`topic_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`title` text NOT NULL,
	`produced_on` text NOT NULL,
	`file` text,
	`created_by` text NOT NULL,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`topic_id`) REFERENCES `research_topics`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `research_outputs_topic_ix` ON `research_outputs` (`topic_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `research_outputs_idempotency_uq` ON `research_outputs` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `research_topics` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`lead_org_id` text NOT NULL,
	`partner_org_id` text NOT NULL,
	`status` text NOT NULL,
	`created_by` text NOT NULL,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lead_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`partner_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `research_topics_idempotency_uq` ON `research_topics` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `research_topics_sync_ix` ON `research_topics` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE TABLE `training_attendance` (
	`registration_id` text NOT NULL,
	`session_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`method` text NOT NULL,
	`checked_in_by` text NOT NULL,
	`checked_in_at` text NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`session_id`) REFERENCES `training_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `training_attendance_pk` ON `training_attendance` (`registration_id`,`session_id`);--> statement-breakpoint
CREATE TABLE `training_invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`training_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`org_id` text NOT NULL,
	`quota` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`training_id`) REFERENCES `trainings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `training_invitations_uq` ON `training_invitations` (`training_id`,`org_id`);--> statement-breakpoint
CREATE INDEX `training_invitations_org_ix` ON `training_invitations` (`org_id`);--> statement-breakpoint
CREATE TABLE `training_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`training_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`position` integer NOT NULL,
	`starts_at` text NOT NULL,
	`ends_at` text NOT NULL,
	`place` text,
	`online_url` text,
	`checkin_secret` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`training_id`) REFERENCES `trainings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `training_sessions_position_uq` ON `training_sessions` (`training_id`,`position`);--> statement-breakpoint
CREATE TABLE `trainings` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`kind` text NOT NULL,
	`organiser_org_id` text NOT NULL,
	`co_organiser_org_id` text,
	`title` text NOT NULL,
	`description` text,
	`hours_tenths` integer DEFAULT 0 NOT NULL,
	`capacity` integer,
	`status` text NOT NULL,
	`opens_at` text,
	`closes_at` text,
	`modify_until` text,
	`approval_required` integer DEFAULT false NOT NULL,
	`questions` text DEFAULT '[]' NOT NULL,
	`offer_hours` integer DEFAULT 48 NOT NULL,
	`series_id` text,
	`period` text,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`organiser_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `trainings_period_uq` ON `trainings` (`series_id`,`period`);--> statement-breakpoint
CREATE UNIQUE INDEX `trainings_idempotency_uq` ON `trainings` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `trainings_sync_ix` ON `trainings` (`jurisdiction_id`,`updated_at`,`id`);