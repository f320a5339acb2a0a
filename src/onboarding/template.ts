// The departments every new court and procuratorate starts with (the demo pairs use them too).
//
// The receiving departments are the ones document types point at: a document to a court lands in
// the department tagged `general_office` (办公室), one to a procuratorate in `general_affairs`
// (综合业务部), unless the institution designates others (PUT …/receiving-routes/{type}); see
// insertDocument in src/documents/documents.queries.ts.
import type { DepartmentFunction, OrgKind } from "../vocab";

export const COURT_DEPARTMENTS: [string, DepartmentFunction[]][] = [
  ["办公室", ["general_office"]],
  ["审判管理办公室", ["trial_management"]],
  ["立案庭", ["trial"]],
  ["刑事审判第一庭", ["trial"]],
  ["民事审判第一庭", ["trial"]],
  ["行政审判庭", ["trial"]],
  ["审判监督庭", ["trial"]],
  ["执行局", ["enforcement"]],
  ["研究室", ["research"]],
];

export const PROCURATORATE_DEPARTMENTS: [string, DepartmentFunction[]][] = [
  ["综合业务部", ["general_affairs"]],
  ["办公室", ["general_office"]],
  ["第一检察部(刑事检察)", ["supervision"]],
  ["第五检察部(刑事执行检察)", ["supervision"]],
  ["第六检察部(民事检察)", ["supervision"]],
  ["第七检察部(行政检察)", ["supervision"]],
  ["第八检察部(公益诉讼检察)", ["supervision"]],
  ["法律政策研究室", ["research"]],
];

export const departmentTemplate = (kind: OrgKind) =>
  kind === "court" ? COURT_DEPARTMENTS : PROCURATORATE_DEPARTMENTS;

/** The department a first administrator is placed in (both institutions have a 办公室). */
export const ADMIN_DEPARTMENT = "办公室";
