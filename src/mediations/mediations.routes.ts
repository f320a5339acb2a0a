// HTTP routes of joint mediations (foundation stub).
import { newRouter } from "../http/api";

export const mediationRoutes = newRouter();
