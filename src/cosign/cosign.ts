// The co-signature mechanism (会签) — CONTRACT STUB, implemented by the cosign work (ADR 0008).
// Other modules code against these signatures; the implementation fills in the bodies.
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import type { CosignSubject, Role } from "../vocab";

type V = string | SQL;

/** What a subject type's hooks get when a round of its co-signature ends in a request. */
export type CosignContext = {
  /** The round's id (a bound value). */
  cosignId: string;
  /** SQL: the round's subject id (reads `cosignatures.subject_id` of the round). */
  subjectId: SQL;
  /** SQL: the acting user's id. */
  actorId: SQL;
  now: string;
  /** SQL true exactly when THIS request completed the round (its last signature, or a refusal). */
  done: SQL;
  /** Fresh ids for rows the hook writes (events …). */
  ids: () => string;
};

/** A subject type's effects, run in the same batch as the signature that ends a round. */
export type CosignHooks = {
  /** Every party signed: the subject takes effect (e.g. minutes → action items). Guard with ctx.done. */
  onSigned: (db: Db, ctx: CosignContext) => BatchItem<"sqlite">[];
  /** A party refused: the subject goes back (e.g. special meeting → rejected). Guard with ctx.done. */
  onRefused: (db: Db, ctx: CosignContext) => BatchItem<"sqlite">[];
};

/**
 * openCosign: the statements that open a new round over a subject, to put in the caller's batch.
 * The round is created only when `when` holds and the subject has no open or signed round; one row
 * per party (org + the role its signer must hold), undecided.
 */
export function openCosign(
  _db: Db,
  _o: {
    id: string;
    jurisdictionId: V;
    subjectType: CosignSubject;
    subjectId: V;
    title: V;
    contentHash: V | null;
    parties: { orgId: V; role: Role }[];
    actorId: V;
    now: string;
    when: SQL;
  },
): BatchItem<"sqlite">[] {
  return [];
}

/** SQL true when the subject has a fully signed round: it is locked, every edit must be refused. */
export const cosignSigned = (_subjectType: CosignSubject, _subjectId: V): SQL => sql`0`;

/** SQL true when the subject has an open round (edits wait for its outcome). */
export const cosignOpen = (_subjectType: CosignSubject, _subjectId: V): SQL => sql`0`;

/**
 * SQL: the subject's latest round as a JSON object (null when none) — `{ id, round, status, title,
 * createdAt, completedAt, parties: [{ orgId, orgName, orgKind, role, decision, signer: {id,name}|null,
 * at, reason }] }` — for embedding in the subject's own read (wrap with json()).
 */
export const cosignJson = (_subjectType: CosignSubject, _subjectId: V): SQL => sql`null`;
