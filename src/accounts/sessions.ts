// Login sessions: opening one (a session row, its first refresh token, a signed access token), for
// the login route and for anything else that signs an account in (accepting an invitation).
//
// Use: build the statements, put them in YOUR OWN single db.batch after the statements that make
// the account (they may refer to rows inserted earlier in the same batch), then answer `response`
// once the batch has committed:
//
//   const s = await openSession(deps, { id, kind: "user", orgId }, now, { source });
//   const results = await deps.db.batch([...createAccount, ...s.statements, auditRow]);
//   return c.json(s.response, 200);
//
// `guard` (SQL, true by default) makes the session conditional: e.g. "the invitation was accepted
// by this very batch". `s.opened` is SQL true once the session row exists, for conditioning later
// statements of the batch (an audit row) on it. Without a private key `openSession` throws 503
// login_unavailable before anything is written.
import { sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { durationSeconds } from "../auth/signer";
import type { Deps } from "../http/api";
import { ApiError } from "../http/problem";

export type Account = { id: string; kind: "user" | "operator"; orgId: string | null };

/** The body of every answer that signs an account in (login, refresh, invitation acceptance). */
export type TokenResponse = {
  accessToken: string;
  tokenType: "Bearer";
  /** Seconds the access token lives. */
  expiresIn: number;
  refreshToken: string;
  /** When the session (and so every refresh token of it) ends: log in again after it. */
  refreshExpiresAt: string;
};

export function loginUnavailable() {
  return new ApiError(
    503,
    "login_unavailable",
    "Signing in is not configured on this deployment (no private signing key: JWT_PRIVATE_JWK).",
  );
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A new refresh token: 32 random bytes, base64url. Only its hash is stored. */
export function newRefreshToken(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** SHA-256 of a token (refresh or invitation), base64url: what the database keeps. */
export async function hashToken(token: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
}

/** Signs an access token for a session of `account` (no database access). */
export async function accessToken(deps: Deps, account: Pick<Account, "id" | "kind">, sessionId: string) {
  if (!deps.signer) throw loginUnavailable();
  return deps.signer.sign({
    sub: account.id,
    sid: sessionId,
    ...(account.kind === "operator" ? { acct: "operator" as const } : {}),
  });
}

/** The statements that open a session for `account`, and the answer to give once they commit. */
export async function openSession(
  deps: Deps,
  account: Account,
  now: Date,
  opts: { guard?: SQL } = {},
): Promise<{ sessionId: string; statements: BatchItem<"sqlite">[]; opened: SQL; response: TokenResponse }> {
  if (!deps.signer) throw loginUnavailable();
  const sessionId = deps.ids();
  const refreshToken = newRefreshToken();
  const at = now.toISOString();
  const expiresAt = new Date(
    now.getTime() + durationSeconds(deps.config.JWT_REFRESH_TTL) * 1000,
  ).toISOString();
  const [token, tokenHash] = await Promise.all([
    accessToken(deps, account, sessionId),
    hashToken(refreshToken),
  ]);
  const guard = opts.guard ?? sql`1`;
  const statements: BatchItem<"sqlite">[] = [
    deps.db.run(sql`insert into auth_sessions
        (id, account_id, account_kind, org_id, created_at, last_used_at, expires_at)
      select ${sessionId}, ${account.id}, ${account.kind}, ${account.orgId}, ${at}, ${at}, ${expiresAt}
      where ${guard}`),
    // The first refresh token of the family, only if the session was opened.
    deps.db.run(sql`insert into refresh_tokens (id, session_id, token_hash, created_at)
      select ${deps.ids()}, s_.id, ${tokenHash}, ${at} from auth_sessions s_ where s_.id = ${sessionId}`),
  ];
  return {
    sessionId,
    statements,
    opened: sql`exists (select 1 from auth_sessions so_ where so_.id = ${sessionId})`,
    response: {
      accessToken: token,
      tokenType: "Bearer",
      expiresIn: deps.signer.ttlSeconds,
      refreshToken,
      refreshExpiresAt: expiresAt,
    },
  };
}
