-- Every date 2000-01-01 … 2060-12-31 as a working day or weekend; official holidays and make-up
-- working days (调休) are loaded per year on top (src/calendar), after which the indexes are recomputed.
INSERT INTO calendar_days (day, kind)
WITH RECURSIVE d(day) AS (SELECT '2000-01-01' UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < '2060-12-31')
SELECT day, CASE WHEN strftime('%w', day) IN ('0', '6') THEN 'weekend' ELSE 'workday' END FROM d;
--> statement-breakpoint
UPDATE calendar_days SET wd_idx = w.i, wd_idx_strict = w.i
FROM (SELECT day, sum(kind = 'workday') OVER (ORDER BY day) AS i FROM calendar_days) AS w
WHERE w.day = calendar_days.day;
--> statement-breakpoint
-- The national default reply periods (../docs: legal-deadlines). Jurisdictions override with newer rows.
INSERT INTO deadline_rules (id, jurisdiction_id, type, version, period_days, period_months, sender_sets, max_days, max_months, extension_days, extension_months, on_missed, source, created_at) VALUES
('default:protest.civil', NULL, 'protest.civil', 1, 30, NULL, 0, NULL, NULL, NULL, NULL, 'escalate', '民事诉讼法(2023修正) 第222条:自收到抗诉书之日起三十日内作出再审的裁定', '2026-11-28T00:00:00.000Z'),
('default:protest.administrative', NULL, 'protest.administrative', 1, 30, NULL, 0, NULL, NULL, NULL, NULL, 'escalate', '行诉法解释(2018) 第124条', '2026-11-28T00:00:00.000Z'),
('default:protest.criminal_retrial', NULL, 'protest.criminal_retrial', 1, NULL, 1, 0, NULL, NULL, NULL, NULL, 'escalate', '刑诉法解释(2021) 第462条;刑事诉讼法 第258条(一个月内立案)', '2026-11-28T00:00:00.000Z'),
('default:protest.criminal_appeal', NULL, 'protest.criminal_appeal', 1, NULL, 2, 0, NULL, NULL, NULL, NULL, 'escalate', '刑事诉讼法(2018) 第243条', '2026-11-28T00:00:00.000Z'),
('default:retrial_suggestion.civil', NULL, 'retrial_suggestion.civil', 1, NULL, 3, 0, NULL, NULL, NULL, NULL, 'escalate', '民诉法解释(2022) 第417条', '2026-11-28T00:00:00.000Z'),
('default:retrial_suggestion.administrative', NULL, 'retrial_suggestion.administrative', 1, NULL, 3, 0, NULL, NULL, NULL, NULL, 'escalate', '行诉法解释(2018) 第126条', '2026-11-28T00:00:00.000Z'),
('default:suggestion.enforcement', NULL, 'suggestion.enforcement', 1, NULL, 3, 0, NULL, NULL, NULL, 1, 'followup_next_level', '两高《关于民事执行活动法律监督若干问题的规定》(2016):三个月内回复,经院长批准可延长一个月(条文号待确认)', '2026-11-28T00:00:00.000Z'),
('default:suggestion.general', NULL, 'suggestion.general', 1, NULL, 2, 0, NULL, NULL, NULL, NULL, 'escalate', '人民检察院检察建议工作规定(2019)(条文号待确认)', '2026-11-28T00:00:00.000Z'),
('default:correction.criminal_notice', NULL, 'correction.criminal_notice', 1, NULL, 1, 1, 90, 3, NULL, NULL, 'urge_then_report', '人民检察院刑事诉讼规则(2019) 第553条:期限由通知书载明', '2026-11-28T00:00:00.000Z'),
('default:correction.commutation_parole', NULL, 'correction.commutation_parole', 1, NULL, 1, 0, NULL, NULL, NULL, NULL, 'escalate', '刑事诉讼法 第274条;刑诉法解释 第539条', '2026-11-28T00:00:00.000Z'),
('default:correction.trial_procedure', NULL, 'correction.trial_procedure', 1, NULL, 1, 0, NULL, NULL, NULL, NULL, 'escalate', '刑事诉讼法 第209条;人民检察院组织法(2018) 第21条(“及时”,政策默认一个月)', '2026-11-28T00:00:00.000Z'),
('default:judicial_suggestion', NULL, 'judicial_suggestion', 1, NULL, 2, 1, 60, 2, NULL, NULL, 'escalate', '法释〔2023〕11号 第8条:个案确定,一般不超过两个月', '2026-11-28T00:00:00.000Z'),
('default:court_suggestion.enforcement_supervision', NULL, 'court_suggestion.enforcement_supervision', 1, NULL, 3, 0, NULL, NULL, NULL, NULL, 'escalate', '2016年民事执行活动法律监督规定(条文号待确认)', '2026-11-28T00:00:00.000Z');
