// HTTP routes of risk-alerts (foundation stub).
import { newRouter } from "../http/api";

export const riskAlertsRoutes = newRouter();
