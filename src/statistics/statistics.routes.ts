// HTTP routes of statistics and the city roll-up (foundation stub).
import { newRouter } from "../http/api";

export const statisticsRoutes = newRouter();
