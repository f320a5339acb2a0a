// Custom questions of a training and the validation of a registrant's answers against them.
//
// The rule exists twice on purpose, and one test holds the two together (test/registrations.test.ts,
// "the SQL guard and the zod schema agree"): `answersSchema` (zod, built from the question
// definitions) explains a refusal field by field; `answersValidSql` is the same rule as a SQL guard,
// so the registering statement itself refuses bad answers against the questions as stored at that
// instant — no read of the questions before the write, one round trip.
import { z } from "@hono/zod-openapi";
import { sql, type SQL } from "drizzle-orm";
import type { FieldError } from "../http/problem";
import { LabelSchema } from "../http/api";
import { QUESTION_TYPES, vocabulary } from "../vocab";

/** Longest text answer when a question sets no `maxLength`. */
export const DEFAULT_TEXT_MAX = 500;

/** A question of a training's registration form (stored in `trainings.questions`). */
export const QuestionSchema = z
  .object({
    /** Stable key of the answer: lower-case letters, digits and `_` (it is a JSON path segment). */
    id: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,39}$/)
      .openapi({ example: "diet" }),
    type: z.enum(QUESTION_TYPES.codes),
    label: LabelSchema,
    required: z.boolean().default(false),
    /** The choices of a single or multiple choice question. */
    options: z.array(z.string().min(1).max(100)).min(1).max(50).optional(),
    /** Longest answer to a text question (characters); default 500. */
    maxLength: z.number().int().min(1).max(5000).optional(),
  })
  .refine((q) => (q.type === "single" || q.type === "multiple") === (q.options !== undefined), {
    message: "choice questions (and only they) have options",
    path: ["options"],
  })
  .openapi("TrainingQuestion", {
    example: {
      id: "diet",
      type: "single",
      label: { zh: "饮食", en: "Diet" },
      required: true,
      options: ["普通", "清真"],
    },
  });
export type Question = z.infer<typeof QuestionSchema>;

/**
 * Answers: question id → text, choice(s) or yes/no. The values are checked against the training's
 * questions (`answersSchema`, per field: `wrong_type`, `unknown_question`, …), not here, so an
 * answer of the wrong shape gets the same field codes as any other bad answer.
 */
export const AnswersSchema = z
  .record(
    z.string().max(40),
    z.unknown().openapi({ description: "A text, an option, a list of options, true/false, or null." }),
  )
  .default({})
  .openapi("RegistrationAnswers", { example: { diet: "普通", topics: ["刑事", "民事"], needs_room: true } });
export type Answers = z.infer<typeof AnswersSchema>;

/** Why an answer is refused (the `code` of each field error), with bilingual labels. */
export const ANSWER_ERRORS = vocabulary({
  required: { zh: "必答题未作答", en: "This question must be answered" },
  not_an_option: { zh: "所选项不在选项之中", en: "Not one of the question's options" },
  single_choice_only: { zh: "单选题只能选一项", en: "Only one option may be chosen" },
  duplicate_option: { zh: "重复选择同一选项", en: "An option is chosen twice" },
  too_long: { zh: "回答超出字数限制", en: "The answer is too long" },
  control_character: {
    zh: "回答含有控制字符(仅允许换行和制表符)",
    en: "The answer contains a control character (only line feeds and tabs are allowed)",
  },
  wrong_type: { zh: "回答类型与题型不符", en: "The answer does not fit the question's type" },
  unknown_question: { zh: "没有这道题", en: "No such question" },
});
export type AnswerError = (typeof ANSWER_ERRORS.codes)[number];

/**
 * Control characters other than line feed and tab (U+0000–U+0008, U+000B–U+001F, U+007F): refused
 * in text answers — SQLite's text functions stop at NUL, so the length rule could not hold.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is about control characters
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000B-\u001F\u007F]/;

/** The SQL of CONTROL_CHARACTER: the control characters as one string (a GLOB class), NUL apart. */
const CONTROL_CHARS_SQL = sql.raw(
  `char(${[...Array.from({ length: 8 }, (_, i) => i + 1), ...Array.from({ length: 21 }, (_, i) => i + 11), 127].join(", ")})`,
);

/** An empty answer ("" or [] or null) counts as no answer. */
const blank = (v: unknown) =>
  v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);

const issue = (code: AnswerError) => ({ message: ANSWER_ERRORS.label(code).en, params: { code } });

/** The zod schema of the answers to `questions` (strict: an answer to no question is refused). */
export function answersSchema(questions: readonly Question[]) {
  const shape: Record<string, z.ZodType> = {};
  for (const q of questions) {
    const options = q.options ?? [];
    let answer: z.ZodType;
    switch (q.type) {
      case "text": {
        const max = q.maxLength ?? DEFAULT_TEXT_MAX;
        // Characters as SQLite's length() counts them (code points, not UTF-16 units).
        answer = z
          .string(issue("wrong_type"))
          .refine((s) => !CONTROL_CHARACTER.test(s), { ...issue("control_character"), abort: true })
          .refine((s) => [...s].length <= max, issue("too_long"));
        break;
      }
      case "yes_no":
        answer = z.boolean(issue("wrong_type"));
        break;
      case "single":
        answer = z
          .custom<string>((v) => !Array.isArray(v), issue("single_choice_only"))
          .pipe(z.string(issue("wrong_type")))
          .refine((v) => options.includes(v), issue("not_an_option"));
        break;
      case "multiple":
        answer = z
          .array(z.string(issue("wrong_type")), issue("wrong_type"))
          .refine((vs) => vs.every((v) => options.includes(v)), issue("not_an_option"))
          .refine((vs) => new Set(vs).size === vs.length, issue("duplicate_option"));
        break;
    }
    shape[q.id] = z.preprocess(
      (v) => (blank(v) ? undefined : v),
      q.required ? z.custom((v) => v !== undefined, issue("required")).pipe(answer) : answer.optional(),
    );
  }
  return z.object(shape).strict();
}

/** Field errors of `answers` against `questions` (paths `answers.<id>`, or `<prefix>answers.<id>`). */
export function answerErrors(questions: readonly Question[], answers: unknown, prefix = ""): FieldError[] {
  const r = answersSchema(questions).safeParse(answers ?? {});
  if (r.success) return [];
  return r.error.issues.flatMap((i): FieldError[] => {
    if (i.code === "unrecognized_keys")
      return i.keys.map((k) => ({
        in: "json",
        path: `${prefix}answers.${k}`,
        message: ANSWER_ERRORS.label("unknown_question").en,
        code: "unknown_question",
      }));
    const code = ((i as { params?: { code?: AnswerError } }).params?.code ?? "wrong_type") as AnswerError;
    return [
      {
        in: "json",
        path: `${prefix}answers.${String(i.path[0])}`,
        message: ANSWER_ERRORS.label(code).en,
        code,
      },
    ];
  });
}

/** The stored questions of a training (a JSON column) as typed questions; malformed entries dropped. */
export function parseQuestions(json: unknown): Question[] {
  const list = typeof json === "string" ? (JSON.parse(json) as unknown) : json;
  if (!Array.isArray(list)) return [];
  return list.flatMap((q) => {
    const r = QuestionSchema.safeParse(q);
    return r.success ? [r.data] : [];
  });
}

/**
 * answersValidSql: true when the JSON object `answers` satisfies every question of the JSON array
 * `questions` (the same rule as `answersSchema`): required ones answered, text within its length,
 * yes/no a boolean, a single choice one option, a multiple choice distinct options, and no answer to
 * a question that does not exist. Used as a guard inside the registering INSERT.
 */
export function answersValidSql(questions: SQL, answers: SQL | string): SQL {
  const a = typeof answers === "string" ? sql`${answers}` : answers;
  const p = sql`('$."' || json_extract(q_.value, '$.id') || '"')`;
  const ty = sql`json_type(${a}, ${p})`;
  const val = sql`json_extract(${a}, ${p})`;
  const options = sql`(select o_.value from json_each(q_.value, '$.options') o_)`;
  const missing = sql`(${ty} is null or ${ty} = 'null' or (${ty} = 'text' and length(${val}) = 0)
    or (${ty} = 'array' and json_array_length(${a}, ${p}) = 0))`;
  // A text with a control character (NUL measured in bytes: text functions stop at it) is refused
  // before anything else, as the zod schema refuses it whatever its length.
  const control = sql`(${ty} = 'text' and (instr(cast(${val} as blob), x'00') > 0
    or ${val} glob '*[' || ${CONTROL_CHARS_SQL} || ']*'))`;
  const broken = sql`case
    when json_extract(q_.value, '$.type') = 'text' and ${control} then 1
    when ${missing} then coalesce(json_extract(q_.value, '$.required'), 0) = 1
    when json_extract(q_.value, '$.type') = 'text' then not (${ty} = 'text'
      and length(${val}) <= coalesce(json_extract(q_.value, '$.maxLength'), ${DEFAULT_TEXT_MAX}))
    when json_extract(q_.value, '$.type') = 'yes_no' then ${ty} not in ('true', 'false')
    when json_extract(q_.value, '$.type') = 'single' then not (${ty} = 'text' and ${val} in ${options})
    when json_extract(q_.value, '$.type') = 'multiple' then not (${ty} = 'array'
      and not exists (select 1 from json_each(${a}, ${p}) x_ where x_.type <> 'text' or x_.value not in ${options})
      and json_array_length(${a}, ${p}) = (select count(distinct x_.value) from json_each(${a}, ${p}) x_))
    else 1 end`;
  return sql`(json_type(${a}) = 'object'
    and not exists (select 1 from json_each(${questions}) q_ where ${broken})
    and not exists (select 1 from json_each(${a}) k_ where k_.key not in
      (select json_extract(q_.value, '$.id') from json_each(${questions}) q_)))`;
}
