// HTTP routes of typical-cases (foundation stub).
import { newRouter } from "../http/api";

export const typicalCasesRoutes = newRouter();
