// Child processes for the bench: one workload per fresh process (wrapped in
// /usr/bin/time -v when it exists, for the kernel's view of peak RSS), and the
// fake org's server process with its control endpoint.

/** What a workload process printed, plus what /usr/bin/time saw. */
export interface ChildRun {
  /** The `RESULT {…}` line, parsed; `{ error }` when the process failed. */
  result: Record<string, unknown>;
  /** Peak RSS in bytes from /usr/bin/time -v, when available. */
  timeRss?: number;
}

const TIME = "/usr/bin/time";

/** True when /usr/bin/time exists (GNU time, for `-v`). */
export function hasTimeV(): boolean {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
}

function tail(text: string, lines = 6): string {
  return text.trim().split("\n").slice(-lines).join(" | ").slice(0, 600);
}

/**
 * Runs `command` to completion (killed after `timeoutMs`) and parses the
 * `RESULT {json}` line it prints.
 */
export async function runChild(
  command: string[],
  options: { timeoutMs: number; timeV: boolean; cwd?: string },
): Promise<ChildRun> {
  const argv = options.timeV ? [TIME, "-v", ...command] : command;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited between the timer firing and the kill.
    }
  }, options.timeoutMs);
  let output: Deno.CommandOutput;
  try {
    output = await child.output();
  } finally {
    clearTimeout(timer);
  }
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const timeRss = kb ? Number(kb[1]) * 1024 : undefined;
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) {
    const why = output.signal === "SIGKILL"
      ? `killed after the ${options.timeoutMs} ms cap`
      : `exit ${output.code}`;
    return {
      result: { error: `no result (${why}): ${tail(stderr) || tail(stdout)}` },
      timeRss,
    };
  }
  return { result: JSON.parse(line.slice("RESULT ".length)), timeRss };
}

/** The org's counters and the server process's CPU time and RSS. */
export interface ServerStats {
  requests: Record<string, number>;
  logins: number;
  tokensIssued: number;
  apiCalls: number;
  cpuMs: number;
  rss: number;
}

/** What bench/_server.ts printed on start. */
export interface ServerInfo {
  url: string;
  control: string;
  credentials: {
    username: string;
    password: string;
    securityToken: string;
    clientId: string;
    clientSecret: string;
  };
  ids: string[];
}

/** A running bench server process. */
export interface BenchServer {
  info: ServerInfo;
  stats(): Promise<ServerStats>;
  inject(
    fault: {
      path?: string;
      method?: string;
      latencyMs?: number;
      times?: number;
    },
  ): Promise<
    void
  >;
  clearFaults(): Promise<void>;
  /** Closes its stdin (it then stops), kills it if it lingers; returns its last stderr line. */
  stop(): Promise<string>;
}

async function control(
  info: ServerInfo,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${info.control}${path}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json = await response.json();
  if (!response.ok) {
    throw new Error(`bench server ${path}: ${JSON.stringify(json)}`);
  }
  return json;
}

/**
 * Starts bench/_server.ts with `args` (and `denoFlags` before the script); waits
 * (up to 120 s, seeding included) for its JSON line.
 */
export async function startServer(
  script: string,
  args: string[],
  denoFlags: string[] = [],
): Promise<BenchServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      ...denoFlags,
      script,
      ...args,
      "--max-seconds",
      "3600",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let stderr = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({
      write(chunk) {
        stderr = (stderr + chunk).slice(-20_000);
      },
    }),
  ).catch(() => {});
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const startup = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // It exited on its own.
    }
  }, 120_000);
  let info: ServerInfo;
  try {
    while (!buffered.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) {
        throw new Error(`bench server exited before starting: ${tail(stderr)}`);
      }
      buffered += value;
    }
    info = JSON.parse(buffered.slice(0, buffered.indexOf("\n")));
  } catch (error) {
    await stdin.close().catch(() => {});
    await child.status;
    throw error;
  } finally {
    clearTimeout(startup);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  const stdoutDone = (async () => {
    while (!(await lines.read()).done) {
      // Nothing else is expected on stdout.
    }
  })().catch(() => {});
  return {
    info,
    stats: async () => await control(info, "/__stats") as ServerStats,
    inject: async (fault) => {
      await control(info, "/__inject", fault);
    },
    clearFaults: async () => {
      await control(info, "/__clear", {});
    },
    stop: async () => {
      await stdin.close().catch(() => {});
      const kill = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Stopped in time after all.
        }
      }, 10_000);
      await child.status;
      clearTimeout(kill);
      await Promise.all([stderrDone, stdoutDone]);
      return tail(stderr, 1);
    },
  };
}
