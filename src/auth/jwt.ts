// Bearer tokens: verification with jose against configured keys (and an optional external issuer).
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JWK,
  type JWTPayload,
} from "jose";
import { ApiError } from "../http/problem";
import type { Config } from "../config";

export const ALGORITHMS = ["EdDSA", "ES256"];
export const TOKEN_TYPE = "at+jwt";

/**
 * Who a verified token names. `sid`: the login session a token issued by this API belongs to (the
 * principal look-up refuses it once that session is revoked); absent on development tokens and
 * external ones. `account: "operator"`: a deployment operator's token.
 */
export type Subject = {
  issuer: "local" | "external";
  sub: string;
  sid?: string;
  account?: "operator";
};

export type Verifier = (token: string) => Promise<Subject>;

// RFC 6750 §3: error_description is a quoted string of printable ASCII without `"` or `\`.
const unauthorized = (code: string, detail: string) =>
  new ApiError(401, code, detail, {
    headers: {
      "www-authenticate":
        'Bearer error="invalid_token", ' +
        `error_description="${detail.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "")}"`,
    },
  });

export function missingToken() {
  return new ApiError(401, "unauthenticated", "A bearer token is required.", {
    headers: { "www-authenticate": 'Bearer realm="fajian-xietong"' },
  });
}

/** How many verified tokens a verifier remembers (per isolate / process). */
export const VERIFIED_CACHE_SIZE = 10_000;
/**
 * A remembered verification is re-done at least this often, so a key withdrawn from a JWKS stops
 * being honoured.
 */
export const VERIFIED_CACHE_TTL_SECONDS = 600;

type Verified = { subject: Subject; exp: number; nbf: number | undefined; iat: number; cachedAt: number };

/**
 * A verifier. A successful verification is remembered by the exact token string (bounded, least
 * recently used first out), so a client repeating its token skips the signature check; the time
 * claims (exp, nbf, the maximum token age) are checked again against the injected clock on every hit,
 * and a hit that fails them is forgotten and verified in full, so the answer is jose's own.
 * Failures are never remembered.
 */
export function createVerifier(config: Config, now: () => Date, opts: { cacheSize?: number } = {}): Verifier {
  const local = createLocalJWKSet(config.JWT_JWKS!);
  const external =
    config.JWT_EXTERNAL_ISSUER && config.JWT_EXTERNAL_JWKS_URL
      ? {
          issuer: config.JWT_EXTERNAL_ISSUER,
          keys: createRemoteJWKSet(new URL(config.JWT_EXTERNAL_JWKS_URL)),
        }
      : undefined;
  const maxAge = durationSeconds(config.JWT_MAX_AGE);
  const cacheSize = opts.cacheSize ?? VERIFIED_CACHE_SIZE;
  const cache = new Map<string, Verified>();

  const verify = async (token: string, at: Date): Promise<Subject> => {
    let iss: unknown;
    try {
      const parts = token.split(".");
      iss = JSON.parse(atob(parts[1]!.replace(/-/g, "+").replace(/_/g, "/"))).iss;
    } catch {
      throw unauthorized("token_malformed", "The token is not a well-formed JWT.");
    }
    const useExternal = external && iss === external.issuer;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, useExternal ? external.keys : local, {
        algorithms: ALGORITHMS,
        issuer: useExternal ? external.issuer : config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        typ: useExternal ? undefined : TOKEN_TYPE,
        maxTokenAge: config.JWT_MAX_AGE,
        requiredClaims: ["exp", "iat", useExternal ? config.JWT_EXTERNAL_SUBJECT_CLAIM : "sub"],
        currentDate: at,
      }));
    } catch (e) {
      throw toAuthError(e);
    }
    // jose checks that sub is present, not that it is a string; anything else would reach SQL as a parameter.
    // An external issuer names the user in the claim JWT_EXTERNAL_SUBJECT_CLAIM says (default sub).
    const claim = useExternal ? config.JWT_EXTERNAL_SUBJECT_CLAIM : "sub";
    const sub = payload[claim];
    if (typeof sub !== "string" || sub === "")
      throw unauthorized("token_claim_invalid", `The token's ${claim} claim is not acceptable.`);
    const subject: Subject = { issuer: useExternal ? "external" : "local", sub };
    if (!useExternal) {
      if (payload.sid !== undefined && typeof payload.sid !== "string")
        throw unauthorized("token_claim_invalid", "The token's sid claim is not acceptable.");
      if (payload.sid !== undefined) subject.sid = payload.sid as string;
      if (payload.acct === "operator") subject.account = "operator";
    }
    Object.freeze(subject);
    if (cacheSize <= 0) return subject;
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
    cache.set(token, {
      subject,
      exp: payload.exp!,
      nbf: payload.nbf,
      iat: payload.iat!,
      cachedAt: epoch(at),
    });
    return subject;
  };

  return async (token) => {
    const at = now();
    const hit = cache.get(token);
    if (hit) {
      cache.delete(token);
      // The same comparisons as jose's (clock tolerance 0): anything else is verified afresh.
      const t = epoch(at);
      if (
        t < hit.exp &&
        (hit.nbf === undefined || hit.nbf <= t) &&
        t - hit.iat <= maxAge &&
        t >= hit.iat &&
        t - hit.cachedAt < VERIFIED_CACHE_TTL_SECONDS &&
        t >= hit.cachedAt
      ) {
        cache.set(token, hit); // most recently used
        return hit.subject;
      }
    }
    return verify(token, at);
  };
}

const epoch = (d: Date) => Math.floor(d.getTime() / 1000);

// One stable code per cause, so a client (or an operator reading logs) can tell what to fix.
const CLAIM_ERRORS: Record<string, [code: string, detail: string]> = {
  nbf: ["token_not_yet_valid", "The token is not valid yet (nbf)."],
  iat: ["token_not_yet_valid", "The token was issued in the future (iat)."],
  iss: ["token_issuer_invalid", "The token's issuer is not trusted."],
  aud: ["token_audience_invalid", "The token is not meant for this API (aud)."],
  typ: ["token_type_invalid", `The token's typ header must be ${TOKEN_TYPE}.`],
};

function toAuthError(e: unknown): ApiError {
  if (e instanceof errors.JWTExpired)
    return e.claim === "iat"
      ? unauthorized("token_too_old", "The token was issued longer ago than the maximum token age.")
      : unauthorized("token_expired", "The token has expired.");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.reason === "missing")
      return unauthorized("token_claim_missing", `The token lacks the required ${e.claim} claim.`);
    const known = CLAIM_ERRORS[e.claim];
    return known
      ? unauthorized(...known)
      : unauthorized("token_claim_invalid", `The token's ${e.claim} claim is not acceptable.`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed)
    return unauthorized("token_algorithm", "The token's algorithm is not accepted.");
  if (e instanceof errors.JWKSNoMatchingKey)
    return unauthorized("token_unknown_key", "The token was signed by an unknown key.");
  if (e instanceof errors.JWSSignatureVerificationFailed)
    return unauthorized("token_signature", "The token's signature does not verify.");
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid)
    return unauthorized("token_malformed", "The token is not a well-formed JWT.");
  return unauthorized("token_invalid", "The token is not valid.");
}

/** A development key pair: the private JWK signs, the public JWK set verifies. */
export async function generateDevKeys(): Promise<{ privateJwk: JWK; jwks: { keys: JWK[] } }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { extractable: true });
  const kid = crypto.randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "EdDSA", use: "sig" };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  return { privateJwk, jwks: { keys: [publicJwk] } };
}

export async function signToken(
  privateJwk: JWK,
  claims: JWTPayload & { sub: string },
  opts: { issuer: string; audience: string; expiresIn?: string; now: Date },
): Promise<string> {
  const key = await importJWK(privateJwk, privateJwk.alg ?? "EdDSA");
  const iat = Math.floor(opts.now.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: privateJwk.alg ?? "EdDSA", kid: privateJwk.kid, typ: TOKEN_TYPE })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + durationSeconds(opts.expiresIn ?? "8h"))
    .sign(key);
}

function durationSeconds(d: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s"];
}
