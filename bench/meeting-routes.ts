// Joint meetings: database round trips (pipelines) of every meeting route, each measured in a state
// where it does its work (goal: 1 each), on the demo city pair.
import { roundTripsPerRequest, type BenchRequest } from "./hrana";

const DEPT_HEAD = "court.department_head@city.demo";
const COURT_CO = "court.coordinator@city.demo";
const PROC_CO = "proc.coordinator@city.demo";
const PROC_HANDLER = "proc.handler@city.demo";

/** An instant `days` from now, in China time. */
const inDays = (days: number, hour = 9) => {
  const d = new Date(Date.now() + days * 86_400_000 + 8 * 3600_000).toISOString().slice(0, 10);
  return `${d}T${String(hour).padStart(2, "0")}:00:00+08:00`;
};

export async function meetingRoundTrips(): Promise<Record<string, unknown>> {
  return roundTripsPerRequest([], {
    repeat: 1,
    prepare: async ({ request }) => {
      const me = await request({ method: "GET", path: "/v1/me", token: DEPT_HEAD });
      const dept = me.body.user.departmentId as string;
      const proc = await request({ method: "GET", path: "/v1/me", token: PROC_HANDLER });
      const procDept = proc.body.user.departmentId as string;
      const special = (key: string): BenchRequest => ({
        method: "POST",
        path: "/v1/meetings",
        token: DEPT_HEAD,
        headers: { "idempotency-key": key },
        body: {
          subjectKind: "issue",
          subject: "涉企案件执行协作",
          title: `专题联席会议 ${key}`,
          proposingDepartmentId: dept,
          reason: "需两院协调",
        },
        expect: 201,
      });
      const create = async (key: string) => {
        const r = await request(special(key));
        if (r.status !== 201) throw new Error(`prepare: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body as { id: string; approval: { id: string } };
      };
      const a = await create("bench-meeting-a");
      for (const leader of ["court.leader@city.demo", "proc.leader@city.demo"]) {
        const s = await request({
          method: "POST",
          path: `/v1/cosignatures/${a.approval.id}/sign`,
          token: leader,
          body: {},
        });
        if (s.status !== 200) throw new Error(`prepare: sign ${s.status} ${JSON.stringify(s.body)}`);
      }
      const b = await create("bench-meeting-b");
      const topic = await request({
        method: "POST",
        path: `/v1/meetings/${a.id}/topics`,
        token: PROC_HANDLER,
        headers: { "idempotency-key": "bench-topic-1" },
        body: { field: "enforcement", title: "执行协作", proposingDepartmentId: procDept },
      });
      const invited = await request({
        method: "POST",
        path: `/v1/meetings/${a.id}/participants`,
        token: COURT_CO,
        body: { roles: ["registrar"] },
      });
      const pid = invited.body.participants[0].id as string;
      const tid = topic.body.topic.id as string;
      const on = (path: string) => `/v1/meetings/${a.id}${path}`;
      return [
        { ...special("bench-meeting-c"), label: "POST /v1/meetings" },
        { method: "GET", path: "/v1/meetings", token: COURT_CO, expect: 200 },
        { method: "GET", path: on(""), token: PROC_HANDLER, expect: 200, label: "GET /v1/meetings/{id}" },
        {
          method: "POST",
          path: on("/slot"),
          token: COURT_CO,
          body: { startsAt: inDays(10), endsAt: inDays(10, 12), place: "第一会议室" },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot",
        },
        {
          method: "POST",
          path: on("/slot"),
          token: PROC_CO,
          body: { startsAt: inDays(11), endsAt: inDays(11, 12), place: "第二会议室" },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot (counter-proposal)",
        },
        {
          method: "POST",
          path: on("/slot/confirm"),
          token: COURT_CO,
          body: { slotVersion: 2 },
          expect: 200,
          label: "POST /v1/meetings/{id}/slot/confirm",
        },
        {
          method: "POST",
          path: on("/topics"),
          token: PROC_HANDLER,
          headers: { "idempotency-key": "bench-topic-2" },
          body: { field: "civil", title: "虚假诉讼", proposingDepartmentId: procDept },
          expect: 201,
          label: "POST /v1/meetings/{id}/topics",
        },
        {
          method: "POST",
          path: on(`/topics/${tid}/decision`),
          token: COURT_CO,
          body: { decision: "accept" },
          expect: 200,
          label: "POST /v1/meetings/{id}/topics/{topicId}/decision",
        },
        {
          method: "PUT",
          path: on("/agenda"),
          token: COURT_CO,
          body: { topicIds: [tid] },
          expect: 200,
          label: "PUT /v1/meetings/{id}/agenda",
        },
        {
          method: "POST",
          path: on("/participants"),
          token: PROC_CO,
          body: { roles: ["handler", "leader"] },
          expect: 200,
          label: "POST /v1/meetings/{id}/participants",
        },
        {
          method: "POST",
          path: on("/participants"),
          token: COURT_CO,
          body: { observers: [{ organization: "示范市委政法委", name: "张三", title: "副书记" }] },
          expect: 200,
          label: "POST /v1/meetings/{id}/participants (observers)",
        },
        {
          method: "POST",
          path: on("/rsvp"),
          token: PROC_HANDLER,
          body: { response: "accepted" },
          expect: 200,
          label: "POST /v1/meetings/{id}/rsvp",
        },
        {
          method: "DELETE",
          path: on(`/participants/${pid}`),
          token: COURT_CO,
          expect: 200,
          label: "DELETE /v1/meetings/{id}/participants/{pid}",
        },
        {
          method: "POST",
          path: on("/attendance"),
          token: COURT_CO,
          body: { entries: [] },
          expect: 409,
          label: "POST /v1/meetings/{id}/attendance (refused: not started)",
        },
        {
          method: "POST",
          path: `/v1/meetings/${b.id}/cancel`,
          token: COURT_CO,
          body: { reason: "合并至例会讨论" },
          expect: 200,
          label: "POST /v1/meetings/{id}/cancel",
        },
        {
          method: "POST",
          path: `/v1/meetings/${b.id}/slot`,
          token: "court.coordinator@donghu.demo",
          body: { startsAt: inDays(10), endsAt: inDays(10, 12), place: "x" },
          expect: 404,
          label: "POST /v1/meetings/{id}/slot (outsider: 404)",
        },
      ];
    },
  });
}
