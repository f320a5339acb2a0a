// 案号 and party-name normalisation: the one definition used when a case record is stored (its
// case_key and party_keys), when a supervision document is stored (document_case_keys, which the
// case-grant rule 'with_supervision_document' and a record's documents read) and when a search is
// bound. Computed here, in TypeScript, and stored: SQL only compares keys (an index probe).

/** Brackets of every form, after NFKC (which folds full-width and small forms to these). */
const OPEN = /[(〔[【〖﹙]/g;
const CLOSE = /[)〕\]】〗﹚]/g;
/** Whitespace, including the ideographic space and zero-width characters (NFKC keeps those). */
const SPACE = /[\s\u200b-\u200d\u2060\ufeff]+/g;

/**
 * The search key of a 案号: "（2026）京0105民初第１２３号" → "(2026)京0105民初123". Unicode NFKC first
 * (full-width digits and brackets, ﹝﹞), every bracket to ( ), no whitespace, 號 as 号, then the
 * "第N号" form of the serial number: 第 only right before the final number, 号 only at the end, the
 * number without leading zeros. What tells two cases apart (year, court code, type, number) stays.
 */
export function caseKey(caseNumber: string): string {
  return caseNumber
    .normalize("NFKC")
    .replace(SPACE, "")
    .replace(OPEN, "(")
    .replace(CLOSE, ")")
    .replace(/號/g, "号")
    .replace(/号$/, "")
    .replace(/第(\d+)$/, "$1")
    .replace(/(\D)0+(\d+)$/, "$1$2");
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
