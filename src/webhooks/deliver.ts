// Webhook delivery: fan the outbox out to subscribed endpoints, claim due deliveries with a lease
// (one statement, so two overlapping runs claim disjoint sets; a crashed run's lease expires),
// POST each signed per the Standard Webhooks spec, then record every outcome in one batch:
// exponential backoff, give up after MAX attempts, disable an endpoint after repeated failures.
// An attempt is counted and logged by the same claim batch, and its log line gets the outcome later,
// so the delivery's attempt count and its log agree whatever stops a run in between.
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { Deps } from "../http/api";
import { withinBusinessHours } from "../notifications/hours";
import { webhookUrlProblem } from "./url";
import { INSERT_NOTIFICATIONS } from "../notifications/notify";

export const WEBHOOK_POLICY = {
  /** Attempts per delivery before it is given up. */
  maxAttempts: 8,
  /**
   * Backoff after the n-th failed attempt: first × factor^(n-1), capped (1 min, 3, 9, 27 min,
   * 1.35 h, 4 h, 12 h).
   */
  firstDelayMs: 60_000,
  factor: 3,
  maxDelayMs: 24 * 3600_000,
  /** Consecutive failed attempts (over all its deliveries) after which an endpoint is disabled. */
  disableAfter: 10,
  leaseMs: 5 * 60_000,
  timeoutMs: 10_000,
  /** Deliveries per run, and how many requests are in flight at once. */
  chunk: 200,
  concurrency: 10,
} as const;

export const backoffMs = (attempts: number) =>
  Math.min(WEBHOOK_POLICY.firstDelayMs * WEBHOOK_POLICY.factor ** (attempts - 1), WEBHOOK_POLICY.maxDelayMs);

type Claimed = {
  id: string;
  attempts: number;
  endpointId: string;
  url: string;
  secret: string;
  eventId: string;
  payload: string;
};
type Outcome = {
  id: string;
  ok: 0 | 1;
  status: number | null;
  error: string | null;
  ms: number;
  next: string;
  endpointId: string;
};

/** The text of an attempt whose outcome is not recorded yet, and of one whose run stopped before it was. */
export const IN_FLIGHT = "in flight: no outcome recorded yet";
export const INTERRUPTED = "interrupted: the run stopped before recording an outcome";

/**
 * Fans the outbox out and claims due deliveries for this run (`token`). In the same batch as each
 * claim counts its attempt, that attempt is logged (IN_FLIGHT until its outcome is recorded), so the
 * count and the log agree whatever crashes afterwards; the in-flight attempts of deliveries whose
 * lease expired (their run died) are marked INTERRUPTED, and a delivery whose last allowed attempt was
 * interrupted is given up.
 */
export async function claimDeliveries(deps: Deps, now: Date, token: string) {
  const { db } = deps;
  const at = now.toISOString();
  const expired = sql`select wd.id from webhook_deliveries wd
    where wd.status = 'pending' and wd.lease_until <= ${at}`;
  const [fanned, , interrupted, gaveUp, , , claimed] = (await db.batch([
    db.run(sql`insert into webhook_deliveries (id, jurisdiction_id, org_id, endpoint_id, event_id, urgent,
        status, attempts, next_attempt_at, created_at)
      select e.id || '.' || ep.id, ep.jurisdiction_id, ep.org_id, ep.id, e.id, e.urgent,
        'pending', 0, e.created_at, ${at}
      from webhook_events e join webhook_endpoints ep on ep.active = 1 and ep.created_at <= e.created_at
        and exists (select 1 from json_each(e.org_ids) o_ where o_.value = ep.org_id)
        and exists (select 1 from json_each(ep.event_types) t_ where t_.value = e.type or t_.value = '*')
      where e.fanned_out = 0 and e.created_at <= ${at}
      on conflict do nothing`),
    db.run(sql`update webhook_events set fanned_out = 1 where fanned_out = 0 and created_at <= ${at}`),
    db.run(sql`update webhook_attempts set error = ${INTERRUPTED}
      where delivery_id in (${expired}) and status_code is null and error = ${IN_FLIGHT}`),
    db.run(sql`update webhook_deliveries
      set status = 'failed', lease_until = null, last_status_code = null, last_error = ${INTERRUPTED}
      where id in (${expired}) and attempts >= ${WEBHOOK_POLICY.maxAttempts}`),
    db.run(sql`update webhook_deliveries
      set lease_token = ${token},
        lease_until = ${new Date(now.getTime() + WEBHOOK_POLICY.leaseMs).toISOString()},
        attempts = attempts + 1
      where id in (select wd.id from webhook_deliveries wd join webhook_endpoints ep on ep.id = wd.endpoint_id
        where wd.status = 'pending' and wd.next_attempt_at <= ${at}
          and (wd.lease_until is null or wd.lease_until <= ${at}) and ep.active = 1
          and wd.attempts < ${WEBHOOK_POLICY.maxAttempts}
          and (wd.urgent or ${withinBusinessHours(sql`ep.jurisdiction_id`, now)})
        order by wd.urgent desc, wd.next_attempt_at, wd.id limit ${WEBHOOK_POLICY.chunk})`),
    db.run(sql`insert into webhook_attempts (id, jurisdiction_id, org_id, delivery_id, endpoint_id, attempt,
        at, status_code, error, duration_ms)
      select wd.id || '#' || wd.attempts, wd.jurisdiction_id, wd.org_id, wd.id, wd.endpoint_id, wd.attempts,
        ${at}, null, ${IN_FLIGHT}, 0
      from webhook_deliveries wd where wd.lease_token = ${token}`),
    db.all<Claimed>(sql`select wd.id, wd.attempts, wd.endpoint_id as endpointId, ep.url, ep.secret,
        e.id as eventId, e.payload
      from webhook_deliveries wd join webhook_endpoints ep on ep.id = wd.endpoint_id
        join webhook_events e on e.id = wd.event_id
      where wd.lease_token = ${token} order by wd.id`),
  ] as const)) as unknown as [
    { rowsAffected: number },
    unknown,
    { rowsAffected: number },
    { rowsAffected: number },
    unknown,
    unknown,
    Claimed[],
  ];
  return {
    fannedOut: fanned.rowsAffected,
    interrupted: interrupted.rowsAffected,
    gaveUp: gaveUp.rowsAffected,
    claimed,
  };
}

export async function deliverWebhooks(deps: Deps, now: Date) {
  const { db, clock } = deps;
  const token = deps.ids();
  const { claimed, ...claim } = await claimDeliveries(deps, now, token);
  if (claimed.length === 0) return { ...claim, attempted: 0, delivered: 0, failed: 0, disabled: 0 };

  const outcomes: Outcome[] = [];
  const queue = [...claimed];
  const worker = async () => {
    for (let d = queue.shift(); d; d = queue.shift()) outcomes.push(await attempt(deps, d, now));
  };
  await Promise.all(Array.from({ length: Math.min(WEBHOOK_POLICY.concurrency, claimed.length) }, worker));

  // Per endpoint, in completion order: reset on a success, then count the failures after it.
  const perEndpoint = new Map<string, { reset: 0 | 1; add: number }>();
  for (const o of outcomes) {
    const e = perEndpoint.get(o.endpointId) ?? { reset: 0, add: 0 };
    perEndpoint.set(o.endpointId, o.ok ? { reset: 1, add: 0 } : { reset: e.reset, add: e.add + 1 });
  }
  const endpoints = JSON.stringify([...perEndpoint].map(([id, e]) => ({ id, ...e })));
  const results = JSON.stringify(outcomes);
  const finished = clock.now().toISOString();
  const newFailures = sql`(case when x.reset then x.fails
    else webhook_endpoints.consecutive_failures + x.fails end)`;
  const [, , , , [disabled]] = (await db.batch([
    // The attempt's log line, written at its claim, gets its outcome (a run whose lease has meanwhile
    // passed to another run records nothing: its attempt stays counted and logged as interrupted).
    db.run(sql`update webhook_attempts set status_code = r.status, error = r.error, duration_ms = r.ms
      from (select value ->> 'id' as id, value ->> 'status' as status, value ->> 'error' as error,
          value ->> 'ms' as ms
        from json_each(${results})) as r
        join webhook_deliveries wd on wd.id = r.id and wd.lease_token = ${token}
      where webhook_attempts.id = wd.id || '#' || wd.attempts and webhook_attempts.error = ${IN_FLIGHT}`),
    db.run(sql`update webhook_deliveries set
        status = case when r.ok then 'delivered'
          when webhook_deliveries.attempts >= ${WEBHOOK_POLICY.maxAttempts} then 'failed' else 'pending' end,
        delivered_at = case when r.ok then ${finished} end,
        next_attempt_at = case when r.ok then webhook_deliveries.next_attempt_at else r.next end,
        last_status_code = r.status, last_error = r.error, lease_until = null
      from (select value ->> 'id' as id, value ->> 'ok' as ok, value ->> 'status' as status,
          value ->> 'error' as error, value ->> 'next' as next
        from json_each(${results})) as r
      where webhook_deliveries.id = r.id and webhook_deliveries.lease_token = ${token}`),
    db.run(sql`update webhook_endpoints set
        consecutive_failures = ${newFailures},
        disabled_at = case when active and ${newFailures} >= ${WEBHOOK_POLICY.disableAfter}
          then ${finished} else disabled_at end,
        disabled_reason = case when active and ${newFailures} >= ${WEBHOOK_POLICY.disableAfter}
          then ${`${WEBHOOK_POLICY.disableAfter} consecutive failed deliveries`} else disabled_reason end,
        active = case when ${newFailures} >= ${WEBHOOK_POLICY.disableAfter} then 0 else active end
      from (select value ->> 'id' as id, value ->> 'reset' as reset, value ->> 'add' as fails
        from json_each(${endpoints})) as x
      where webhook_endpoints.id = x.id`),
    // The organisation's administrators learn that an endpoint was disabled (once per disabling).
    db.run(sql`${INSERT_NOTIFICATIONS}
      select ${token} || '.' || ep.id || '.' || r_.user_id, ep.jurisdiction_id, r_.user_id,
        'webhook.disabled', 'webhook', ep.id,
        'Webhook 接收地址 ' || ep.url || ' 连续' || ep.consecutive_failures ||
          '次投递失败,已停用;修复后请重新启用。',
        'Webhook endpoint ' || ep.url || ' was disabled after ' || ep.consecutive_failures ||
          ' consecutive failed deliveries; re-enable it once fixed.',
        1, 'webhook-disabled:' || ep.id || ':' || ep.disabled_at || ':' || r_.user_id, ${finished}
      from webhook_endpoints ep join role_assignments r_ on r_.org_id = ep.org_id and r_.role = 'admin'
      where ep.active = 0 and ep.disabled_at = ${finished}
        and ep.id in (select value ->> 'id' from json_each(${endpoints}))
      on conflict do nothing`),
    db.all<{ n: number }>(
      sql`select count(*) as n from webhook_endpoints
        where active = 0 and disabled_at = ${finished}
          and id in (select value ->> 'id' from json_each(${endpoints}))`,
    ),
  ] as const)) as unknown as [unknown, unknown, unknown, unknown, { n: number }[]];
  const delivered = outcomes.filter((o) => o.ok).length;
  return {
    ...claim,
    attempted: outcomes.length,
    delivered,
    failed: outcomes.length - delivered,
    disabled: disabled?.n ?? 0,
  };
}

async function attempt(deps: Deps, d: Claimed, now: Date): Promise<Outcome> {
  const started = deps.clock.now().getTime();
  const next = new Date(now.getTime() + backoffMs(d.attempts)).toISOString();
  const base = { id: d.id, endpointId: d.endpointId, next };
  const refused = webhookUrlProblem(d.url, deps.config.ALLOW_PRIVATE_WEBHOOKS);
  if (refused) return { ...base, ok: 0, status: null, error: `refused: ${refused}`, ms: 0 };
  try {
    const signature = new Webhook(d.secret).sign(d.eventId, now, d.payload);
    const res = await (deps.webhookFetch ?? fetch)(d.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "fajian-xietong-webhooks/1",
        "webhook-id": d.eventId,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: d.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_POLICY.timeoutMs),
    });
    await res.body?.cancel().catch(() => {});
    const ms = deps.clock.now().getTime() - started;
    const ok = res.status >= 200 && res.status < 300;
    return { ...base, ok: ok ? 1 : 0, status: res.status, error: ok ? null : `HTTP ${res.status}`, ms };
  } catch (e) {
    return {
      ...base,
      ok: 0,
      status: null,
      error: String((e as Error)?.message ?? e).slice(0, 500),
      ms: deps.clock.now().getTime() - started,
    };
  }
}
