// Exchanges (ADR 0012): referral notices, periodic reports and petition-risk alerts share one table,
// one guarded transition (a timeline row in subject_events, the change, the outbox — one batch), one
// creation with Idempotency-Key, one list and one detail read. A kind is an entry of EXCHANGE_DEFS.
// (Foundation stub: the core is built here.)
export {};
