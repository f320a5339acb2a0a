// Text people type into the #13 capabilities (case records, typical cases, two-heads nominations):
// published as it is stored (the public feed, CSV exports, Atom), so control characters are refused
// at validation (400 per field) rather than stored and passed on.

/**
 * No control characters but line feed and tab: not C0 (U+0000–U+001F, carriage return included),
 * DEL and C1 (U+007F–U+009F), nor the non-characters U+FFFE and U+FFFF.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
export const NO_CONTROL = /^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFE\uFFFF]*$/;

/** The message of a refused control character. */
export const NO_CONTROL_MESSAGE = "control characters (other than line feed and tab) are not allowed";
