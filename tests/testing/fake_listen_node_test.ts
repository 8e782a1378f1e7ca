// The node:http server behind org.listen() on Node and Bun (and on Deno with useNodeHttp),
// tested directly: what reaches the handler and what happens when the client goes away.
import assert from "node:assert/strict";
import { listenNode, serve } from "../../testing/_serve.ts";

/** Rejects after `ms` if `work` has not settled: keeps a regression from hanging the run. */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, cap]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends a request with repeated header names over a raw socket; returns the JSON answer. */
async function seen(url: string): Promise<Record<string, string>> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  await connection.write(
    new TextEncoder().encode(
      "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n" +
        "Authorization: Bearer A\r\nAuthorization: Bearer B\r\n" +
        "Content-Type: a/b\r\nContent-Type: c/d\r\n\r\n",
    ),
  );
  let text = "";
  const buffer = new Uint8Array(4096);
  for (let n; (n = await connection.read(buffer)) !== null;) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  connection.close();
  return JSON.parse(text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1));
}

Deno.test("node:http hands the handler every value of a repeated header, as Deno.serve does", async () => {
  const handler = (request: Request) =>
    Promise.resolve(
      Response.json({
        authorization: request.headers.get("authorization"),
        type: request.headers.get("content-type"),
      }),
    );
  const deno = serve(handler, { port: 0, hostname: "127.0.0.1" });
  const node = await listenNode(handler, { port: 0, hostname: "127.0.0.1" });
  try {
    const expected = { authorization: "Bearer A, Bearer B", type: "a/b, c/d" };
    assert.deepEqual(await seen(deno.url), expected);
    assert.deepEqual(await seen(node.url), expected);
  } finally {
    await deno.close();
    await node.close();
  }
});

Deno.test("node:http cancels the response body of a client that hung up mid-response", async () => {
  let cancelled!: (reason: unknown) => void;
  const cancel = new Promise((resolve) => cancelled = resolve);
  const megabyte = new Uint8Array(1 << 20);
  const server = await listenNode(
    () =>
      Promise.resolve(
        new Response(
          new ReadableStream<Uint8Array>({
            pull: (controller) => controller.enqueue(megabyte), // endless
            cancel: (reason) => cancelled(reason ?? "cancelled"),
          }),
        ),
      ),
    { port: 0, hostname: "127.0.0.1" },
  );
  try {
    const controller = new AbortController();
    const response = await fetch(server.url, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => {});
    // The socket takes no more: the body must be cancelled, not left waiting for "drain".
    await within(cancel, 10_000, "cancelling the body");
  } finally {
    await within(server.close(), 10_000, "close()");
  }
});
