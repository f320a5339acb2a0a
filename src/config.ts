// Configuration parsed once at the boundary from Worker bindings or process.env, never read elsewhere.
import { z } from "zod";

const jwkSet = z.string().transform((s, ctx) => {
  try {
    const v = JSON.parse(s);
    if (Array.isArray(v?.keys) && v.keys.length > 0) return v as { keys: Record<string, unknown>[] };
  } catch {}
  ctx.addIssue({ code: "custom", message: "must be a JSON Web Key Set with at least one key" });
  return z.NEVER;
});

const privateJwk = z.string().transform((s, ctx) => {
  try {
    const v = JSON.parse(s);
    if (typeof v?.d === "string" && typeof v?.kty === "string") return v as Record<string, unknown>;
  } catch {}
  ctx.addIssue({ code: "custom", message: "must be a private JSON Web Key (with d)" });
  return z.NEVER;
});

// At most one space between number and unit: jose (which reads JWT_MAX_AGE) rejects anything looser.
const duration = z.string().regex(/^\d+ ?[smhd]$/, "a duration such as 15m, 12h or 1d");

export const configSchema = z.object({
  LIBSQL_URL: z.string().regex(/^(libsql|https?|wss?|file):/, "a libsql:, http(s): or file: URL"),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  JWT_JWKS: jwkSet.optional(),
  JWT_ISSUER: z.string().min(1).default("fajian-xietong"),
  JWT_AUDIENCE: z.string().min(1).default("fajian-xietong-api"),
  JWT_MAX_AGE: duration.default("12h"),
  /** The private JWK that signs access tokens at login (one of JWT_JWKS's keys); none: login is 503. */
  JWT_PRIVATE_JWK: privateJwk.optional(),
  /** Lifetime of an access token issued at login or refresh. */
  JWT_ACCESS_TTL: duration.default("15m"),
  /** Lifetime of a login session (its refresh tokens), counted from the login. */
  JWT_REFRESH_TTL: duration.default("30d"),
  JWT_EXTERNAL_ISSUER: z.string().min(1).optional(),
  /** The claim of an external token that names the user (matched against users.idp_subject). */
  JWT_EXTERNAL_SUBJECT_CLAIM: z.string().min(1).max(100).default("sub"),
  // Keys fetched over plain HTTP could be swapped in transit: https only, except on this machine.
  JWT_EXTERNAL_JWKS_URL: z
    .url()
    .refine(
      (u) => u.startsWith("https://") || /^http:\/\/(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?\//.test(u),
      "an https: URL (http: only on a loopback address)",
    )
    .optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /**
   * The day (MM-DD, China time) by which each pair's annual academic seminar of the year is planned:
   * the daily cron creates it on its first run on or after that day of the year (ADR 0009).
   */
  SEMINAR_PLAN_BY: z
    .string()
    .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, "a day of the year as MM-DD, such as 03-01")
    .refine((d) => new Date(`2024-${d}T00:00:00Z`).getUTCDate() === Number(d.slice(3)), "no such day")
    .default("03-01"),
  /**
   * The public origin of the deployment (`https://cases.example.gov.cn`) that public answers link to
   * (the feed's `url`, Atom links); unset: relative links. Never the request's Host header, which a
   * client picks and a shared cache would keep for everyone.
   */
  PUBLIC_ORIGIN: z
    .url({ protocol: /^https?$/ })
    .refine((u) => {
      const x = URL.canParse(u) ? new URL(u) : null;
      return !!x && x.pathname === "/" && !x.search && !x.hash && !x.username && !x.password;
    }, "an origin such as https://cases.example.gov.cn (no path, query or credentials)")
    .transform((u) => new URL(u).origin)
    .optional(),
  ALLOW_PRIVATE_WEBHOOKS: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export type Config = z.output<typeof configSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; invalid: string[] };

/** Parses bindings; a failure names the bad keys (never their values). */
export function parseConfig(env: Record<string, unknown>): ConfigResult {
  const picked = Object.fromEntries(
    Object.keys(configSchema.shape).map((k) => [k, env[k] === "" ? undefined : env[k]]),
  );
  const r = configSchema.safeParse(picked);
  if (r.success) {
    if (!!r.data.JWT_EXTERNAL_ISSUER !== !!r.data.JWT_EXTERNAL_JWKS_URL)
      return { ok: false, invalid: ["JWT_EXTERNAL_ISSUER/JWT_EXTERNAL_JWKS_URL: set both or neither"] };
    const key = r.data.JWT_PRIVATE_JWK;
    if (key && !r.data.JWT_JWKS?.keys.some((k) => samePublicKey(k, key)))
      return { ok: false, invalid: ["JWT_PRIVATE_JWK: not the private key of any key in JWT_JWKS"] };
    return { ok: true, config: r.data };
  }
  return { ok: false, invalid: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
}

/** Whether two JWKs (one may be private) hold the same public key. */
export function samePublicKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return (
    a.kty === b.kty &&
    a.x === b.x &&
    a.y === b.y &&
    a.n === b.n &&
    (a.kid === undefined || b.kid === undefined || a.kid === b.kid)
  );
}
