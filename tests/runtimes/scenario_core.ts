// The cross-runtime scenario as a function, so every host can call it: the CLI
// wrapper (scenario.ts) under Deno, Node and Bun, and the Workers module in
// workerd/worker.mjs. It talks to a FakeSalesforce the runner serves on loopback.
import { RetryEvent, Salesforce, type SalesforceEvent, SoapLogin, soql } from "../../mod.ts";

/** Where the fake org listens and how to log in to it. */
export interface ScenarioConfig {
  baseUrl: string;
  username: string;
  password: string;
  securityToken: string;
}

/** What a successful run reports (printed as one JSON line). */
export interface ScenarioResult {
  ok: true;
  records: number;
  apiCalls: number;
  retries: number;
}

function fail(message: string): never {
  throw new Error(`scenario failed: ${message}`);
}

function check(condition: unknown, message: string): void {
  if (!condition) fail(message);
}

/** Runs the scenario against the org at `config.baseUrl`; throws on the first failed check. */
export async function runScenario(config: ScenarioConfig): Promise<ScenarioResult> {
  const retries: number[] = [];
  let consumed = 0;
  const sf = new Salesforce({
    baseUrl: config.baseUrl,
    auth: new SoapLogin(config),
    eventHooks: [(event: SalesforceEvent) => {
      if (event instanceof RetryEvent) retries.push(event.attempt);
      if (event.type === "rest_api_call_consumption") consumed++;
    }],
  });

  // SOAP login, then a query over several pages (the org serves 200 records a page).
  const tag = `smoke-${Math.random().toString(36).slice(2, 8)}`;
  let count = 0;
  for await (const _ of sf.query(soql`SELECT Id, Name FROM Account WHERE Industry = ${"Smoke"}`)) {
    count++;
  }
  check(count === 650, `expected 650 seeded accounts, got ${count}`);

  // Create, update, read, delete.
  const id = await sf.sobject.create("Contact", { LastName: tag, Email: `${tag}@example.com` });
  await sf.sobject.update("Contact", id, { FirstName: "Smoke" });
  const contact = await sf.sobject.get<{ Name: string }>("Contact", id, { fields: ["Name"] });
  check(contact.Name === `Smoke ${tag}`, `unexpected name ${contact.Name}`);
  await sf.sobject.delete("Contact", id);

  // Composite batch: two creates and a query in one call.
  const batch = sf.composite.batch({ haltOnError: true });
  const first = batch.sobject.create("Contact", { LastName: `${tag}-a` });
  const second = batch.sobject.create("Contact", { LastName: `${tag}-b` });
  const found = batch.query<{ LastName: string }>(
    soql`SELECT LastName FROM Contact WHERE LastName LIKE ${`${tag}-%`} ORDER BY LastName`,
  );
  await batch.execute();
  check(first.id !== second.id, "composite batch did not create two records");
  check(found.records.length === 2, `composite query saw ${found.records.length} records`);

  // Bulk API 2.0: insert 1,000 contacts (one failing row), then read them back with a bulk query.
  const rows = Array.from({ length: 1_000 }, (_, i) => ({
    LastName: i === 500 ? null : `${tag}-bulk-${i}`,
    Email: `${tag}.${i}@example.com`,
  }));
  const ingest = await sf.bulkV2.insert("Contact", rows, { pollingInterval: 10 });
  check(
    ingest.successfulResults.length === 999,
    `bulk insert: ${ingest.successfulResults.length} ok`,
  );
  check(ingest.failedResults.length === 1, `bulk insert: ${ingest.failedResults.length} failed`);
  let bulkRows = 0;
  for await (
    const row of sf.bulkV2.query(
      soql`SELECT Id, Email FROM Contact WHERE LastName LIKE ${`${tag}-bulk-%`}`,
      {
        pollingInterval: 10,
        maxRecords: 300,
      },
    )
  ) {
    check(row.Email.startsWith(tag), `bulk query returned ${row.Email}`);
    bulkRows++;
  }
  check(bulkRows === 999, `bulk query returned ${bulkRows} rows`);

  // The runner injected one 503 on /limits: it is retried.
  const limits = await sf.getLimits();
  check(limits.DailyApiRequests.Max > 0, "limits without DailyApiRequests");
  check(retries.length === 1, `expected one retry, saw ${retries.length}`);
  check(consumed >= 8, `expected the event hook to count API calls, saw ${consumed}`);

  // The runner makes two describes of Lead hang: the per-attempt timeout cuts one, the
  // caller's signal the other (each attempt's signal goes to fetch in its init).
  const impatient = new Salesforce({ baseUrl: config.baseUrl, auth: sf.auth, timeout: 200 });
  const timedOut = await impatient.request("sobjects/Lead/describe").then(
    () => fail("a request past its timeout answered"),
    (error: unknown) => error,
  );
  check(
    timedOut instanceof Error && timedOut.name === "TimeoutError",
    `timeout: expected a TimeoutError, got ${String(timedOut)}`,
  );
  const controller = new AbortController();
  const reason = new Error("caller gave up");
  setTimeout(() => controller.abort(reason), 200);
  const aborted = await sf.request("sobjects/Lead/describe", { signal: controller.signal }).then(
    () => fail("an aborted request answered"),
    (error: unknown) => error,
  );
  check(aborted === reason, `abort: expected the caller's reason, got ${String(aborted)}`);

  return { ok: true, records: count, apiCalls: consumed, retries: retries.length };
}
