// deno-lint-ignore-file no-console
// One workload run in a fresh Node process. Argument: JSON { workload, target, params, bundle }.
// `bundle` is the .mjs the harness built from bench/workloads/core.ts (our client,
// bundled with `deno bundle --platform browser`); jsforce comes from bench/node_modules.
// Prints one line `RESULT {json}` on stdout: the measurement plus `peakRss`
// (bytes, sampled every 50 ms from inside), or `{ error }`.
import process from "node:process";
import { pathToFileURL } from "node:url";
import jsforce from "jsforce";
import { bulkJsforce } from "./_jsforce_bulk.mjs";

const job = JSON.parse(process.argv[2]);
const core = await import(pathToFileURL(job.bundle).href);
const { pool, consumer, sampleRss, VERSION } = core;
core.setCpuClock(cpuMs);

/** Process CPU time (user + system, all threads), ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

async function jsforceLogin(target) {
  const { username, password, securityToken } = target.credentials;
  const conn = new jsforce.Connection({
    loginUrl: target.url,
    version: VERSION,
  });
  await conn.login(username, password + securityToken);
  return conn;
}

/** REST GETs with `conn.sobject("Account").retrieve(id)`, `concurrency` workers. */
async function restJsforce(target, params) {
  const conn = await jsforceLogin(target);
  const get = (i) => conn.sobject("Account").retrieve(target.ids[i % target.ids.length]);
  await pool(params.warmup, params.concurrency, params.timeCapMs, get);
  const cpu = cpuMs();
  const start = performance.now();
  await pool(params.total, params.concurrency, params.timeCapMs, get);
  const ms = performance.now() - start;
  const cpuUsed = cpuMs() - cpu;
  return {
    ms,
    count: params.total,
    rps: params.total / (ms / 1_000),
    cpuMs: cpuUsed,
    cpuUsPerRequest: (cpuUsed * 1_000) / params.total,
  };
}

/** Query with autoFetch (maxFetch raised to the record count), read as a record stream. */
async function queryJsforce(target, params) {
  const conn = await jsforceLogin(target);
  const consume = consumer(params);
  const deadline = performance.now() + params.timeCapMs;
  let count = 0;
  const cpu = cpuMs();
  const start = performance.now();
  const query = conn.query(params.soql, {
    autoFetch: true,
    maxFetch: params.expected,
  });
  for await (const record of query.stream("record")) {
    // Checked once a page, as for the other clients.
    if (count % params.every === 0 && performance.now() > deadline) {
      throw new Error(`time cap passed after ${count} records`);
    }
    count++;
    await consume(record);
  }
  const ms = performance.now() - start;
  if (count !== params.expected) {
    throw new Error(`expected ${params.expected} records, got ${count}`);
  }
  return { ms, count, cpuMs: cpuMs() - cpu };
}

function allRetrieves(conn, target, params) {
  return core.withTimeCap(
    Promise.all(
      Array.from(
        { length: params.total },
        (_, i) => conn.sobject("Account").retrieve(target.ids[i % target.ids.length]),
      ),
    ),
    params.timeCapMs,
  );
}

/** The usual jsforce start: log in, then send every request. Timed from construction. */
async function coldJsforceLogin(target, params) {
  const cpu = cpuMs();
  const start = performance.now();
  const conn = await jsforceLogin(target);
  await allRetrieves(conn, target, params);
  return {
    ms: performance.now() - start,
    count: params.total,
    cpuMs: cpuMs() - cpu,
  };
}

/**
 * A connection with no session and a refreshFn that logs in by SOAP: every request
 * goes out, gets 401, and jsforce's single-flight refresh logs in.
 */
async function coldJsforceLazy(target, params) {
  const { username, password, securityToken } = target.credentials;
  const cpu = cpuMs();
  const start = performance.now();
  const conn = new jsforce.Connection({
    instanceUrl: target.url,
    loginUrl: target.url,
    version: VERSION,
    refreshFn: (_conn, callback) => {
      const login = new jsforce.Connection({
        loginUrl: target.url,
        version: VERSION,
      });
      login.login(username, password + securityToken).then(
        (info) => callback(null, login.accessToken, info),
        (error) => callback(error),
      );
    },
  });
  await allRetrieves(conn, target, params);
  return {
    ms: performance.now() - start,
    count: params.total,
    cpuMs: cpuMs() - cpu,
  };
}

/** Bulk API 2.0 queries and insert (see _jsforce_bulk.mjs); the result nests per phase. */
async function bulkWorkload(target, params) {
  const conn = await jsforceLogin(target);
  const start = performance.now();
  const result = await core.withTimeCap(
    bulkJsforce(conn, params),
    params.timeCapMs,
  );
  return { ms: performance.now() - start, count: 1, result };
}

const workloads = {
  ...core.WORKLOADS,
  "bulk/jsforce": bulkWorkload,
  "rest/jsforce": restJsforce,
  "query/jsforce": queryJsforce,
  "cold/jsforce-login": coldJsforceLogin,
  "cold/jsforce-lazy": coldJsforceLazy,
};

const sampler = sampleRss(() => process.memoryUsage().rss);
let output;
try {
  const run = workloads[job.workload];
  if (run === undefined) throw new Error(`unknown workload "${job.workload}"`);
  const measured = await run(job.target, job.params);
  output = {
    ...measured,
    peakRss: sampler.stop(),
    runtime: `node ${process.versions.node}`,
  };
} catch (error) {
  sampler.stop();
  output = { error: error instanceof Error ? error.message : String(error) };
}
console.log(`RESULT ${JSON.stringify(output)}`);
process.exit(0);
