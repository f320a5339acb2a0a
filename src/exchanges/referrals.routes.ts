// HTTP routes of referrals (foundation stub).
import { newRouter } from "../http/api";

export const referralsRoutes = newRouter();
