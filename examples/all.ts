// deno-lint-ignore-file no-console
// Runs every example in turn (each on its own fresh FakeSalesforce); `deno task demo`.
// Run: deno run --allow-net=127.0.0.1,localhost examples/all.ts
const examples = [
  "demo.ts",
  "auth.ts",
  "query.ts",
  "sobjects.ts",
  "composite.ts",
  "collections.ts",
  "bulk.ts",
  "retries_and_events.ts",
  "testing_your_code.ts",
];

for (const example of examples) {
  console.log(`\n=== examples/${example}`);
  await import(`./${example}`);
}
console.log(`\n${examples.length} examples ran`);
