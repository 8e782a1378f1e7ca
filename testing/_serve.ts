// The only library file that uses a runtime API: serves a fetch handler on loopback
// with Deno.serve, or with node:http (Node, Bun, and Deno when asked) for `org.listen()`.

import { concatBytes } from "../client/_bytes.ts";

/** What `org.serve()` says on a runtime without Deno.serve. */
export const NO_DENO_SERVE =
  "Cannot serve FakeSalesforce: org.serve() needs Deno.serve (Deno); on Node or Bun use await org.listen(), or pass org.fetch to new Salesforce({ fetch })";

/** Throws a plain Error naming what is needed when this runtime has no Deno.serve. */
export function checkServe(): void {
  const deno = (globalThis as { Deno?: { serve?: unknown } }).Deno;
  if (typeof deno?.serve !== "function") throw new Error(NO_DENO_SERVE);
}

/** A running server: its URL, and `close()`, which resolves once it has stopped. */
export interface Running {
  url: string;
  close(): Promise<void>;
}

/** The request the handler sees: a copy whose signal aborts on `close()`. */
function copied(request: Request, closing: AbortSignal): Request {
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: closing,
    duplex: "half",
  } as RequestInit);
}

function urlOf(address: Deno.NetAddr): string {
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `http://${host}:${address.port}`;
}

/**
 * Serves `handler` with Deno.serve alone, until `close()`. A rejected handler promise (a
 * dropped-connection fault, or a close during latency) becomes a response whose body breaks
 * off: Deno.serve cannot close a socket without answering, so the status line (200) and
 * headers go out and the connection closes before the promised byte. For the benches, whose
 * server must not pay the relay of {@linkcode serve}; they inject no drops.
 *
 * The handler sees a copy of each request whose signal aborts on `close()`: reading
 * Deno's own `request.signal` prints a deprecation warning (it also aborts after
 * successful responses), so a client that hangs up does not cut injected latency
 * short here, but closing the server does.
 */
export function serveDirect(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): Running {
  checkServe();
  const closing = new AbortController();
  const server = Deno.serve({ ...options, onListen() {} }, async (request) => {
    try {
      return await handler(copied(request, closing.signal));
    } catch {
      return new Response(new ReadableStream({ start: (controller) => controller.close() }), {
        headers: { "Content-Length": "1" },
      });
    }
  });
  return {
    url: urlOf(server.addr),
    close: () => {
      closing.abort(new DOMException("FakeSalesforce server closed", "AbortError"));
      return server.shutdown();
    },
  };
}

/**
 * Serves `handler` until `close()`: Deno.serve answers, behind a relay that owns the
 * client's sockets. The relay listens where asked and pipes each connection it accepts to
 * its own connection to the Deno.serve server (on the same host, any port), so a rejected
 * handler promise (a dropped-connection fault) closes the client's socket with no answer at
 * all, as a network failure would; Deno.serve alone can only break a body off after the
 * headers (tried: a throwing handler answers 500, and so does `Response.error()`).
 *
 * A connection ends when either side ends it: Deno.serve (after its answer, or on
 * shutdown), or the client, by closing or half-closing its socket. An answer not sent by
 * then is not sent, as with Deno.serve alone (it drops an answer not sent yet when its
 * reading side ends), and nothing is left open for a client that has gone.
 *
 * The relay needs to listen and connect on any port of the host: with a narrower permission
 * (`--allow-net=127.0.0.1:8080`), Deno.serve answers alone, as {@linkcode serveDirect}.
 *
 * The handler sees a copy of each request whose signal aborts on `close()` (see
 * {@linkcode serveDirect}).
 */
export function serve(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): Running {
  checkServe();
  if (!anyPort(options.hostname)) return serveDirect(handler, options);
  // First, so that a port in use fails before anything else is open.
  const listener = Deno.listen({ port: options.port, hostname: options.hostname });
  const closing = new AbortController();
  // The client's socket behind each of the relay's connections to Deno.serve, by that
  // connection's local port: what Deno.serve sees as the request's remote port.
  const clients = new Map<number, Deno.Conn>();
  let inner: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    inner = Deno.serve(
      { port: 0, hostname: options.hostname, onListen() {} },
      async (request, info) => {
        // Taken now: once this client has gone, another may come to sit behind the same port.
        const client = clients.get(info.remoteAddr.port);
        const copy = copied(request, closing.signal);
        try {
          return await handler(copy);
        } catch {
          closeQuietly(client);
          // Nobody reads it: the connection it would go out on is gone.
          return new Response(null, { status: 500 });
        }
      },
    );
  } catch (error) {
    closeQuietly(listener);
    throw error;
  }
  if (!anyPort(inner.addr.hostname)) {
    // The relay could not reach it ("localhost" allowed, but not the address it became).
    closeQuietly(listener);
    // Nothing was served yet: its shutdown has nothing to wait for.
    void inner.shutdown();
    return serveDirect(handler, options);
  }
  const server = inner;
  const open = new Set<Deno.Conn>();
  const relay = async (client: Deno.Conn) => {
    open.add(client);
    let upstream: Deno.Conn | undefined;
    let port = -1;
    try {
      upstream = await Deno.connect({ hostname: server.addr.hostname, port: server.addr.port });
      open.add(upstream);
      port = (upstream.localAddr as Deno.NetAddr).port;
      clients.set(port, client);
      // Whichever side ends first ends the connection (see above).
      await Promise.race([forward(client, upstream), upstream.readable.pipeTo(client.writable)]);
    } catch {
      // A side failed: the client left (or was dropped), or the server closed.
    } finally {
      if (port !== -1) clients.delete(port);
      for (const conn of [client, upstream]) {
        if (conn === undefined) continue;
        open.delete(conn);
        closeQuietly(conn);
      }
    }
  };
  const accepting = (async () => {
    try {
      // Each relay runs on its own and settles itself; close() ends them all.
      for await (const client of listener) void relay(client);
    } catch {
      // The listener closed.
    }
  })();
  return {
    url: urlOf(listener.addr as Deno.NetAddr),
    close: async () => {
      closing.abort(new DOMException("FakeSalesforce server closed", "AbortError"));
      closeQuietly(listener);
      for (const conn of open) closeQuietly(conn);
      await accepting;
      await server.shutdown();
    },
  };
}

/**
 * Copies what the client sends to Deno.serve until the client has sent all it will (by hand:
 * a `conn.readable` that ends closes the socket at once, under an answer still on its way).
 */
async function forward(client: Deno.Conn, upstream: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await client.read(buffer); n !== null; n = await client.read(buffer)) {
    for (let written = 0; written < n;) {
      written += await upstream.write(buffer.subarray(written, n));
    }
  }
}

/** Whether this process may listen and connect on any port of `hostname`. */
function anyPort(hostname: string): boolean {
  return Deno.permissions.querySync({ name: "net", host: hostname }).state === "granted";
}

/** Closes a socket or listener that may be closed already. */
function closeQuietly(resource: { close(): void } | undefined): void {
  try {
    resource?.close();
  } catch {
    // Closed already.
  }
}

/** The parts of node:http the server below uses. */
interface NodeHttp {
  createServer(
    listener: (request: NodeIncoming, response: NodeOutgoing) => void,
  ): NodeServer;
}
interface NodeIncoming extends AsyncIterable<Uint8Array> {
  method?: string;
  url?: string;
  rawHeaders: string[];
  socket: { destroy(): void };
}
interface NodeOutgoing {
  writableEnded: boolean;
  writeHead(status: number, headers: Array<[string, string]>): void;
  write(chunk: Uint8Array): boolean;
  end(): void;
  on(event: "close", listener: () => void): void;
  once(event: "drain", listener: () => void): void;
  off(event: "drain", listener: () => void): void;
}
interface NodeServer {
  listen(port: number, hostname: string, callback: () => void): void;
  once(event: "error", listener: (error: Error) => void): void;
  address(): { address: string; port: number } | string | null;
  close(callback: () => void): void;
  closeAllConnections?(): void;
}

/** The node:http module, loaded only when asked for (a computed name: bundles leave it be). */
async function nodeHttp(): Promise<NodeHttp> {
  const name = "node:http";
  try {
    return await import(name) as NodeHttp;
  } catch (cause) {
    throw new Error(
      "Cannot serve FakeSalesforce: this runtime has neither Deno.serve nor node:http; pass org.fetch to new Salesforce({ fetch }) instead",
      { cause },
    );
  }
}

/** Resolves when the socket takes more data, or when the client has hung up. */
function drained(outgoing: NodeOutgoing, signal: AbortSignal): Promise<void> {
  return new Promise<void>((go) => {
    const done = () => {
      outgoing.off("drain", done);
      signal.removeEventListener("abort", done);
      go();
    };
    outgoing.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The request body, read whole (uploads to the fake are held in memory anyway). */
async function bodyOf(incoming: NodeIncoming): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (incoming.method === "GET" || incoming.method === "HEAD") return undefined;
  const chunks: Uint8Array[] = [];
  for await (const chunk of incoming) chunks.push(chunk);
  // The Request the handler gets copies it: a pooled Buffer of node:http is safe to pass on.
  return concatBytes(chunks) as Uint8Array<ArrayBuffer>;
}

/**
 * Serves `handler` with node:http until `close()`. A rejected handler promise (a dropped-
 * connection fault) destroys the socket without an answer, as a real dropped connection
 * does: the client's fetch rejects with a TypeError. A client that hangs up aborts the
 * request's signal, so injected latency ends with it.
 */
export async function listenNode(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const http = await nodeHttp();
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  let port = options.port; // the port bound, once listening
  const server = http.createServer((incoming, outgoing) => {
    const hangUp = new AbortController();
    outgoing.on("close", () => {
      if (!outgoing.writableEnded) hangUp.abort(new DOMException("Client hung up", "AbortError"));
    });
    answer(incoming, outgoing, hangUp.signal).catch(() => incoming.socket.destroy());
  });
  async function answer(
    incoming: NodeIncoming,
    outgoing: NodeOutgoing,
    signal: AbortSignal,
  ): Promise<void> {
    // From the raw pairs: `incoming.headers` keeps only the first of some repeated headers
    // (Authorization, Content-Type, ...), where fetch and Deno.serve join them all.
    const headers = new Headers();
    const raw = incoming.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    const body = await bodyOf(incoming);
    const request = new Request(`http://${host}:${port}${incoming.url ?? "/"}`, {
      method: incoming.method,
      headers,
      body,
      signal,
    });
    // A drop fault rejects: the caller destroys the socket without a word.
    const response = await handler(request);
    outgoing.writeHead(response.status, [...response.headers]);
    if (response.body !== null && incoming.method !== "HEAD") {
      for await (const chunk of response.body) {
        if (signal.aborted) break; // the client hung up: leaving the loop cancels the body
        if (!outgoing.write(chunk)) await drained(outgoing, signal);
      }
    } else {
      await response.body?.cancel();
    }
    signal.throwIfAborted();
    outgoing.end();
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, resolve);
  });
  const address = server.address();
  if (typeof address === "object" && address !== null) port = address.port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
