// deno-lint-ignore-file no-console
// The bench's fake org, run as its own process so that client and server never
// share an event loop. It seeds a FakeSalesforce, serves it on 127.0.0.1:0 and
// prints one JSON line on stdout: { url, control, credentials, ids }. A second
// loopback listener (`control`) answers the harness:
//   GET  /__stats   org counters + this process's CPU time and RSS
//   POST /__inject  body: { path?: regex source, method?, latencyMs?, times? }
//   POST /__clear   forget every pending fault
// It stops when its stdin closes (the harness exits or closes it) or after
// --max-seconds, whichever comes first, and prints its final stats on stderr.
//
// With --warm-soql Q it first runs query Q once in process, untimed, so that the pages the
// clients then fetch are served from the org's cached record bytes (a fake org that serves
// a record for the first time is about as slow as a client reading it: see fake_bench.ts).
//
// Usage: deno run --allow-net=127.0.0.1 bench/_server.ts [--accounts N] [--contacts N]
//        [--page-size N] [--max-seconds S] [--warm-soql Q]
import process from "node:process";
import { Salesforce } from "../client/salesforce.ts";
import { FakeSalesforce } from "../testing/mod.ts";
import { serveWithoutRelay } from "../testing/_served.ts";

// The org's server answers without the relay that exact drops need: no bench drops, and
// its pace must be Deno.serve's (testing/_served.ts).
serveWithoutRelay();

function flag(name: string, fallback: number): number {
  const index = Deno.args.indexOf(`--${name}`);
  if (index === -1) return fallback;
  const value = Number(Deno.args[index + 1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`--${name} must be a number`);
  }
  return value;
}

const accounts = flag("accounts", 1_000);
const contacts = flag("contacts", 0);
const pageSize = flag("page-size", 2_000);
const maxSeconds = flag("max-seconds", 1_800);

// The default daily limit (100,000) would end a full bench run with REQUEST_LIMIT_EXCEEDED.
const org = new FakeSalesforce({ pageSize, dailyApiLimit: 1_000_000_000 });

function* generate<T>(count: number, make: (i: number) => T): Generator<T> {
  for (let i = 0; i < count; i++) yield make(i);
}

const ids = org.insert(
  "Account",
  generate(accounts, (i) => ({
    Name: `Bench Account ${i}`,
    Industry: i % 2 ? "Technology" : "Retail",
    AnnualRevenue: 1_000 * i,
    NumberOfEmployees: i % 5_000,
    Phone: `+1 555 01${String(i % 100).padStart(2, "0")}`,
    Description: "Seeded for the benchmarks",
    Website: `https://example.com/${i}`,
  })),
);
org.insert(
  "Contact",
  generate(contacts, (i) => ({
    FirstName: `First${i}`,
    LastName: `Last${i}`,
    Email: `contact${i}@example.com`,
  })),
);

const warmIndex = Deno.args.indexOf("--warm-soql");
if (warmIndex !== -1) {
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: org.auth(), fetch: org.fetch });
  for await (const _ of sf.query(Deno.args[warmIndex + 1])) { /* served once, untimed */ }
}

const server = org.serve({ port: 0, hostname: "127.0.0.1" });

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function stats() {
  const cpu = process.cpuUsage();
  return {
    ...org.stats,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    rss: Deno.memoryUsage().rss,
  };
}

async function control(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  try {
    if (request.method === "GET" && pathname === "/__stats") {
      return json(stats());
    }
    if (request.method === "POST" && pathname === "/__clear") {
      org.clearFaults();
      return json({ ok: true });
    }
    if (request.method === "POST" && pathname === "/__inject") {
      const body = await request.json() as {
        path?: string;
        method?: string;
        latencyMs?: number;
        times?: number;
      };
      org.inject({
        path: body.path === undefined ? undefined : new RegExp(body.path),
        method: body.method,
        latencyMs: body.latencyMs,
        times: body.times,
      });
      return json({ ok: true });
    }
    return json({ error: "not found" }, 404);
  } catch (error) {
    return json({ error: String(error) }, 400);
  }
}

const controlServer = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen() {},
}, control);

let stopped = false;
async function stop(reason: string): Promise<void> {
  if (stopped) return;
  stopped = true;
  clearTimeout(cap);
  console.error(
    `bench server stopping (${reason}): ${JSON.stringify(stats())}`,
  );
  await Promise.allSettled([server.close(), controlServer.shutdown()]);
  Deno.exit(0);
}

const cap = setTimeout(
  () => void stop(`hard cap of ${maxSeconds} s`),
  maxSeconds * 1_000,
);

console.log(JSON.stringify({
  url: server.url,
  control: `http://127.0.0.1:${controlServer.addr.port}`,
  credentials: org.credentials,
  // The REST workloads cycle through these; a million ids would make a 20 MB line.
  ids: ids.slice(0, 1_000),
}));

// Stop when the harness closes our stdin (or dies).
try {
  for await (const _ of Deno.stdin.readable) {
    // Input is ignored; only end-of-file matters.
  }
} finally {
  await stop("stdin closed");
}
