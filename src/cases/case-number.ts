// 案号 and party-name normalisation: the one definition used when a case record is stored (its
// case_key and party_keys), when a search is bound, and — as SQL generated from the same table —
// when a supervision document's case numbers are compared with case records (activeGrant's rule
// 'with_supervision_document' and the documents shown on a record, src/auth/scope.ts).
import { sql, type SQL } from "drizzle-orm";

/**
 * What a case number's key folds: full-width digits to ASCII, every kind of bracket to ( ), spaces
 * (ASCII, ideographic, tab) and the ordinal 第 / the closing 号 of the "第…号" form dropped. Nothing
 * else changes (the court code 京0105 and the type 民初 stay as written), so the TypeScript and the SQL
 * forms agree character for character.
 */
export const CASE_KEY_FOLDS: readonly (readonly [string, string])[] = [
  ..."０１２３４５６７８９".split("").map((d, i) => [d, String(i)] as const),
  ["（", "("],
  ["）", ")"],
  ["〔", "("],
  ["〕", ")"],
  ["[", "("],
  ["]", ")"],
  ["［", "("],
  ["］", ")"],
  ["【", "("],
  ["】", ")"],
  [" ", ""],
  ["\u3000", ""],
  ["\t", ""],
  ["第", ""],
  ["号", ""],
];

/** The search key of a 案号: "（2026）京0105民初第１２３号" → "(2026)京0105民初123". */
export function caseKey(caseNumber: string): string {
  let s = caseNumber.trim();
  for (const [from, to] of CASE_KEY_FOLDS) s = s.split(from).join(to);
  return s;
}

const FOLDS_JSON = JSON.stringify(CASE_KEY_FOLDS);

/**
 * The same fold as SQL over `expr`: a recursive CTE applying the fold table one replace() per step.
 * (Not 26 nested replace() calls: inside the tenancy policy that nesting overflows SQLite's parser
 * stack.) Correlated to `expr`; cost: one step per fold per value.
 */
export function caseKeySql(expr: SQL): SQL {
  const f = sql`${FOLDS_JSON}`;
  return sql`(with recursive ck_(i, s) as (select 0, trim(${expr})
      union all select i + 1, replace(s, ${f} ->> ('$[' || i || '][0]'), ${f} ->> ('$[' || i || '][1]'))
      from ck_ where i < ${CASE_KEY_FOLDS.length})
    select s from ck_ where i = ${CASE_KEY_FOLDS.length})`;
}

/**
 * A party name's search form: Unicode NFKC (full-width letters and digits to ASCII), lower case, no
 * whitespace, no '|' (the separator of party_keys).
 */
export function partyKey(name: string): string {
  return name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s|]+/g, "");
}

/** The party_keys column: every party's key between '|', so a substring never spans two names. */
export function partyKeys(names: string[]): string {
  return `|${names.map(partyKey).join("|")}|`;
}
