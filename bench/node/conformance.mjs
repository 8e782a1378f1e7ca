// deno-lint-ignore-file no-console
// Conformance: jsforce 3 (a client written by others) against our FakeSalesforce
// over loopback. If a step fails, the fake speaks Salesforce wrongly (or jsforce
// has a quirk worth knowing); the error text is reported as it is.
// Argument: JSON { url, credentials, expectedAccounts }. The org must hold
// `expectedAccounts` Accounts and a page size below that, so autoFetch pages.
// Prints one line `RESULT {"steps":[{ name, ok, detail | error }]}` on stdout.
import process from "node:process";
import jsforce from "jsforce";

const VERSION = "64.0";
const config = JSON.parse(process.argv[2]);
const { username, password, securityToken } = config.credentials;
const steps = [];
const deadline = Date.now() + 120_000;

function describe(error) {
  if (!(error instanceof Error)) return String(error);
  const code = error.errorCode ?? error.name;
  return `${code}: ${error.message}`.slice(0, 500);
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs one step unless `needs` failed; records ok/error. */
async function step(name, run, needs = []) {
  const missing = needs.filter((need) => !steps.find((s) => s.name === need)?.ok);
  if (missing.length > 0) {
    steps.push({
      name,
      ok: false,
      error: `skipped: needs ${missing.join(", ")}`,
    });
    return;
  }
  if (Date.now() > deadline) {
    steps.push({
      name,
      ok: false,
      error: "skipped: conformance time cap passed",
    });
    return;
  }
  try {
    const detail = await run();
    steps.push({ name, ok: true, detail: detail ?? "" });
  } catch (error) {
    steps.push({ name, ok: false, error: describe(error) });
  }
}

const conn = new jsforce.Connection({ loginUrl: config.url, version: VERSION });
let id;

await step("login (SOAP)", async () => {
  const info = await conn.login(username, password + securityToken);
  assert(
    typeof conn.accessToken === "string" && conn.accessToken.length > 0,
    "no access token",
  );
  assert(
    conn.instanceUrl === config.url,
    `instanceUrl ${conn.instanceUrl} is not ${config.url}`,
  );
  assert(
    /^005/.test(info.id) && /^00D/.test(info.organizationId),
    `odd user info ${info.id}`,
  );
  return `user ${info.id}`;
});

await step("query with autoFetch", async () => {
  const result = await conn.query("SELECT Id, Name FROM Account", {
    autoFetch: true,
    maxFetch: 1_000_000,
  });
  assert(
    result.totalSize === config.expectedAccounts,
    `totalSize ${result.totalSize}`,
  );
  assert(
    result.records.length === config.expectedAccounts,
    `${result.records.length} records of ${config.expectedAccounts}`,
  );
  assert(
    new Set(result.records.map((r) => r.Id)).size === result.records.length,
    "repeats",
  );
  return `${result.records.length} records over several pages`;
}, ["login (SOAP)"]);

await step("create", async () => {
  const result = await conn.sobject("Account").create({
    Name: "Conformance Inc.",
  });
  assert(
    result.success === true && typeof result.id === "string",
    JSON.stringify(result),
  );
  id = result.id;
  return id;
}, ["login (SOAP)"]);

await step("retrieve", async () => {
  const record = await conn.sobject("Account").retrieve(id);
  assert(
    record.Id === id && record.Name === "Conformance Inc.",
    JSON.stringify(record),
  );
  assert(record.attributes?.type === "Account", "no attributes.type");
}, ["create"]);

await step("update", async () => {
  const result = await conn.sobject("Account").update({
    Id: id,
    Name: "Conformance Corp.",
  });
  assert(result.success === true, JSON.stringify(result));
  const record = await conn.sobject("Account").retrieve(id);
  assert(record.Name === "Conformance Corp.", `Name is ${record.Name}`);
}, ["create"]);

await step("destroy", async () => {
  const result = await conn.sobject("Account").destroy(id);
  assert(result.success === true, JSON.stringify(result));
  try {
    await conn.sobject("Account").retrieve(id);
  } catch (error) {
    // Salesforce answers a read of a record in the recycle bin with 404 ENTITY_IS_DELETED.
    const code = error.errorCode ?? error.name;
    assert(
      code === "ENTITY_IS_DELETED" || code === "NOT_FOUND",
      describe(error),
    );
    return `retrieve afterwards: ${code}`;
  }
  throw new Error("the record can still be retrieved");
}, ["create"]);

// Bulk 2.0 needs the fake's bulk routes (another helper's work): probe first.
let bulkRoutes = false;
await step("bulk2 routes present", async () => {
  try {
    await conn.request(`/services/data/v${VERSION}/jobs/ingest`);
    bulkRoutes = true;
    return "GET jobs/ingest answered";
  } catch (error) {
    if (error.errorCode === "NOT_FOUND" || error.name === "NOT_FOUND") {
      return "bulk routes not there yet: GET jobs/ingest is NOT_FOUND";
    }
    throw error;
  }
}, ["login (SOAP)"]);

if (bulkRoutes) {
  await step("bulk2 load (insert)", async () => {
    const input = "Name,NumberOfEmployees\n" +
      Array.from({ length: 500 }, (_, i) => `"Bulk ""conf"" ${i}",${i}`).join(
        "\n",
      ) + "\n";
    const results = await conn.bulk2.loadAndWaitForResults({
      object: "Account",
      operation: "insert",
      input,
      pollInterval: 200,
      pollTimeout: 60_000,
    });
    assert(
      results.successfulResults.length === 500,
      `${results.successfulResults.length} ok`,
    );
    assert(
      results.failedResults.length === 0,
      JSON.stringify(results.failedResults[0]),
    );
    return `${results.successfulResults.length} inserted`;
  });
  await step("bulk2 query", async () => {
    const stream = await conn.bulk2.query("SELECT Id, Name FROM Account", {
      pollInterval: 200,
      pollTimeout: 60_000,
    });
    const records = await stream.toArray();
    const expected = config.expectedAccounts + 500;
    assert(
      records.length === expected,
      `${records.length} rows of ${expected}`,
    );
    assert(records.some((r) => r.Name === 'Bulk "conf" 7'), "quoted name lost");
    return `${records.length} rows`;
  }, ["bulk2 load (insert)"]);
} else if (steps.at(-1)?.ok) {
  console.error("bulk routes not there yet: skipping bulk2 load and query");
}

console.log(`RESULT ${JSON.stringify({ steps, bulkRoutes })}`);
process.exit(0);
