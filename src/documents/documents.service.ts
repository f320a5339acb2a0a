// Supervision documents: creation with idempotency, and every state change as one guarded batch.
import { sha256 } from "../http/api";
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Principal, Scope } from "../auth/scope";
import { chinaDate } from "../calendar/calendar.engine";
import type { Deps } from "../http/api";
import { ApiError, conflict, forbidden } from "../http/problem";
import { docSender, DOC_STATUSES, type DocStatus, type DocType } from "../vocab";
import { outboxFromDocumentEvents } from "../webhooks/outbox";
import {
  docs,
  getDocument,
  getDocumentByKey,
  insertDocument,
  transition,
  type DocRow,
  type TransitionSpec,
} from "./documents.queries";

const ORDER: DocStatus[] = ["sent", "received", "assigned", "replied", "acknowledged"];

export const invalid = (path: string, message: string, code = "invalid") =>
  new ApiError(400, "validation_failed", "The request has invalid fields.", {
    errors: [{ in: "json", path, message, code }],
  });

/** Why a state change did not apply, in the order a person would want to know it. */
function refusal(doc: DocRow, p: Principal, spec: ActionSpec, probe: Probe): ApiError {
  const mine = spec.party === "sender" ? doc.senderId : doc.recipientId;
  if (mine !== p.orgId)
    return forbidden(
      spec.party === "sender"
        ? "Only the sending organisation may do this."
        : "Only the receiving organisation may do this.",
    );
  if (!spec.from.includes(doc.status)) {
    const needed = spec.from.map((s) => DOC_STATUSES.label(s).en.toLowerCase()).join(" or ");
    const detail =
      `The document is ${DOC_STATUSES.label(doc.status).en.toLowerCase()}; ` + `this needs it ${needed}.`;
    if (doc.status === "withdrawn") return conflict("document_withdrawn", detail);
    const rank = ORDER.indexOf(doc.status);
    const max = Math.max(...spec.from.map((s) => ORDER.indexOf(s)));
    return conflict(rank > max ? `already_${doc.status}` : `not_yet_${spec.from[0]}`, detail);
  }
  return (
    spec.refuse?.(doc, p, probe) ??
    conflict("concurrent_change", "The document changed while this request ran; reload it and retry.")
  );
}

export type ActionSpec = Omit<TransitionSpec, "docId" | "eventId" | "now"> & {
  /** Further statements that take effect only when the change applies. */
  effects?: (applied: SQL, ids: { eventId: string; now: string }) => BatchItem<"sqlite">[];
  /** Explains a refusal not due to party or status (the `when` conditions). */
  refuse?: (doc: DocRow, p: Principal, probe: Probe) => ApiError | undefined;
  /**
   * A read in the same batch, after the change, whose first row `refuse` gets: the facts a refusal
   * depends on beyond the document (is the handler in that department?). Only explains; the `when`
   * conditions decide.
   */
  probe?: SQL;
};

export type Probe = Record<string, unknown> | undefined;

/** Runs one state change of a document in a single round trip and returns the document after it. */
export async function act(deps: Deps, scope: Scope, docId: string, spec: ActionSpec): Promise<DocRow> {
  const eventId = deps.ids();
  const now = deps.clock.now().toISOString();
  const t = transition(scope, { ...spec, docId, eventId, now });
  const effects = spec.effects?.(t.applied, { eventId, now }) ?? [];
  const check = scope.db.all<{ ok: number }>(sql`select ${t.applied} as ok`);
  const probe = spec.probe ? [scope.db.all<Record<string, unknown>>(spec.probe)] : [];
  const at = t.statements.length + effects.length; // where the document's read is in the batch
  const { principal, results } = await scope.run(
    [...t.statements, ...effects, getDocument(scope, docId), check, ...probe] as const,
    (r) => (r[at] as { j: string }[])[0],
  );
  const doc = docs(results[at] as { j: string }[])[0]!;
  if (!(results[at + 1] as { ok: number }[])[0]?.ok)
    throw refusal(doc, principal, spec, (results[at + 2] as Record<string, unknown>[] | undefined)?.[0]);
  return doc;
}

export type NewDocumentInput = Parameters<typeof insertDocument>[1]["input"];

/**
 * Creates a document addressed to the counterpart institution. The Idempotency-Key makes a retry
 * return the document the first attempt created (200), never a second one.
 */
export async function createDocument(deps: Deps, scope: Scope, key: string, input: NewDocumentInput) {
  const now = deps.clock.now();
  const id = deps.ids();
  const hash = await sha256(JSON.stringify(input));
  const eventId = deps.ids();
  const q = insertDocument(scope, {
    id,
    eventId,
    key,
    hash,
    now: now.toISOString(),
    today: chinaDate(now),
    senderKind: docSender(input.type),
    input,
  });
  const outbox = outboxFromDocumentEvents(scope.db, sql`ev.id = ${eventId}`);
  const { principal, results } = await scope.run([
    q.insert,
    q.event,
    q.caseKeys,
    getDocumentByKey(scope, key),
    q.rule,
    outbox,
  ]);
  const [, , , byKey, [rule]] = results;
  const [doc] = docs(byKey);
  if (doc) {
    if (doc.id === id) return { doc, created: true };
    if (doc.requestHash !== hash)
      throw conflict(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different document; use a new key for a new document.",
      );
    return { doc, created: false };
  }
  if (principal.orgKind !== docSender(input.type))
    throw new ApiError(
      422,
      "wrong_direction",
      `A ${principal.orgKind} cannot send a document of type ${input.type}.`,
    );
  const given = input.periodDays !== undefined || input.periodMonths !== undefined;
  if (given && !rule?.senderSets)
    throw invalid(
      input.periodDays !== undefined ? "periodDays" : "periodMonths",
      "the period of this type is set by law, not by the sender",
      "not_sender_set",
    );
  if (given && rule) {
    const over =
      input.periodDays !== undefined
        ? rule.maxDays == null || input.periodDays > rule.maxDays
        : rule.maxMonths == null || input.periodMonths! > rule.maxMonths;
    if (over)
      throw invalid(
        input.periodDays !== undefined ? "periodDays" : "periodMonths",
        `at most ${rule.maxDays} days or ${rule.maxMonths} months for this type`,
        "too_big",
      );
  }
  throw new ApiError(
    422,
    "no_receiving_department",
    "The counterpart has no receiving department configured for this type.",
  );
}

export const isOpen = (status: DocStatus) => status === "received" || status === "assigned";
export const today = (deps: Deps) => chinaDate(deps.clock.now());
export type { DocType };
