// The anchor (issue 8, section 1): the least a Node host on this stack can do per request — a bare Hono
// app that reads one row by primary key through @libsql/client from a file database, served by
// @hono/node-server, no auth and no middleware. bench/http.ts loads it in the same run as `/v1/me`.
import { serve } from "@hono/node-server";
import { createClient } from "@libsql/client";
import { Hono } from "hono";
import type { Server } from "node:http";
import { join } from "node:path";

export const ANCHOR_ROWS = 1_000;
export const ANCHOR_PATH = "/row/500";
/** The same row, answered with the headers and the body size of another answer (see `Shape`). */
export const SHAPED_ANCHOR_PATH = "/shaped/500";

/**
 * The HTTP shape of an answer to imitate: its headers (set as they are, so the bytes on the wire match)
 * and its body size; the row is padded to that many bytes. It isolates what a route does beyond the
 * anchor (auth, tenancy, its SQL) from the cost of the bytes it sends.
 */
export type Shape = { headers: Record<string, string>; bodyBytes: number };

/** Starts the anchor on `port` with a fresh `rows`-row file database in `dir`. */
export async function startAnchor(dir: string, port: number, rows = ANCHOR_ROWS, shape?: Shape) {
  const client = createClient({ url: `file:${join(dir, "anchor.db")}` });
  await client.batch(
    [
      "create table item (id integer primary key, name text not null, qty integer not null)",
      {
        sql: `insert into item (id, name, qty)
              with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
              select i, 'item ' || i, i * 7 from n`,
        args: [rows],
      },
    ],
    "write",
  );
  const app = new Hono();
  app.get("/row/:id", async (c) => {
    const rs = await client.execute({
      sql: "select id, name, qty from item where id = ?",
      args: [Number(c.req.param("id"))],
    });
    const row = rs.rows[0];
    return row ? c.json({ id: row.id, name: row.name, qty: row.qty }) : c.json({ error: "not_found" }, 404);
  });
  if (shape)
    app.get("/shaped/:id", async (c) => {
      const rs = await client.execute({
        sql: "select id, name, qty from item where id = ?",
        args: [Number(c.req.param("id"))],
      });
      const row = rs.rows[0];
      if (!row) return c.json({ error: "not_found" }, 404);
      const bare = { id: row.id, name: row.name, qty: row.qty, pad: "" };
      const pad = shape.bodyBytes - Buffer.byteLength(JSON.stringify(bare));
      return c.json({ ...bare, pad: "x".repeat(Math.max(0, pad)) }, 200, shape.headers);
    });
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }) as Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", resolve)));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections?.();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.close();
    },
  };
}
