// Webhook delivery from the Node host: no connection is made to an address that is not global
// unicast (src/webhooks/url.ts `addressProblem`), whether the URL names the address or a host name
// resolves to it. For a name the check runs on the very addresses the socket is about to use
// (undici's connect lookup), so a DNS answer that changes between checks cannot slip past; Node skips
// that lookup for an IP literal, so the connector itself checks a literal before connecting.
// (On Workers, fetch cannot reach private networks in the first place.)
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { addressProblem } from "../webhooks/url";

type Lookup = typeof dnsLookup;

const refusal = (target: string, problem: string) =>
  Object.assign(new Error(`refused to connect to ${target}: ${problem}`), { code: "EPRIVATEADDRESS" });

export function guardedFetch(lookup: Lookup = dnsLookup): typeof fetch {
  const guarded = ((
    hostname: string,
    options: object,
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) =>
    lookup(
      hostname,
      options,
      (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
        if (err) return callback(err, address, family);
        const all = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
        for (const a of all) {
          const problem = addressProblem(a.address);
          if (problem) return callback(refusal(hostname, problem), address, family);
        }
        callback(null, address, family);
      },
    )) as unknown as Lookup;
  const connectVia = buildConnector({ lookup: guarded });
  const connect: buildConnector.connector = (options, callback) => {
    // undici passes an IPv6 literal without its brackets.
    const problem = isIP(options.hostname) ? addressProblem(options.hostname) : null;
    if (problem) return callback(refusal(options.hostname, problem), null);
    connectVia(options, callback);
  };
  const dispatcher = new Agent({ connect });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
