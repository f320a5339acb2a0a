// Access tokens issued by this API at login and refresh, signed with the deployment's private key.
import { importJWK, type JWK, SignJWT } from "jose";
import type { Config } from "../config";
import { TOKEN_TYPE } from "./jwt";

/** What an access token says: the account (`sub`), its login session (`sid`) and, for an operator, so. */
export type AccessClaims = { sub: string; sid: string; acct?: "operator" };

/** Signs an access token; its lifetime is JWT_ACCESS_TTL. */
export type Signer = {
  sign(claims: AccessClaims): Promise<string>;
  /** Seconds an access token lives (the `expiresIn` of a token response). */
  ttlSeconds: number;
};

export function durationSeconds(d: string): number {
  const m = /^(\d+)\s*([smhd])$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s"];
}

/**
 * A signer over a private JWK (the key is imported once, lazily). The token carries the same
 * header, issuer and audience the verifier demands, so it is verified like any other local token.
 */
export function createSigner(config: Config, privateJwk: JWK, now: () => Date): Signer {
  const alg = (privateJwk.alg as string | undefined) ?? (privateJwk.crv === "P-256" ? "ES256" : "EdDSA");
  const ttlSeconds = durationSeconds(config.JWT_ACCESS_TTL);
  let key: ReturnType<typeof importJWK> | undefined;
  return {
    ttlSeconds,
    async sign(claims) {
      key ??= importJWK(privateJwk, alg);
      const iat = Math.floor(now().getTime() / 1000);
      const payload: Record<string, string> = { sid: claims.sid };
      if (claims.acct) payload.acct = claims.acct;
      return new SignJWT(payload)
        .setProtectedHeader({ alg, kid: privateJwk.kid, typ: TOKEN_TYPE })
        .setSubject(claims.sub)
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(await key);
    },
  };
}
