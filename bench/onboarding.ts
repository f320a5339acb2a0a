// Onboarding (issue 9): DB round trips of every onboarding route and of the routes that became the
// operator's (goal 1), each measured in a state where it succeeds.
import { roundTripsPerRequest } from "./hrana";

const CITY_ADMIN = "court.admin@city.demo";

const pair = (code: string) => ({
  code,
  name: `西山${code}`,
  courtName: `西山${code}人民法院`,
  procuratorateName: `西山${code}人民检察院`,
  courtAdmin: { email: `court.admin.${code}@xishan.bench` },
  procuratorateAdmin: { email: `proc.admin.${code}@xishan.bench` },
});

export async function onboardingRoundTrips(): Promise<Record<string, unknown>> {
  const figures = await roundTripsPerRequest([], {
    repeat: 1,
    prepare: async ({ request, operatorToken }) => {
      const op = await operatorToken();
      const basic = await request({
        method: "POST",
        path: "/v1/jurisdictions",
        token: CITY_ADMIN,
        body: pair("B0"),
        headers: { "idempotency-key": "bench-prep-basic" },
      });
      const [courtInvite, procInvite] = basic.body.invitations;
      const admin = await request({
        method: "POST",
        path: "/v1/invitations/accept",
        body: { token: courtInvite.token, password: "bench passphrase 1" },
      });
      const org = admin.body.account.organization.id;
      const invite = await request({
        method: "POST",
        path: `/v1/organizations/${org}/invitations`,
        token: admin.body.accessToken,
        body: { email: "revoke.me@xishan.bench", roles: ["handler"] },
      });
      return [
        {
          method: "POST",
          path: "/v1/jurisdictions",
          label: "POST /v1/jurisdictions (operator: city pair)",
          token: op,
          body: pair("C1"),
          headers: { "idempotency-key": "bench-city" },
          expect: 201,
        },
        {
          method: "POST",
          path: "/v1/jurisdictions",
          label: "POST /v1/jurisdictions (city admin: basic pair)",
          token: CITY_ADMIN,
          body: pair("B1"),
          headers: { "idempotency-key": "bench-basic" },
          expect: 201,
        },
        {
          method: "POST",
          path: "/v1/invitations/accept",
          body: { token: procInvite.token, password: "bench passphrase 2" },
          expect: 201,
        },
        {
          method: "POST",
          path: `/v1/organizations/${org}/invitations`,
          label: "POST /v1/organizations/{id}/invitations",
          token: admin.body.accessToken,
          body: { email: "handler@xishan.bench", roles: ["handler"] },
          expect: 201,
        },
        {
          method: "GET",
          path: `/v1/organizations/${org}/invitations?status=pending`,
          label: "GET /v1/organizations/{id}/invitations",
          token: admin.body.accessToken,
          expect: 200,
        },
        {
          method: "DELETE",
          path: `/v1/organizations/${org}/invitations/${invite.body.id}`,
          label: "DELETE /v1/organizations/{id}/invitations/{invitationId}",
          token: admin.body.accessToken,
          expect: 200,
        },
        {
          method: "POST",
          path: "/v1/operators/invitations",
          token: op,
          body: { email: "second.operator@ops.bench" },
          expect: 201,
        },
        {
          method: "PUT",
          path: "/v1/calendar/2027",
          label: "PUT /v1/calendar/{year}",
          token: op,
          body: { days: [] },
          expect: 200,
        },
        { method: "GET", path: "/v1/admin/jobs", token: op, expect: 200 },
      ];
    },
  });
  return { roundTripsPerRequest: figures };
}
