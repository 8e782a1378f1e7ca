import assert from "node:assert/strict";
import { mock } from "node:test";
import {
  UsernamePasswordFlow,
  type UsernamePasswordFlowOptions,
} from "../../auth/username_password_flow.ts";
import { AuthenticationError } from "../../client/errors.ts";
import { Salesforce } from "../../client/salesforce.ts";
import { clock } from "../../retries/_clock.ts";
import { FakeSalesforce } from "../../testing/fake_salesforce.ts";
import {
  ACCESS_TOKEN,
  BASE,
  clientWith,
  jsonResponse,
  TOKEN_PATH,
  tokenSuccess,
} from "./_support.ts";

const OPTIONS: UsernamePasswordFlowOptions = {
  clientId: "3MVG9AcmeConsumerKey",
  clientSecret: "ACME-CONSUMER-SECRET-0123456789",
  username: "jane@acme.example",
  password: "Pa55 w0rd&=+%",
  securityToken: "SecTok123",
};

function flow(options: Partial<UsernamePasswordFlowOptions> = {}): UsernamePasswordFlow {
  return new UsernamePasswordFlow({ ...OPTIONS, ...options });
}

Deno.test("UsernamePasswordFlow posts the password grant with the password and security token concatenated", async () => {
  const auth = flow();
  const { sf, requests, events } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
  assert.equal(await auth.getAccessToken(sf), ACCESS_TOKEN);
  assert.equal(requests[0].method, "POST");
  assert.equal(requests[0].url, `${BASE}${TOKEN_PATH}`);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(requests[0].body)), {
    grant_type: "password",
    client_id: OPTIONS.clientId,
    client_secret: OPTIONS.clientSecret,
    username: OPTIONS.username,
    password: OPTIONS.password + OPTIONS.securityToken,
  });
  assert.deepEqual(events.map((event) => event.type), ["request", "response"]);
});

Deno.test("UsernamePasswordFlow sends the password alone without a security token", async () => {
  for (const securityToken of [undefined, ""]) {
    const auth = flow({ securityToken });
    const { sf, requests } = clientWith(auth, () => jsonResponse(200, tokenSuccess()));
    await auth.getAccessToken(sf);
    assert.equal(new URLSearchParams(requests[0].body).get("password"), OPTIONS.password);
  }
});

Deno.test("UsernamePasswordFlow turns invalid_grant into an AuthenticationError without the password", async () => {
  const auth = flow();
  const { sf } = clientWith(
    auth,
    () =>
      jsonResponse(400, { error: "invalid_grant", error_description: "authentication failure" }),
  );
  await assert.rejects(auth.getAccessToken(sf), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.errorCode, "invalid_grant");
    assert.equal(
      error.message,
      `Cannot get a token with the username-password flow: invalid_grant: authentication failure (400 POST ${TOKEN_PATH})`,
    );
    return true;
  });
});

Deno.test("UsernamePasswordFlow logs in again once timeout has passed, and on refresh", async () => {
  let now = 0;
  const nowMock = mock.method(clock, "now", () => now);
  try {
    let issued = 0;
    const auth = flow({ timeout: 7_200_000 });
    const { sf, fetch } = clientWith(auth, () => jsonResponse(200, tokenSuccess(`t-${++issued}`)));
    assert.equal(await auth.getAccessToken(sf), "t-1");
    now = 7_199_999;
    assert.equal(await auth.getAccessToken(sf), "t-1");
    now = 7_200_000;
    assert.equal(await auth.getAccessToken(sf), "t-2");
    assert.equal(await auth.refreshAccessToken(sf, "t-2"), "t-3");
    assert.equal(fetch.mock.callCount(), 3);
  } finally {
    nowMock.mock.restore();
  }
});

Deno.test("UsernamePasswordFlow logs in to the fake org and is refused with a wrong password", async () => {
  const org = new FakeSalesforce();
  const { clientId, clientSecret, username, password, securityToken } = org.credentials;
  const good = new UsernamePasswordFlow({
    clientId,
    clientSecret,
    username,
    password,
    securityToken,
  });
  const sf = new Salesforce({ baseUrl: org.baseUrl, auth: good, fetch: org.fetch });
  const response = await sf.request("limits");
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.equal(org.stats.logins, 1);

  const bad = new UsernamePasswordFlow({ clientId, clientSecret, username, password });
  const other = new Salesforce({ baseUrl: org.baseUrl, auth: bad, fetch: org.fetch });
  await assert.rejects(bad.getAccessToken(other), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.errorCode, "invalid_grant");
    return true;
  });
});

for (
  const name of ["clientId", "clientSecret", "username", "password"] as const
) {
  Deno.test(`UsernamePasswordFlow refuses a missing ${name} without showing any value`, () => {
    assert.throws(() => flow({ [name]: undefined }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(
        error.message,
        `Cannot create UsernamePasswordFlow: "${name}" must be a non-empty string: received undefined`,
      );
      return true;
    });
  });
}

Deno.test("UsernamePasswordFlow refuses a bad securityToken and timeout", () => {
  assert.throws(
    () => flow({ securityToken: 1 as never }),
    /"securityToken" must be a non-empty string or omitted: received a number/,
  );
  assert.throws(() => flow({ timeout: 0 }), RangeError);
  assert.throws(() => flow({ password: [OPTIONS.password] as never }), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.ok(!error.message.includes(OPTIONS.password));
    return true;
  });
});
