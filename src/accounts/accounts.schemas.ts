// Request and response schemas of sign-in, sessions, user status and the sign-in audit.
import { z } from "@hono/zod-openapi";
import { coded } from "../http/api";
import { PASSWORD_MIN_LENGTH } from "./accounts.service";

export const AUTH_EVENT_KINDS = {
  login_succeeded: { zh: "登录成功", en: "Signed in" },
  login_failed: { zh: "登录失败", en: "Sign-in failed" },
  login_locked: { zh: "账户锁定", en: "Account locked" },
  password_change_failed: {
    zh: "修改密码失败(当前密码错误)",
    en: "Password change failed (wrong current password)",
  },
  refresh_reused: { zh: "刷新令牌重复使用(会话已终止)", en: "Refresh token reused (session ended)" },
  logout: { zh: "退出登录", en: "Signed out" },
  password_changed: { zh: "修改密码", en: "Password changed" },
  password_reset: { zh: "重置密码(服务器上)", en: "Password reset (on the server)" },
  user_disabled: { zh: "停用用户", en: "User disabled" },
  user_enabled: { zh: "启用用户", en: "User enabled" },
  invitation_created: { zh: "发出邀请", en: "Invitation created" },
  invitation_accepted: { zh: "接受邀请", en: "Invitation accepted" },
  invitation_revoked: { zh: "撤销邀请", en: "Invitation revoked" },
} as const;
export type AuthEventKindCode = keyof typeof AUTH_EVENT_KINDS;
const KIND_CODES = Object.keys(AUTH_EVENT_KINDS) as [AuthEventKindCode, ...AuthEventKindCode[]];

const Email = z.string().trim().min(3).max(254).openapi({ example: "court.admin@donghu.demo" });

export const LoginBody = z
  .object({
    email: Email,
    password: z.string().min(1).max(1024).openapi({ example: "correct horse battery" }),
  })
  .openapi("Login");

export const RefreshBody = z.object({ refreshToken: z.string().min(16).max(200) }).openapi("Refresh");

export const PasswordBody = z
  .object({
    currentPassword: z.string().min(1).max(1024),
    newPassword: z
      .string()
      .min(PASSWORD_MIN_LENGTH)
      .max(1024)
      .openapi({ description: `At least ${PASSWORD_MIN_LENGTH} characters; not the e-mail address.` }),
  })
  .openapi("PasswordChange");

export const TokenPair = z
  .object({
    accessToken: z
      .string()
      .openapi({ description: "A JWT (typ at+jwt) naming the account (sub) and session (sid)." }),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int().openapi({ example: 900, description: "Seconds the access token lives." }),
    refreshToken: z
      .string()
      .openapi({ description: "Single use: POST /v1/auth/refresh returns the next one." }),
    refreshExpiresAt: z.string().openapi({ description: "When the session ends (sign in again after it)." }),
  })
  .openapi("TokenPair");

export const UserStatus = z
  .object({ id: z.string(), email: z.string(), name: z.string(), active: z.boolean() })
  .openapi("UserStatus");

export const AuthEvent = z
  .object({
    id: z.string(),
    kind: coded(KIND_CODES),
    at: z.string(),
    accountId: z.string().nullable(),
    email: z
      .string()
      .nullable()
      .openapi({ description: "The e-mail the event concerns (as typed, for a failed sign-in)." }),
    source: z.string().nullable().openapi({ description: "The address the request came from." }),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuthEvent");

export const AuthEventQuery = z.object({
  kind: z
    .string()
    .max(400)
    .optional()
    .openapi({ description: "Comma-separated event kinds.", example: "login_failed,login_locked" }),
  since: z.iso
    .datetime()
    .optional()
    .openapi({ description: "Only events at or after this instant (for syncing)." }),
});

export const authEventItem = (e: {
  id: string;
  kind: string;
  at: string;
  accountId: string | null;
  email: string | null;
  source: string | null;
  detail: Record<string, unknown> | null;
}) => {
  const code = e.kind as AuthEventKindCode;
  // A kind this build has no label for still shows, under its code.
  return { ...e, kind: { code, label: AUTH_EVENT_KINDS[code] ?? { zh: e.kind, en: e.kind } } };
};

export { KIND_CODES as AUTH_EVENT_CODES };
