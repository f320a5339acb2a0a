// HTTP routes of two-heads (foundation stub).
import { newRouter } from "../http/api";

export const twoHeadsRoutes = newRouter();
