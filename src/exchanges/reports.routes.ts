// HTTP routes of reports (foundation stub).
import { newRouter } from "../http/api";

export const reportsRoutes = newRouter();
