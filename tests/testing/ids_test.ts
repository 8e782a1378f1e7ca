import assert from "node:assert/strict";
import { isSalesforceId, normalizeId, toId18 } from "../../client/_ids.ts";

// salesforce-api.md §1.3: every row of the checked table.
const TABLE: [string, string][] = [
  ["00570000001ZwTi", "00570000001ZwTiAAK"],
  ["001A0000006Vm9r", "001A0000006Vm9rIAC"],
  ["001A0000006VM9r", "001A0000006VM9rIAG"],
  ["0033h00000Kzv3A", "0033h00000Kzv3AAAR"],
  ["00558000000yFyD", "00558000000yFyDAAU"],
  ["00D58000000arpq", "00D58000000arpqEAA"],
  ["001000000000001", "001000000000001AAA"],
];

for (const [id15, id18] of TABLE) {
  Deno.test(`toId18 turns ${id15} into ${id18}`, () => {
    assert.equal(toId18(id15), id18);
    assert.equal(normalizeId(id15), id18);
    assert.equal(normalizeId(id18), id18);
    assert.ok(isSalesforceId(id15));
    assert.ok(isSalesforceId(id18));
  });
}

Deno.test("isSalesforceId compares the checksum case-insensitively", () => {
  assert.ok(isSalesforceId("001A0000006Vm9riac"));
  assert.equal(normalizeId("001A0000006Vm9riac"), "001A0000006Vm9rIAC");
});

Deno.test("isSalesforceId rejects a wrong checksum, a wrong length and non-base-62 characters", () => {
  assert.equal(isSalesforceId("001A0000006Vm9rAAA"), false);
  assert.equal(isSalesforceId("001A0000006Vm9"), false);
  assert.equal(isSalesforceId("001A0000006Vm9rI"), false);
  assert.equal(isSalesforceId("001A0000006Vm9-"), false);
  assert.equal(isSalesforceId("001A0000006Vm9r/AC"), false);
  assert.equal(isSalesforceId(""), false);
  assert.equal(isSalesforceId(42 as unknown as string), false);
});

Deno.test("toId18 and normalizeId throw a TypeError naming the accepted form", () => {
  assert.throws(() => toId18("001"), {
    name: "TypeError",
    message: 'Cannot convert Salesforce id: expected 15 base-62 characters: received "001"',
  });
  assert.throws(() => normalizeId("001A0000006Vm9rAAA"), {
    name: "TypeError",
    message:
      'Cannot normalize Salesforce id: expected 15 or 18 base-62 characters with a valid checksum: received "001A0000006Vm9rAAA"',
  });
});
