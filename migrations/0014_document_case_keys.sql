CREATE TABLE `document_case_keys` (
	`document_id` text NOT NULL,
	`case_key` text NOT NULL,
	`jurisdiction_id` text NOT NULL,
	`sender_org_id` text NOT NULL,
	`recipient_org_id` text NOT NULL,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`jurisdiction_id`) REFERENCES `jurisdictions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `document_case_keys_uq` ON `document_case_keys` (`document_id`,`case_key`);--> statement-breakpoint
CREATE INDEX `document_case_keys_key_ix` ON `document_case_keys` (`case_key`,`sender_org_id`,`recipient_org_id`);
