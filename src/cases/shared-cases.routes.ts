// HTTP routes of shared-cases (foundation stub).
import { newRouter } from "../http/api";

export const sharedCasesRoutes = newRouter();
