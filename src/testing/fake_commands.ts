/**
 * The commands the fake daemon can run: a small scripted set (`echo`,
 * `cat`, `sh -c`, `sleep`, `true`, `false`, `uname`, `pwd`, `stty size`)
 * and the hook users script their own with.
 *
 * @module
 */

/** What a scripted command sees: its arguments, input, output and signals. */
export interface FakeCommandContext {
  /** The arguments after the command's name. */
  readonly args: readonly string[];
  /** The whole command, its name first. */
  readonly command: readonly string[];
  /** The instance it runs in. */
  readonly instance: string;
  /** The instance's project. */
  readonly project: string;
  /** Its environment (the request's, over the daemons' defaults `PATH`, `HOME`, `USER`, `LANG`). */
  readonly env: Readonly<Record<string, string>>;
  /** Its working directory (the request's `cwd`, else `HOME`, else `/`). */
  readonly cwd: string;
  /** Whether it runs under a terminal (`interactive`): output then goes to fd 0 with `\r\n` line ends. */
  readonly interactive: boolean;
  /** The terminal's size (interactive mode), kept current by `window-resize`. */
  readonly terminal: { readonly width: number; readonly height: number } | undefined;
  /**
   * Its standard input: what the client sends on fd 0, ending at the
   * client's end-of-input (an empty text message, or Ctrl-D under a
   * terminal). Empty at once for a command started without websockets.
   */
  readonly stdin: ReadableStream<Uint8Array>;
  /**
   * Aborted when the command receives a signal that ends it (over the
   * control socket, or SIGKILL when the client drops the control socket);
   * its reason is the signal number. The command has then already ended
   * with exit code 128 + signal: stop working.
   */
  readonly signal: AbortSignal;
  /**
   * Writes to standard output.
   *
   * @param data Text (UTF-8) or bytes.
   */
  write(data: string | Uint8Array): void;
  /**
   * Writes to standard error (merged into the terminal, interactive mode).
   *
   * @param data Text (UTF-8) or bytes.
   */
  writeError(data: string | Uint8Array): void;
  /**
   * Runs another command of the fake's set with the same input, and the
   * same output unless `output` replaces it (what a script does).
   *
   * @param command The command and its arguments.
   * @param output Where its stdout and stderr go instead.
   * @returns Its exit code (127, after "sh: NAME: not found" on stderr, when there is no such command).
   */
  run(command: readonly string[], output?: FakeCommandOutput): Promise<number>;
}

/** Where a command's output goes, for {@linkcode FakeCommandContext.run}. */
export interface FakeCommandOutput {
  /** Standard output (default: the caller's). */
  write?: (data: string | Uint8Array) => void;
  /** Standard error (default: the caller's). */
  writeError?: (data: string | Uint8Array) => void;
}

/**
 * A scripted command: resolves with its exit code (`undefined` = 0). An
 * exit code of 127 makes the exec operation fail with "Command not found"
 * and 126 with "Command not executable", as the daemons do. A thrown error
 * makes it fail with the error's message (the daemon could not start it).
 */
export type FakeCommand = (
  context: FakeCommandContext,
) => number | void | Promise<number | void>;

/** Signals whose default action is to be ignored (SIGCHLD, SIGCONT, SIGURG, SIGWINCH). */
const IGNORED_SIGNALS: ReadonlySet<number> = new Set([17, 18, 23, 28]);

/** Whether `signal` ends a process that does not handle it. */
export function endsProcess(signal: number): boolean {
  return Number.isInteger(signal) && signal > 0 && signal < 65 && !IGNORED_SIGNALS.has(signal);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of `data`. */
export function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Resolves after `ms`, or rejects with the signal's reason. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Reads all of `stdin`, handing each chunk to `each`; stops when `signal` aborts. */
async function readAll(
  stdin: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  each: (chunk: Uint8Array) => void,
): Promise<void> {
  const reader = stdin.getReader();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done || signal.aborted) return;
      each(value);
    }
  } finally {
    signal.removeEventListener("abort", stop);
    reader.releaseLock();
  }
}

const echo: FakeCommand = ({ args, write }) => {
  const noNewline = args[0] === "-n";
  write((noNewline ? args.slice(1) : args).join(" ") + (noNewline ? "" : "\n"));
};

const cat: FakeCommand = async ({ args, stdin, signal, write, writeError }) => {
  if (args.length > 0) {
    for (const file of args) writeError(`cat: can't open '${file}': No such file or directory\n`);
    return 1;
  }
  await readAll(stdin, signal, write);
};

const sleepCommand: FakeCommand = async ({ args, signal, writeError }) => {
  const seconds = Number(args[0]);
  if (args.length === 0 || !Number.isFinite(seconds) || seconds < 0) {
    writeError(`sleep: invalid number '${args[0] ?? ""}'\n`);
    return 1;
  }
  await sleep(seconds * 1000, signal);
};

const uname: FakeCommand = ({ args, write }) => {
  write(args.includes("-a") ? "Linux fake 6.1.0 #1 SMP x86_64 GNU/Linux\n" : "Linux\n");
};

const stty: FakeCommand = ({ args, terminal, write, writeError }) => {
  if (args[0] !== "size" || terminal === undefined) {
    writeError("stty: standard input: Not a tty\n");
    return 1;
  }
  write(`${terminal.height} ${terminal.width}\n`);
};

/** The scripted commands every fake daemon knows. */
export const BUILTIN_COMMANDS: Readonly<Record<string, FakeCommand>> = {
  echo,
  cat,
  sleep: sleepCommand,
  true: () => 0,
  false: () => 1,
  uname,
  pwd: ({ cwd, write }) => write(`${cwd}\n`),
  stty,
  sh: (context) => shell(context),
};

/**
 * A tiny `sh`: `sh -c SCRIPT`, or one line at a time from stdin. A script
 * is commands separated by `;`, newlines, `&&` and `||`, with '…' and "…"
 * quoting, `$VAR`, `$?`, the redirections `>&2`, `1>&2`, `2>&1`,
 * `>/dev/null`, `2>/dev/null`, and `exit N`. Other commands come from the
 * fake's set; a missing one prints "sh: NAME: not found" and gives 127.
 */
async function shell(context: FakeCommandContext): Promise<number> {
  const state = { status: 0, exited: false };
  if (context.args[0] === "-c") {
    await runScript(context.args[1] ?? "", context, state);
    return state.status;
  }
  // One line at a time, as it arrives.
  const reader = context.stdin.getReader();
  const stop = () => reader.cancel().catch(() => {});
  context.signal.addEventListener("abort", stop, { once: true });
  let pending = "";
  try {
    while (!state.exited && !context.signal.aborted) {
      const { done, value } = await reader.read();
      pending += done ? "\n" : decoder.decode(value, { stream: true });
      let end;
      while (!state.exited && (end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        await runScript(line, context, state);
      }
      if (done) break;
    }
  } finally {
    context.signal.removeEventListener("abort", stop);
    reader.releaseLock();
  }
  return state.status;
}

type Token = { word: string } | { operator: string };

/** Splits a script into words and operators. */
function tokenize(script: string, env: Readonly<Record<string, string>>, status: number): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const expand = (name: string) => name === "?" ? String(status) : env[name] ?? "";
  let i = 0;
  const variable = (): string => {
    const special = /^[?$]/.exec(script.slice(i + 1));
    if (special) {
      i += 2;
      return special[0] === "$" ? "1" : expand("?");
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(script.slice(i + 1))?.[0];
    if (name === undefined) {
      i++;
      return "$";
    }
    i += 1 + name.length;
    return expand(name);
  };
  while (i < script.length) {
    const char = script[i];
    const two = script.slice(i, i + 2);
    if (char === " " || char === "\t") {
      if (word !== undefined) tokens.push({ word });
      word = undefined;
      i++;
    } else if (two === "&&" || two === "||") {
      if (word !== undefined) tokens.push({ word });
      word = undefined;
      tokens.push({ operator: two });
      i += 2;
    } else if (char === ";" || char === "\n") {
      if (word !== undefined) tokens.push({ word });
      word = undefined;
      tokens.push({ operator: ";" });
      i++;
    } else if (char === "'") {
      const end = script.indexOf("'", i + 1);
      const stop = end < 0 ? script.length : end;
      word = (word ?? "") + script.slice(i + 1, stop);
      i = stop + 1;
    } else if (char === '"') {
      word ??= "";
      i++;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === "$") word += variable();
        else if (script[i] === "\\" && /["\\$]/.test(script[i + 1] ?? "")) {
          word += script[i + 1];
          i += 2;
        } else word += script[i++];
      }
      i++;
    } else if (char === "$") {
      word = (word ?? "") + variable();
    } else {
      word = (word ?? "") + char;
      i++;
    }
  }
  if (word !== undefined) tokens.push({ word });
  return tokens;
}

/** Runs a script's commands in order, updating `state`. */
async function runScript(
  script: string,
  context: FakeCommandContext,
  state: { status: number; exited: boolean },
): Promise<void> {
  let connector = ";";
  // Each command is tokenized when reached, so `$?` sees the status before it.
  let rest = script;
  while (!state.exited && !context.signal.aborted) {
    const tokens = tokenize(rest, context.env, state.status);
    const end = tokens.findIndex((token) => "operator" in token);
    const words = tokens.slice(0, end < 0 ? tokens.length : end).map((token) =>
      (token as { word: string }).word
    );
    const operator = end < 0 ? undefined : (tokens[end] as { operator: string }).operator;
    const skip = (connector === "&&" && state.status !== 0) ||
      (connector === "||" && state.status === 0);
    if (words.length > 0 && !skip) await runSimple(words, context, state);
    if (operator === undefined) return;
    connector = operator;
    rest = rest.slice(operatorEnd(rest, operator));
  }
}

/** The index just after the first unquoted `operator` in `script`. */
function operatorEnd(script: string, operator: string): number {
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const char = script[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === "\\" && quote === '"') i++;
    } else if (char === "'" || char === '"') quote = char;
    else if (operator === ";" && (char === ";" || char === "\n")) return i + 1;
    else if (script.startsWith(operator, i)) return i + operator.length;
  }
  return script.length;
}

const REDIRECTIONS = new Set([">&2", "1>&2", "2>&1", ">/dev/null", "1>/dev/null", "2>/dev/null"]);

/** Runs one command with its redirections. */
async function runSimple(
  words: string[],
  context: FakeCommandContext,
  state: { status: number; exited: boolean },
): Promise<void> {
  let out: (data: string | Uint8Array) => void = context.write;
  let err: (data: string | Uint8Array) => void = context.writeError;
  const drop = () => {};
  const command = words.filter((word) => {
    if (!REDIRECTIONS.has(word)) return true;
    if (word === ">&2" || word === "1>&2") out = context.writeError;
    else if (word === "2>&1") err = out;
    else if (word === "2>/dev/null") err = drop;
    else out = drop;
    return false;
  });
  if (command[0] === "exit") {
    state.status = command[1] === undefined ? state.status : Number(command[1]) & 255;
    state.exited = true;
    return;
  }
  if (command.length === 0) return;
  state.status = await context.run(command, { write: out, writeError: err });
}

/** Everything a command runs with, apart from its name and arguments. */
export interface CommandEnvironment {
  /** The commands it may run, by name. */
  commands: Readonly<Record<string, FakeCommand>>;
  /** The context's fixed fields. */
  base: Omit<FakeCommandContext, "args" | "command" | "run" | "write" | "writeError">;
  /** Standard output. */
  write: (data: string | Uint8Array) => void;
  /** Standard error. */
  writeError: (data: string | Uint8Array) => void;
}

/**
 * Runs `command` from `environment.commands` (a path such as `/bin/echo`
 * is looked up by its last part). A missing command resolves 127 after
 * writing `notFound` (if given) to stderr; a command that throws rejects.
 */
export async function runCommand(
  command: readonly string[],
  environment: CommandEnvironment,
  notFound?: (name: string) => string,
): Promise<number> {
  const name = command[0] ?? "";
  const base = name.slice(name.lastIndexOf("/") + 1);
  // Own properties only: `/bin/constructor` is no command.
  const found = [name, base].find((key) => Object.hasOwn(environment.commands, key));
  const script = found === undefined ? undefined : environment.commands[found];
  if (script === undefined || name === "") {
    if (notFound !== undefined) environment.writeError(notFound(name));
    return 127;
  }
  const context: FakeCommandContext = {
    ...environment.base,
    args: command.slice(1),
    command,
    write: environment.write,
    writeError: environment.writeError,
    run(inner, output = {}) {
      return runCommand(inner, {
        ...environment,
        write: output.write ?? environment.write,
        writeError: output.writeError ?? environment.writeError,
      }, (missing) => `sh: ${missing}: not found\n`);
    },
  };
  const code = await script(context);
  return code === undefined ? 0 : code;
}
