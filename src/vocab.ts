// Enumerated codes with their bilingual labels; responses carry `{ code, label: { zh, en } }`.
export type Label = { zh: string; en: string };

export function vocabulary<const T extends Record<string, Label>>(labels: T) {
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
  coordinator: { zh: "联席会议联络员", en: "Joint-meeting coordinator" },
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

/** Supervision document types; `from` is the sending institution (the counterpart receives). */
export const DOC_TYPES = vocabulary({
  "protest.civil": { zh: "民事抗诉书", en: "Civil protest" },
  "protest.administrative": { zh: "行政抗诉书", en: "Administrative protest" },
  "protest.criminal_retrial": { zh: "刑事审判监督抗诉书", en: "Criminal protest (trial supervision)" },
  "protest.criminal_appeal": { zh: "刑事二审抗诉书", en: "Criminal protest (second instance)" },
  "retrial_suggestion.civil": { zh: "民事再审检察建议", en: "Civil retrial procuratorial suggestion" },
  "retrial_suggestion.administrative": {
    zh: "行政再审检察建议",
    en: "Administrative retrial procuratorial suggestion",
  },
  "suggestion.enforcement": { zh: "民事执行检察建议", en: "Procuratorial suggestion on civil enforcement" },
  "suggestion.general": { zh: "检察建议", en: "Procuratorial suggestion" },
  "correction.criminal_notice": { zh: "纠正违法通知书", en: "Notice to correct a violation" },
  "correction.commutation_parole": {
    zh: "纠正意见(减刑、假释)",
    en: "Correction opinion on commutation or parole",
  },
  "correction.trial_procedure": { zh: "纠正意见(审判程序)", en: "Correction opinion on trial procedure" },
  judicial_suggestion: { zh: "司法建议", en: "Judicial suggestion" },
  "court_suggestion.enforcement_supervision": {
    zh: "执行监督书面建议",
    en: "Court's written suggestion on enforcement supervision",
  },
});
export type DocType = (typeof DOC_TYPES.codes)[number];
export const docSender = (type: DocType): OrgKind =>
  type === "judicial_suggestion" || type === "court_suggestion.enforcement_supervision"
    ? "court"
    : "procuratorate";

export const DOC_STATUSES = vocabulary({
  sent: { zh: "已发送", en: "Sent" },
  received: { zh: "已签收", en: "Received" },
  assigned: { zh: "办理中", en: "Assigned" },
  replied: { zh: "已回复", en: "Replied" },
  acknowledged: { zh: "已反馈", en: "Acknowledged" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
});
export type DocStatus = (typeof DOC_STATUSES.codes)[number];

export const DECISIONS = vocabulary({
  adopted: { zh: "采纳", en: "Adopted" },
  partly_adopted: { zh: "部分采纳", en: "Partly adopted" },
  not_adopted: { zh: "不予采纳", en: "Not adopted" },
});

export const ACK_RESULTS = vocabulary({
  accepted: { zh: "认可", en: "Accepted" },
  partly_accepted: { zh: "部分认可", en: "Partly accepted" },
  not_accepted: { zh: "不认可(跟进监督)", en: "Not accepted (follow-up supervision)" },
});

export const CASE_CATEGORIES = vocabulary({
  criminal: { zh: "刑事", en: "Criminal" },
  civil: { zh: "民事", en: "Civil" },
  administrative: { zh: "行政", en: "Administrative" },
  enforcement: { zh: "执行", en: "Enforcement" },
  public_interest: { zh: "公益诉讼", en: "Public-interest litigation" },
});

/** Focus areas: crime categories of S3.1.1 and public-interest areas of S3.1.4. */
export const CASE_AREAS = vocabulary({
  organized_crime: { zh: "扫黑除恶", en: "Organised crime" },
  cyber_crime: { zh: "网络犯罪", en: "Cyber crime" },
  crimes_against_entrepreneurs: {
    zh: "侵犯民营企业经营者权益犯罪",
    en: "Crimes against private entrepreneurs",
  },
  mass_victim_economic: { zh: "涉众型经济犯罪", en: "Mass-victim economic crime" },
  duty_crime: { zh: "职务犯罪", en: "Duty crime" },
  environment_resources: { zh: "环境资源", en: "Environment and resources" },
  telecom_fraud: { zh: "电信诈骗", en: "Telecom fraud" },
  ecology: { zh: "生态环境和资源保护", en: "Ecology and resources" },
  food_drug_safety: { zh: "食品药品安全", en: "Food and drug safety" },
  state_property: { zh: "国有财产保护", en: "State property" },
  heroes_martyrs: { zh: "英烈权益保护", en: "Heroes and martyrs" },
  minors: { zh: "未成年人权益保护", en: "Minors' rights" },
  work_safety: { zh: "安全生产", en: "Work safety" },
  personal_information: { zh: "个人信息保护", en: "Personal information" },
});

export const COMMITTEE_RESPONSES = vocabulary({
  attend: { zh: "检察长列席", en: "Chief procurator attends" },
  delegate: { zh: "委托副检察长列席", en: "A deputy attends" },
  decline: { zh: "不列席", en: "Declined" },
});

export const DOC_EVENTS = vocabulary({
  created: { zh: "发送", en: "Sent" },
  withdrawn: { zh: "撤回", en: "Withdrawn" },
  received: { zh: "签收并起算期限", en: "Received; deadline set" },
  assigned: { zh: "分办", en: "Assigned" },
  reassigned: { zh: "改派", en: "Reassigned" },
  replied: { zh: "书面回复", en: "Replied" },
  acknowledged: { zh: "反馈回复意见", en: "Reply acknowledged" },
  urged: { zh: "催办", en: "Urged" },
  extension_requested: { zh: "申请延长期限", en: "Extension requested" },
  extension_approved: { zh: "批准延长期限", en: "Extension approved" },
  extension_rejected: { zh: "不批准延长期限", en: "Extension rejected" },
  committee_invited: { zh: "邀请列席审判委员会", en: "Invited to the judicial committee" },
  committee_answered: { zh: "答复列席邀请", en: "Committee invitation answered" },
  escalated: { zh: "逐级催办", en: "Escalated" },
  retrial_result: { zh: "登记再审结果", en: "Retrial result recorded" },
  deadline_recomputed: {
    zh: "按更新的节假日安排重算期限",
    en: "Deadline recomputed on the updated holiday calendar",
  },
});

export type CaseCategory = (typeof CASE_CATEGORIES.codes)[number];
export type CaseArea = (typeof CASE_AREAS.codes)[number];
export type Decision = (typeof DECISIONS.codes)[number];
export type AckResult = (typeof ACK_RESULTS.codes)[number];

/** Where an invitation stands: `expired` is read from its expiry, never written. */
export const INVITATION_STATUSES = vocabulary({
  pending: { zh: "待接受", en: "Pending" },
  accepted: { zh: "已接受", en: "Accepted" },
  revoked: { zh: "已撤销", en: "Revoked" },
  expired: { zh: "已过期", en: "Expired" },
});
export type InvitationStatus = (typeof INVITATION_STATUSES.codes)[number];

// ── Joint meetings, co-signature, recurring series, action items ──────────────────────────────

export const MEETING_KINDS = vocabulary({
  regular: { zh: "法检联席会议(半年度)", en: "Joint meeting (half-yearly)" },
  special: { zh: "专题联席会议", en: "Special-topic joint meeting" },
});
export type MeetingKind = (typeof MEETING_KINDS.codes)[number];

export const MEETING_STATUSES = vocabulary({
  pending_approval: { zh: "待双方院领导批准", en: "Awaiting both leaders' approval" },
  rejected: { zh: "未获批准", en: "Not approved" },
  planning: { zh: "筹备中", en: "Planning" },
  scheduled: { zh: "时间已确定", en: "Scheduled" },
  held: { zh: "已召开", en: "Held" },
  minuted: { zh: "纪要已会签", en: "Minutes signed" },
  skipped: { zh: "本期不召开", en: "Skipped this period" },
  cancelled: { zh: "已取消", en: "Cancelled" },
});
export type MeetingStatus = (typeof MEETING_STATUSES.codes)[number];

export const SLOT_STATUSES = vocabulary({
  none: { zh: "未提出时间", en: "No time proposed" },
  proposed: { zh: "时间待对方确认", en: "Proposed, awaiting the other side" },
  confirmed: { zh: "时间已确认", en: "Confirmed" },
});

/** The five areas of work a topic belongs to (S3.4.1): the document case categories. */
export const TOPIC_FIELDS = CASE_CATEGORIES;

export const TOPIC_STATUSES = vocabulary({
  proposed: { zh: "待主办方确定", en: "Proposed" },
  accepted: { zh: "列入议题", en: "On the agenda" },
  declined: { zh: "未列入议题", en: "Declined" },
});

export const SPECIAL_SUBJECTS = vocabulary({
  major_case: { zh: "重大案件", en: "A major case" },
  campaign: { zh: "专项活动", en: "A special campaign" },
  issue: { zh: "重要问题", en: "An important issue" },
});

export const RSVPS = vocabulary({
  pending: { zh: "待回复", en: "No answer yet" },
  accepted: { zh: "参加", en: "Attending" },
  declined: { zh: "不参加", en: "Not attending" },
  tentative: { zh: "待定", en: "Tentative" },
});

export const PARTICIPANT_KINDS = vocabulary({
  user: { zh: "参会人员", en: "Participant" },
  observer: { zh: "列席人员(外单位)", en: "Observer (outside organisation)" },
});

export const COSIGN_STATUSES = vocabulary({
  open: { zh: "会签中", en: "Being signed" },
  signed: { zh: "会签完成", en: "Fully signed" },
  refused: { zh: "拒签", en: "Refused" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
});

export const COSIGN_DECISIONS = vocabulary({
  signed: { zh: "已签署", en: "Signed" },
  refused: { zh: "拒绝签署", en: "Refused" },
});

/** What a co-signature can be about; later capabilities add theirs here. */
export const COSIGN_SUBJECTS = vocabulary({
  meeting_minutes: { zh: "联席会议纪要", en: "Joint-meeting minutes" },
  special_meeting: { zh: "专题联席会议申请", en: "Special-topic meeting proposal" },
  series_override: { zh: "轮值调整", en: "Change to the hosting rotation" },
  contingency_plan: { zh: "访情舆情应急预案", en: "Petition-risk contingency plan" },
  typical_case: { zh: "联合发布典型案例", en: "Jointly published typical case" },
  two_heads_hearing: { zh: "两长同庭案件", en: "Two-heads hearing" },
});
export type CosignSubject = (typeof COSIGN_SUBJECTS.codes)[number];

export const CADENCES = vocabulary({
  month: { zh: "每月", en: "Monthly" },
  quarter: { zh: "每季度", en: "Quarterly" },
  half_year: { zh: "每半年", en: "Half-yearly" },
  year: { zh: "每年", en: "Yearly" },
});
export type Cadence = (typeof CADENCES.codes)[number];

export const SERIES_KINDS = vocabulary({
  joint_meeting: { zh: "法检联席会议", en: "Joint meeting" },
  academic_seminar: { zh: "年度联合学术研讨会", en: "Annual joint academic seminar" },
  mutual_report: { zh: "定期相互通报", en: "Periodic mutual report" },
});

export const OVERRIDE_ACTIONS = vocabulary({
  swap: { zh: "调换主办方", en: "Swap the host" },
  skip: { zh: "本期不召开", en: "Skip the period" },
});

export const OVERRIDE_STATUSES = vocabulary({
  proposed: { zh: "待双方会签", en: "Awaiting both sides' signatures" },
  agreed: { zh: "已商定", en: "Agreed" },
  refused: { zh: "未商定", en: "Not agreed" },
});

export const ACTION_ITEM_STATUSES = vocabulary({
  open: { zh: "落实中", en: "Open" },
  done: { zh: "已落实", en: "Done" },
});

/** Timeline entries of meetings, action items, rotation changes and co-signatures. */
export const SUBJECT_EVENTS = vocabulary({
  created: { zh: "创建", en: "Created" },
  slot_proposed: { zh: "提出会议时间", en: "Time proposed" },
  slot_confirmed: { zh: "确认会议时间", en: "Time confirmed" },
  topic_proposed: { zh: "提出议题", en: "Topic proposed" },
  topic_accepted: { zh: "议题列入", en: "Topic accepted" },
  topic_declined: { zh: "议题未列入", en: "Topic declined" },
  agenda_ordered: { zh: "调整议程顺序", en: "Agenda ordered" },
  participants_invited: { zh: "邀请参会人员", en: "Participants invited" },
  participant_removed: { zh: "撤回参会邀请", en: "Invitation withdrawn" },
  rsvp: { zh: "回复是否参会", en: "Answered the invitation" },
  attendance_recorded: { zh: "登记出席情况", en: "Attendance recorded" },
  minutes_drafted: { zh: "起草会议纪要", en: "Minutes drafted" },
  cosign_opened: { zh: "提交会签", en: "Submitted for signature" },
  signed: { zh: "签署", en: "Signed" },
  refused: { zh: "拒签", en: "Refused" },
  cosign_completed: { zh: "会签完成", en: "Fully signed" },
  cosign_withdrawn: { zh: "撤回会签", en: "Signature round withdrawn" },
  approved: { zh: "批准", en: "Approved" },
  rejected: { zh: "未获批准", en: "Not approved" },
  done: { zh: "已落实", en: "Done" },
  escalated: { zh: "逐级催办", en: "Escalated" },
  rotation_changed: { zh: "轮值调整生效", en: "Rotation change in effect" },
  cancelled: { zh: "取消", en: "Cancelled" },
  published: { zh: "发布并开放报名", en: "Published; registration open" },
  updated: { zh: "修改", en: "Updated" },
  invitations_changed: { zh: "调整邀请单位或名额", en: "Invitations or quotas changed" },
  registered: { zh: "报名", en: "Registered" },
  waitlisted: { zh: "进入候补名单", en: "On the waiting list" },
  offered: { zh: "候补递补名额待确认", en: "Seat offered from the waiting list" },
  offer_accepted: { zh: "接受递补名额", en: "Offer accepted" },
  offer_declined: { zh: "放弃递补名额", en: "Offer declined" },
  offer_expired: { zh: "递补名额逾期未确认", en: "Offer expired" },
  withdrawn: { zh: "取消报名", en: "Withdrawn" },
  checked_in: { zh: "签到", en: "Checked in" },
  member_added: { zh: "增加课题组成员", en: "Member added" },
  milestone_added: { zh: "增加节点", en: "Milestone added" },
  output_recorded: { zh: "登记成果", en: "Output recorded" },
  completed: { zh: "结题", en: "Completed" },
  acknowledged: { zh: "签收", en: "Acknowledged" },
  handled: { zh: "反馈处理情况", en: "Handling recorded" },
  submitted: { zh: "提交", en: "Submitted" },
  read: { zh: "已阅", en: "Read" },
  commented: { zh: "提出意见", en: "Commented" },
  assessed: { zh: "风险评估", en: "Risk assessed" },
  plan_drafted: { zh: "起草应急预案", en: "Contingency plan drafted" },
  session_recorded: { zh: "登记调解活动", en: "Session recorded" },
  concluded: { zh: "调解结案", en: "Concluded" },
  closed: { zh: "办结", en: "Closed" },
  participants_added: { zh: "增加参与人员", en: "Participants added" },
  case_published: { zh: "会签完成并公开发布", en: "Signed and published" },
  case_withdrawn: { zh: "撤回已发布案例", en: "Withdrawn from publication" },
  hearing_scheduled: { zh: "确定开庭时间地点", en: "Hearing scheduled" },
  outcome_recorded: { zh: "登记庭审结果", en: "Outcome recorded" },
  deadline_recomputed: {
    zh: "按更新的节假日安排重算期限",
    en: "Deadline recomputed on the updated holiday calendar",
  },
});

// ── Exchanges: referral notices, periodic reports, petition-risk alerts; joint mediation ─────────

export const EXCHANGE_KINDS = vocabulary({
  referral: { zh: "线索通报", en: "Referral notice" },
  report: { zh: "定期通报", en: "Periodic report" },
  risk_alert: { zh: "访情舆情预警", en: "Petition-risk alert" },
});
export type ExchangeKind = (typeof EXCHANGE_KINDS.codes)[number];

/** What a referral notice is about (S3.1.5). */
export const REFERRAL_KINDS = vocabulary({
  false_litigation: { zh: "虚假诉讼", en: "False litigation" },
  refusal_to_execute: { zh: "拒不执行判决、裁定", en: "Refusal to execute a judgment or ruling" },
  obstructing_proceedings: { zh: "妨碍诉讼、扰乱诉讼秩序", en: "Obstructing or disrupting proceedings" },
  threats_against_staff: { zh: "威胁恐吓伤害司法人员", en: "Threats or violence against judicial staff" },
});

export const REFERRAL_STATUSES = vocabulary({
  sent: { zh: "已通报,待签收", en: "Sent, awaiting acknowledgement" },
  acknowledged: { zh: "已签收,办理中", en: "Acknowledged" },
  handled: { zh: "已反馈处理情况", en: "Handled" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
});

/** What the recipient of a referral notice did with it. */
export const REFERRAL_ACTIONS = vocabulary({
  opened_supervision: { zh: "启动监督程序", en: "Opened supervision" },
  joined_case: { zh: "参与法院案件办理", en: "Joined the court's case" },
  case_reviewed: { zh: "对相关案件进行审查处理", en: "Reviewed the affected case" },
  referred_onward: { zh: "移送有关机关处理", en: "Referred to another authority" },
  no_action: { zh: "不予处理(附理由)", en: "No action (with reason)" },
});

/** Who owes a periodic report. */
export const REPORTERS = vocabulary({
  court: { zh: "法院通报", en: "The court reports" },
  procuratorate: { zh: "检察院通报", en: "The procuratorate reports" },
  both: { zh: "双方互相通报", en: "Both report to each other" },
});

/** What a periodic report series is about (S3.1.2). */
export const REPORT_TOPICS = vocabulary({
  minors: { zh: "涉未成年人案件", en: "Cases involving minors" },
  false_litigation: { zh: "虚假诉讼", en: "False litigation" },
  enforcement_obstruction: { zh: "妨碍执行、拒不执行", en: "Obstruction of enforcement" },
  other: { zh: "其他", en: "Other" },
});

export const REPORT_STATUSES = vocabulary({
  due: { zh: "待提交", en: "Due" },
  submitted: { zh: "已提交", en: "Submitted" },
  read: { zh: "对方已阅", en: "Read by the other side" },
});

export const RISK_LEVELS = vocabulary({
  high: { zh: "高风险", en: "High" },
  medium: { zh: "中风险", en: "Medium" },
  low: { zh: "低风险", en: "Low" },
});

/** The dimensions that make a supervision case's petition risk serious (S3.3.4). */
export const RISK_DIMENSIONS = vocabulary({
  petition: { zh: "当事人有严重信访倾向", en: "A party is likely to petition" },
  mass: { zh: "涉重大群体性", en: "Mass (many people involved)" },
  sensitive: { zh: "涉敏感性", en: "Sensitive" },
  public_opinion: { zh: "涉网络舆情", en: "Public opinion online" },
});

export const RISK_ALERT_STATUSES = vocabulary({
  raised: { zh: "已预警,待对方签收", en: "Raised, awaiting acknowledgement" },
  acknowledged: { zh: "已签收,共同研判中", en: "Acknowledged, under joint assessment" },
  closed: { zh: "已办结", en: "Closed" },
});

export const NOTE_KINDS = vocabulary({
  comment: { zh: "意见", en: "Comment" },
  assessment: { zh: "风险评估", en: "Risk assessment" },
});

export const MEDIATION_STATUSES = vocabulary({
  open: { zh: "调解中", en: "In mediation" },
  concluded: { zh: "已结案", en: "Concluded" },
});

export const MEDIATION_OUTCOMES = vocabulary({
  agreement: { zh: "达成调解协议", en: "Mediated agreement" },
  withdrawn: { zh: "撤回", en: "Withdrawn" },
  failed: { zh: "调解不成", en: "Mediation failed" },
  judgment: { zh: "依法判决", en: "Decided by judgment" },
});

// ── Trainings, the annual seminar, joint research ─────────────────────────────────────────────

export const TRAINING_KINDS = vocabulary({
  training: { zh: "业务培训(向对方开放)", en: "Training (opened to the counterpart)" },
  joint_training: { zh: "联合培训", en: "Joint training" },
  seminar: { zh: "学术研讨会", en: "Academic seminar" },
  exchange: { zh: "交流活动", en: "Exchange activity" },
});
export type TrainingKind = (typeof TRAINING_KINDS.codes)[number];

export const TRAINING_STATUSES = vocabulary({
  planning: { zh: "筹备中", en: "Planning" },
  published: { zh: "已发布", en: "Published" },
  cancelled: { zh: "已取消", en: "Cancelled" },
});

export const REGISTRATION_STATUSES = vocabulary({
  pending: { zh: "待主办方审核", en: "Awaiting the organiser's approval" },
  confirmed: { zh: "报名成功", en: "Confirmed" },
  waitlisted: { zh: "候补", en: "On the waiting list" },
  offered: { zh: "候补递补待确认", en: "Seat offered" },
  withdrawn: { zh: "已取消报名", en: "Withdrawn" },
  rejected: { zh: "未通过审核", en: "Rejected" },
  expired: { zh: "递补逾期未确认", en: "Offer expired" },
  declined: { zh: "放弃递补", en: "Offer declined" },
});
export type RegistrationStatus = (typeof REGISTRATION_STATUSES.codes)[number];

export const QUESTION_TYPES = vocabulary({
  text: { zh: "填空", en: "Text" },
  single: { zh: "单选", en: "Single choice" },
  multiple: { zh: "多选", en: "Multiple choice" },
  yes_no: { zh: "是/否", en: "Yes / no" },
});

export const CHECKIN_METHODS = vocabulary({
  organiser: { zh: "主办方登记", en: "Recorded by the organiser" },
  qr: { zh: "扫码签到", en: "QR code check-in" },
});

export const RESEARCH_STATUSES = vocabulary({
  active: { zh: "调研中", en: "In progress" },
  completed: { zh: "已结题", en: "Completed" },
  cancelled: { zh: "已终止", en: "Cancelled" },
});

export const MILESTONE_STATUSES = vocabulary({
  open: { zh: "进行中", en: "Open" },
  done: { zh: "已完成", en: "Done" },
});

// ── Shared case information, typical cases, two-heads hearings, statistics (issue #13) ───────────

/** Where a shared case stands. */
export const CASE_STAGES = vocabulary({
  filed: { zh: "立案", en: "Filed" },
  trial: { zh: "审理中", en: "On trial" },
  judged: { zh: "已裁判", en: "Judged" },
  mediated: { zh: "已调解", en: "Mediated" },
  enforcement: { zh: "执行中", en: "In enforcement" },
  closed: { zh: "已结案", en: "Closed" },
  supervision: { zh: "监督中", en: "Under supervision" },
});

/** What the counterpart may see by rule (a grant without a single case). */
export const CASE_GRANT_RULES = vocabulary({
  all: { zh: "全部共享案件", en: "Every shared case" },
  with_supervision_document: { zh: "有监督文书的案件", en: "Cases with a supervision document" },
});

export const CASE_ACCESS_ACTIONS = vocabulary({
  read: { zh: "查阅", en: "Read" },
  search: { zh: "检索", en: "Search" },
  copy: { zh: "复制", en: "Copy" },
  export: { zh: "导出", en: "Export" },
});

export const TYPICAL_CASE_KINDS = vocabulary({
  typical: { zh: "典型案例", en: "Typical case" },
  reference: { zh: "参考性案例", en: "Reference case" },
});

export const TYPICAL_CASE_STATUSES = vocabulary({
  draft: { zh: "草稿", en: "Draft" },
  signing: { zh: "会签中", en: "Being signed" },
  published: { zh: "已发布", en: "Published" },
  withdrawn: { zh: "已撤回", en: "Withdrawn" },
});

/** The anonymisation checklist every typical case passes before signature. */
export const ANONYMISATION_CHECKS = vocabulary({
  names: { zh: "当事人姓名已隐去", en: "Parties' names removed" },
  identifiers: { zh: "身份证号、住址、联系方式已删除", en: "ID numbers, addresses, contacts removed" },
  minors: { zh: "未成年人信息已隐去", en: "Minors' information removed" },
  business_secrets: { zh: "商业秘密已隐去", en: "Business secrets removed" },
  victims: { zh: "被害人隐私已保护", en: "Victims' privacy protected" },
});

export const TWO_HEADS_STATUSES = vocabulary({
  pending_approval: { zh: "待两长批准", en: "Awaiting both heads' approval" },
  approved: { zh: "已批准", en: "Approved" },
  rejected: { zh: "未获批准", en: "Not approved" },
  scheduled: { zh: "已定庭期", en: "Hearing scheduled" },
  held: { zh: "已开庭", en: "Held" },
  cancelled: { zh: "已取消", en: "Cancelled" },
});

/** The result of a case retried after a protest or retrial suggestion. */
export const RETRIAL_RESULTS = vocabulary({
  upheld: { zh: "维持原判", en: "Upheld" },
  changed: { zh: "改判", en: "Judgment changed" },
  remanded: { zh: "发回重审", en: "Remanded" },
  mediated: { zh: "调解结案", en: "Mediated" },
});
export type RetrialResult = (typeof RETRIAL_RESULTS.codes)[number];
