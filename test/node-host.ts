// Starts the real Node host (`npm start`'s startServer) on a fresh database and a free loopback port.
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/node/server";

export async function startNodeHost(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "fjxt-host-"));
  const host = await startServer({
    LIBSQL_URL: `file:${join(dir, "test.db")}`,
    HOST: "127.0.0.1",
    PORT: "0",
    CRON: "off",
    SEED_DEMO: "false",
    ...env,
  });
  const { server } = host;
  if (!server.listening) await new Promise((resolve) => server.once("listening", resolve));
  const port = (server.address() as AddressInfo).port;
  return { ...host, port, url: `http://127.0.0.1:${port}` };
}
