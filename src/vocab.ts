// Enumerated codes with their bilingual labels; responses carry `{ code, label: { zh, en } }`.
export type Label = { zh: string; en: string };

function vocabulary<const T extends Record<string, Label>>(labels: T) {
  const codes = Object.keys(labels) as [keyof T & string, ...(keyof T & string)[]];
  const label = (code: keyof T & string): Label => labels[code] as Label;
  /** The response form of a code: `{ code, label: { zh, en } }`. */
  const item = <C extends keyof T & string>(code: C) => ({ code, label: label(code) });
  return { labels, codes, label, item };
}

export const ROLES = vocabulary({
  admin: { zh: "管理员", en: "Administrator" },
  registrar: { zh: "收文登记员", en: "Registrar" },
  handler: { zh: "承办人", en: "Handler" },
  department_head: { zh: "部门负责人", en: "Department head" },
  leader: { zh: "院领导", en: "Leader" },
  auditor: { zh: "审计员(只读)", en: "Auditor (read-only)" },
});
export type Role = (typeof ROLES.codes)[number];

export const ORG_KINDS = vocabulary({
  court: { zh: "人民法院", en: "People's Court" },
  procuratorate: { zh: "人民检察院", en: "People's Procuratorate" },
});
export type OrgKind = (typeof ORG_KINDS.codes)[number];

export const LEVELS = vocabulary({
  city: { zh: "市级", en: "City (intermediate)" },
  basic: { zh: "基层", en: "Basic level (district/county)" },
});

export const DEPARTMENT_FUNCTIONS = vocabulary({
  general_office: { zh: "办公室", en: "General office" },
  trial_management: { zh: "审判管理", en: "Trial management" },
  general_affairs: { zh: "综合业务", en: "General affairs" },
  trial: { zh: "审判业务", en: "Trial division" },
  enforcement: { zh: "执行", en: "Enforcement" },
  supervision: { zh: "法律监督", en: "Supervision" },
  research: { zh: "研究室", en: "Research" },
});
export type DepartmentFunction = (typeof DEPARTMENT_FUNCTIONS.codes)[number];
