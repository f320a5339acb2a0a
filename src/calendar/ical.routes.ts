// Placeholder: filled in by the meetings work (issue #10).
import { newRouter } from "../http/api";

export const icalRoutes = newRouter();
