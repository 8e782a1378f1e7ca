// The only library file that uses a runtime API: serves a fetch handler on loopback
// with Deno.serve. Other runtimes would get their own file beside this one.

/**
 * Serves `handler` until `close()`. A rejected handler promise (a dropped-connection
 * fault, or a client that went away) becomes a response whose body breaks off: Deno.serve
 * cannot close a socket without answering, so the status line and headers go out and
 * the connection closes before the promised byte, and the client's body read fails.
 */
export function serve(
  handler: (request: Request) => Promise<Response>,
  options: { port: number; hostname: string },
): { url: string; close(): Promise<void> } {
  const server = Deno.serve({ ...options, onListen() {} }, async (request) => {
    try {
      return await handler(request);
    } catch {
      return new Response(new ReadableStream({ start: (controller) => controller.close() }), {
        headers: { "Content-Length": "1" },
      });
    }
  });
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${port}`, close: () => server.shutdown() };
}
