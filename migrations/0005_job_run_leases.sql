ALTER TABLE `job_runs` ADD `lease_until` text;--> statement-breakpoint
ALTER TABLE `job_runs` ADD `attempts` integer DEFAULT 1 NOT NULL;