// The only library file that uses a runtime API: serves a fetch handler on loopback
// with Deno.serve. Other runtimes would get their own file beside this one.

/** What `org.serve()` says on a runtime without Deno.serve. */
export const NO_DENO_SERVE =
  "Cannot serve FakeSalesforce: org.serve() needs Deno.serve (Deno); on Node or Bun pass org.fetch to new Salesforce({ fetch }) instead";

/** Throws a plain Error naming what is needed when this runtime has no Deno.serve. */
export function checkServe(): void {
  const deno = (globalThis as { Deno?: { serve?: unknown } }).Deno;
  if (typeof deno?.serve !== "function") throw new Error(NO_DENO_SERVE);
}

/**
 * Serves `handler` until `close()`.
 *
 * The handler sees a copy of each request whose signal aborts on `close()`: reading
 * Deno's own `request.signal` prints a deprecation warning (it also aborts after
 * successful responses), so a client that hangs up does not cut injected latency
 * short here, but closing the server does.
 *
 * A rejected handler promise (a dropped-connection fault, or a close during latency)
 * becomes a response whose body breaks off: Deno.serve cannot close a socket without
 * answering, so the status line (200) and headers go out, the connection closes before the
 * promised byte, and the client's body read fails with a TypeError. Tried and no better: a
 * throwing handler (Deno answers 500), a body stream that errors before its first chunk
 * (200, headers, then the same broken body).
 */
export function serve(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): { url: string; close(): Promise<void> } {
  checkServe();
  const closing = new AbortController();
  const server = Deno.serve({ ...options, onListen() {} }, async (request) => {
    try {
      return await handler(
        new Request(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: closing.signal,
          duplex: "half",
        } as RequestInit),
      );
    } catch {
      return new Response(new ReadableStream({ start: (controller) => controller.close() }), {
        headers: { "Content-Length": "1" },
      });
    }
  });
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `http://${host}:${port}`,
    close: () => {
      closing.abort(new DOMException("FakeSalesforce server closed", "AbortError"));
      return server.shutdown();
    },
  };
}
