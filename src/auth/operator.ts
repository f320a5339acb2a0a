// The deployment operator's principal: outside every jurisdiction, so outside the tenancy Scope.
//
// An operator's access token names the operator (`sub`) and says so (`acct: "operator"`, which the
// verifier passes on as `account`; see src/auth/signer.ts). Operator routes (`roles: "operator"` in defineRoute) get an OperatorScope
// instead of a Scope: the look-up is one statement over `operators`, active operators only, sent in
// the same batch as the route's own statements (one round trip, as for tenants). Tenant routes
// refuse an operator's token (403) and operator routes a tenant's (403), before any query.
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { ApiError } from "../http/problem";
import type { Subject } from "./jwt";

export type OperatorPrincipal = { id: string; email: string; name: string };

/** Whether a verified token is an operator's (only this API's own tokens can be). */
export function isOperatorSubject(subject: Subject): boolean {
  return subject.issuer === "local" && subject.account === "operator";
}

export class OperatorScope {
  readonly operatorId: string;
  private readonly who: (alias: string) => SQL;

  constructor(
    readonly db: Db,
    readonly subject: Subject,
  ) {
    this.operatorId = subject.sub;
    // As for users (src/auth/scope.ts): a token of a login session stands while it is not revoked.
    const sid = subject.sid;
    this.who = (a) =>
      sql`${sql.raw(a)}.id = ${subject.sub} and ${sql.raw(a)}.active = 1${
        sid
          ? sql` and exists (select 1 from auth_sessions os_ where os_.id = ${sid}
              and os_.account_id = ${sql.raw(a)}.id and os_.account_kind = 'operator' and os_.revoked_at is null)`
          : sql``
      }`;
  }

  /** SQL true when the caller is an active operator: guards every write of an operator route. */
  isOperator(): SQL {
    return sql`exists (select 1 from operators op_ where ${this.who("op_")})`;
  }

  private lookup() {
    return this.db.all<{ p: string }>(
      sql`select json_object('id', o_.id, 'email', o_.email, 'name', o_.name) as p
        from operators o_ where ${this.who("o_")}`,
    );
  }

  /**
   * Runs the route's statements in one batch with the look-up (alone when there are none); an
   * unknown or disabled operator is 401 whatever the statements did (they are guarded by
   * `isOperator()`, so they did nothing).
   */
  async run<const T extends readonly BatchItem<"sqlite">[]>(
    queries: T,
  ): Promise<{ operator: OperatorPrincipal; results: BatchResponse<T> }> {
    let rows: { p: string }[];
    let results: BatchResponse<T>;
    if (queries.length === 0) {
      rows = await this.lookup();
      results = [] as unknown as BatchResponse<T>;
    } else {
      const [first, ...rest] = (await this.db.batch([this.lookup(), ...queries] as never)) as unknown as [
        { p: string }[],
        ...unknown[],
      ];
      rows = first;
      results = rest as BatchResponse<T>;
    }
    if (!rows[0])
      throw new ApiError(401, "unknown_operator", "The token's subject is not an active operator.", {
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    return { operator: JSON.parse(rows[0].p) as OperatorPrincipal, results };
  }
}
