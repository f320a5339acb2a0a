// Webhook delivery from the Node host: whatever a host name resolves to, no connection is made to a
// private, loopback or link-local address. The check runs on the very addresses the socket is about
// to use (undici's connect lookup), so a DNS answer that changes between checks cannot slip past.
// (On Workers, fetch cannot reach private networks in the first place.)
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { Agent, fetch as undiciFetch } from "undici";
import { isPrivateAddress } from "../webhooks/url";

type Lookup = typeof dnsLookup;

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
        if (all.some((a) => isPrivateAddress(a.address)))
          return callback(
            Object.assign(new Error(`${hostname} resolves to a private or loopback address`), {
              code: "EPRIVATEADDRESS",
            }),
            address,
            family,
          );
        callback(null, address, family);
      },
    )) as unknown as Lookup;
  const dispatcher = new Agent({ connect: { lookup: guarded } });
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}
