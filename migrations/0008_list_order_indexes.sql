CREATE INDEX `documents_inbox_created_ix` ON `documents` (`recipient_org_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `documents_outbox_created_ix` ON `documents` (`sender_org_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `documents_followup_due_ix` ON `documents` (`followup_org_id`,coalesce(`due_on`, '9999-12-31'),`id`) WHERE followup_org_id is not null;--> statement-breakpoint
CREATE INDEX `documents_followup_created_ix` ON `documents` (`followup_org_id`,`created_at`,`id`) WHERE followup_org_id is not null;--> statement-breakpoint
CREATE INDEX `documents_followup_updated_ix` ON `documents` (`followup_org_id`,`updated_at`,`id`) WHERE followup_org_id is not null;