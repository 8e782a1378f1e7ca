import assert from "node:assert/strict";
import {
  AuthenticationError,
  AuthorizationError,
  createSalesforceError,
  DuplicatesDetectedError,
  MoreThanOneRecordError,
  NotFoundError,
  raiseSalesforceError,
  RequestLimitExceededError,
  SalesforceError,
  ServerError,
} from "../../client/errors.ts";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8" },
  });
}

const table: Array<[string, () => Response, new (...args: never[]) => SalesforceError, string?]> = [
  [
    "300 with a URL list maps to MoreThanOneRecordError",
    () => json(300, ["/services/data/v64.0/sobjects/Account/001A", "/x/001B"]),
    MoreThanOneRecordError,
  ],
  [
    "403 REQUEST_LIMIT_EXCEEDED maps to RequestLimitExceededError",
    () =>
      json(403, [{
        message: "TotalRequests Limit exceeded.",
        errorCode: "REQUEST_LIMIT_EXCEEDED",
      }]),
    RequestLimitExceededError,
    "REQUEST_LIMIT_EXCEEDED",
  ],
  [
    "400 REQUEST_LIMIT_EXCEEDED maps to RequestLimitExceededError",
    () =>
      json(400, [{
        message: "ConcurrentPerOrgLongTxn Limit exceeded.",
        errorCode: "REQUEST_LIMIT_EXCEEDED",
      }]),
    RequestLimitExceededError,
    "REQUEST_LIMIT_EXCEEDED",
  ],
  [
    "400 DUPLICATES_DETECTED maps to DuplicatesDetectedError",
    () => json(400, [{ message: "Use one of these records?", errorCode: "DUPLICATES_DETECTED" }]),
    DuplicatesDetectedError,
    "DUPLICATES_DETECTED",
  ],
  [
    "401 INVALID_SESSION_ID maps to AuthenticationError",
    () => json(401, [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]),
    AuthenticationError,
    "INVALID_SESSION_ID",
  ],
  [
    "403 maps to AuthorizationError",
    () => json(403, [{ message: "API is not enabled", errorCode: "API_DISABLED_FOR_ORG" }]),
    AuthorizationError,
    "API_DISABLED_FOR_ORG",
  ],
  [
    "404 maps to NotFoundError",
    () => json(404, [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }]),
    NotFoundError,
    "NOT_FOUND",
  ],
  [
    "500 maps to ServerError",
    () => json(500, [{ message: "An unexpected error occurred.", errorCode: "UNKNOWN_EXCEPTION" }]),
    ServerError,
    "UNKNOWN_EXCEPTION",
  ],
  [
    "503 with an HTML page maps to ServerError",
    () =>
      new Response(
        "<html><head><style>p{}</style></head><body><p>We are down for maintenance.</p></body></html>",
        { status: 503, headers: { "Content-Type": "text/html" } },
      ),
    ServerError,
  ],
  [
    "400 MALFORMED_QUERY maps to the base SalesforceError",
    () => json(400, [{ message: "unexpected token: 'FORM'", errorCode: "MALFORMED_QUERY" }]),
    SalesforceError,
    "MALFORMED_QUERY",
  ],
  [
    "400 with an OAuth error body keeps its error as the code",
    () => json(400, { error: "invalid_grant", error_description: "authentication failure" }),
    SalesforceError,
    "invalid_grant",
  ],
];

for (const [name, make, errorClass, code] of table) {
  Deno.test(`createSalesforceError: ${name}`, async () => {
    const error = await createSalesforceError(make());
    assert.equal(error.constructor, errorClass);
    assert.equal(error.name, errorClass.name);
    assert.equal(error.errorCode, code);
    assert.ok(error.response instanceof Response);
  });
}

Deno.test("createSalesforceError names the code, message, status, method and path", async () => {
  const response = json(404, [{
    errorCode: "NOT_FOUND",
    message: "The requested resource does not exist",
  }]);
  Object.defineProperty(response, "url", {
    value: "https://acme.my.salesforce.com/services/data/v64.0/sobjects/Account/001xx?secret=1",
  });
  const error = await createSalesforceError(response, {
    method: "GET",
    action: 'Cannot get Account "001xx"',
  });
  assert.equal(
    error.message,
    'Cannot get Account "001xx": NOT_FOUND: The requested resource does not exist (404 GET /services/data/v64.0/sobjects/Account/001xx)',
  );
  assert.equal(error.errorMessage, "The requested resource does not exist");
  assert.equal(error.errors.length, 1);
});

Deno.test("createSalesforceError turns an HTML page into its visible words", async () => {
  const error = await createSalesforceError(
    new Response(
      "<html><script>var x = 1;</script><body><p>We are down for maintenance.</p><p>Sorry &amp; back soon</p></body></html>",
      { status: 503 },
    ),
  );
  assert.equal(error.message, "We are down for maintenance. Sorry & back soon (503)");
  assert.equal(error.errorCode, undefined);
});

Deno.test("createSalesforceError decodes numeric and known named references, and leaves others be", async () => {
  const error = await createSalesforceError(
    new Response(
      "<html><body>O&#39;Brien&#x27;s &quot;shop&quot; &lt;down&gt; &constructor; &toString; &bogus;</body></html>",
      { status: 503 },
    ),
  );
  assert.equal(
    error.message,
    `O'Brien's "shop" <down> &constructor; &toString; &bogus; (503)`,
  );
});

Deno.test("createSalesforceError says when the body is empty", async () => {
  const error = await createSalesforceError(
    new Response(null, { status: 502, statusText: "Bad Gateway" }),
  );
  assert.ok(error instanceof ServerError);
  assert.equal(error.message, "HTTP 502 Bad Gateway with an empty body (502)");
});

Deno.test("createSalesforceError keeps every error of the list", async () => {
  const error = await createSalesforceError(json(400, [
    {
      message: "Required fields are missing: [LastName]",
      errorCode: "REQUIRED_FIELD_MISSING",
      fields: ["LastName"],
    },
    { message: "bad email", errorCode: "INVALID_EMAIL_ADDRESS", fields: ["Email"] },
  ]));
  assert.deepEqual(error.errors.map((e) => e.errorCode), [
    "REQUIRED_FIELD_MISSING",
    "INVALID_EMAIL_ADDRESS",
  ]);
  assert.deepEqual(error.errors[0].fields, ["LastName"]);
});

Deno.test("MoreThanOneRecordError lists the matching record URLs", async () => {
  const error = await createSalesforceError(json(300, ["/a/001A", "/a/001B"]));
  assert.ok(error instanceof MoreThanOneRecordError);
  assert.deepEqual(error.records, ["/a/001A", "/a/001B"]);
  assert.match(error.message, /matched more than one record/);
});

Deno.test("DuplicatesDetectedError reads the duplicate rule's matches", async () => {
  const error = await createSalesforceError(json(400, [{
    duplicateResult: {
      allowSave: true,
      duplicateRule: "Standard_Contact_Duplicate_Rule",
      duplicateRuleEntityType: "Contact",
      errorMessage: "Use one of these records?",
      matchResults: [{
        entityType: "Contact",
        errors: [],
        matchEngine: "FuzzyMatchEngine",
        matchRecords: [{
          additionalInformation: [],
          fieldDiffs: [],
          matchConfidence: 100.0,
          record: {
            attributes: {
              type: "Contact",
              url: "/services/data/v60.0/sobjects/Contact/003aj000002oTldAAE",
            },
            Id: "003aj000002oTldAAE",
          },
        }],
        rule: "Standard_Contact_Match_Rule_v1_1",
        size: 1,
        success: true,
      }],
    },
    errorCode: "DUPLICATES_DETECTED",
    message: "Use one of these records?",
  }]));
  assert.ok(error instanceof DuplicatesDetectedError);
  assert.deepEqual(error.duplicates, [{
    id: "003aj000002oTldAAE",
    sobject: "Contact",
    matchConfidence: 100,
    matchEngine: "FuzzyMatchEngine",
    rule: "Standard_Contact_Match_Rule_v1_1",
  }]);
});

Deno.test("raiseSalesforceError throws the mapped error", async () => {
  await assert.rejects(
    raiseSalesforceError(json(404, [{ errorCode: "NOT_FOUND", message: "gone" }])),
    (error: unknown) => error instanceof NotFoundError && error.message === "NOT_FOUND: gone (404)",
  );
});

Deno.test("createSalesforceError maps an unreadable body by status", async () => {
  const body = new ReadableStream({
    pull(controller) {
      controller.error(new TypeError("connection reset"));
    },
  });
  const error = await createSalesforceError(new Response(body, { status: 500 }));
  assert.ok(error instanceof ServerError);
  assert.match(error.message, /body unreadable: connection reset/);
});

Deno.test("createSalesforceError reads statusCode as the error code", async () => {
  const error = await createSalesforceError(json(400, [{
    statusCode: "REQUIRED_FIELD_MISSING",
    message: "Required fields are missing: [Name]",
    fields: ["Name"],
  }]));
  assert.equal(error.errorCode, "REQUIRED_FIELD_MISSING");
  assert.equal(error.errors[0].fields?.[0], "Name");
});

Deno.test("createSalesforceError reads the errors of an sObject Tree response", async () => {
  const error = await createSalesforceError(json(400, {
    hasErrors: true,
    results: [{
      referenceId: "ref2",
      errors: [{
        statusCode: "REQUIRED_FIELD_MISSING",
        message: "Required fields are missing: [LastName]",
        fields: ["LastName"],
      }],
    }],
  }));
  assert.equal(
    error.message,
    "REQUIRED_FIELD_MISSING: Required fields are missing: [LastName] (record ref2) (400)",
  );
  assert.equal(error.errors.length, 1);
});
