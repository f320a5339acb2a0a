CREATE TABLE `action_items` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`meeting_id` text NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`owner_org_id` text NOT NULL,
	`owner_department_id` text,
	`due_on` text NOT NULL,
	`deadline_version` integer DEFAULT 1 NOT NULL,
	`status` text NOT NULL,
	`done_at` text,
	`done_by` text,
	`done_note` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`owner_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `action_items_position_uq` ON `action_items` (`meeting_id`,`position`);--> statement-breakpoint
CREATE INDEX `action_items_open_ix` ON `action_items` (`status`,`due_on`);--> statement-breakpoint
CREATE INDEX `action_items_sync_ix` ON `action_items` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE TABLE `cosign_parties` (
	`cosign_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`org_id` text NOT NULL,
	`role` text NOT NULL,
	`position` integer NOT NULL,
	`decision` text,
	`user_id` text,
	`at` text,
	`reason` text,
	FOREIGN KEY (`cosign_id`) REFERENCES `cosignatures`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cosign_parties_pk` ON `cosign_parties` (`cosign_id`,`org_id`);--> statement-breakpoint
CREATE INDEX `cosign_parties_org_ix` ON `cosign_parties` (`org_id`,`decision`);--> statement-breakpoint
CREATE TABLE `cosignatures` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`round` integer NOT NULL,
	`status` text NOT NULL,
	`title` text NOT NULL,
	`content_hash` text,
	`created_by` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cosignatures_round_uq` ON `cosignatures` (`subject_type`,`subject_id`,`round`);--> statement-breakpoint
CREATE UNIQUE INDEX `cosignatures_open_uq` ON `cosignatures` (`subject_type`,`subject_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `cosignatures_updated_ix` ON `cosignatures` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE TABLE `feed_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`label` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `feed_tokens_hash_uq` ON `feed_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `feed_tokens_user_ix` ON `feed_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `meeting_minutes` (
	`meeting_id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`text` text NOT NULL,
	`measures` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`drafted_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `meeting_participants` (
	`id` text PRIMARY KEY NOT NULL,
	`meeting_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`kind` text NOT NULL,
	`user_id` text,
	`org_id` text NOT NULL,
	`observer_organization` text,
	`observer_name` text,
	`observer_title` text,
	`observer_contact` text,
	`rsvp` text DEFAULT 'pending' NOT NULL,
	`rsvp_note` text,
	`attended` integer,
	`invited_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `meeting_participants_meeting_ix` ON `meeting_participants` (`meeting_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `meeting_participants_user_uq` ON `meeting_participants` (`meeting_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `meeting_participants_user_ix` ON `meeting_participants` (`user_id`);--> statement-breakpoint
CREATE TABLE `meeting_topics` (
	`id` text PRIMARY KEY NOT NULL,
	`meeting_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`field` text NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`proposing_org_id` text NOT NULL,
	`proposing_department_id` text,
	`status` text NOT NULL,
	`decision_reason` text,
	`position` integer,
	`created_by` text NOT NULL,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`meeting_id`) REFERENCES `meetings`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `meeting_topics_meeting_ix` ON `meeting_topics` (`meeting_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `meeting_topics_idempotency_uq` ON `meeting_topics` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `meetings` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`kind` text NOT NULL,
	`series_id` text,
	`period` text,
	`host_org_id` text NOT NULL,
	`guest_org_id` text NOT NULL,
	`title` text NOT NULL,
	`subject_kind` text,
	`subject` text,
	`proposing_department_id` text,
	`status` text NOT NULL,
	`starts_at` text,
	`ends_at` text,
	`place` text,
	`online_url` text,
	`slot_status` text DEFAULT 'none' NOT NULL,
	`slot_by_org_id` text,
	`slot_version` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`host_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`guest_org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `meetings_period_uq` ON `meetings` (`series_id`,`period`);--> statement-breakpoint
CREATE UNIQUE INDEX `meetings_idempotency_uq` ON `meetings` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `meetings_sync_ix` ON `meetings` (`jurisdiction_id`,`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `meetings_starts_ix` ON `meetings` (`starts_at`);--> statement-breakpoint
CREATE TABLE `series` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`kind` text NOT NULL,
	`key` text DEFAULT '' NOT NULL,
	`cadence` text NOT NULL,
	`first_host` text NOT NULL,
	`alternate` integer DEFAULT true NOT NULL,
	`start_period` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`config` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_kind_uq` ON `series` (`jurisdiction_id`,`kind`,`key`);--> statement-breakpoint
CREATE TABLE `series_instances` (
	`id` text PRIMARY KEY NOT NULL,
	`series_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`period` text NOT NULL,
	`host` text NOT NULL,
	`status` text NOT NULL,
	`subject_id` text,
	`run_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`series_id`) REFERENCES `series`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_instances_period_uq` ON `series_instances` (`series_id`,`period`);--> statement-breakpoint
CREATE INDEX `series_instances_run_ix` ON `series_instances` (`run_id`);--> statement-breakpoint
CREATE TABLE `series_overrides` (
	`id` text PRIMARY KEY NOT NULL,
	`series_id` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`period` text NOT NULL,
	`action` text NOT NULL,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`created_by` text NOT NULL,
	`idempotency_key` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`series_id`) REFERENCES `series`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_overrides_live_uq` ON `series_overrides` (`series_id`,`period`) WHERE status in ('proposed', 'agreed');--> statement-breakpoint
CREATE UNIQUE INDEX `series_overrides_idempotency_uq` ON `series_overrides` (`created_by`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `subject_events` (
	`id` text PRIMARY KEY NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`at` text NOT NULL,
	`actor_id` text,
	`type` text NOT NULL,
	`note` text,
	`data` text,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `subject_events_subject_ix` ON `subject_events` (`subject_type`,`subject_id`,`at`);