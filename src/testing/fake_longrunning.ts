/**
 * An in-process fake google.longrunning `Operations` service over HTTP on
 * the loopback interface, speaking the REST/JSON mapping: list (filter and
 * pages), get, cancel, delete, an optional `:wait`, and `google.rpc.Status`
 * errors. For testing automation built on `@incusops/operations/google`.
 *
 * @module
 */

import type { Any, Operation, Status } from "../google/mod.ts";
import { Code, codeName, httpStatusOf } from "../google/mod.ts";
import type { RequestInterceptor } from "./fake_daemon.ts";
import { type BodyLimits, type BodyRefused, readBody } from "./request_body.ts";

/** Options of {@linkcode FakeLongRunning.start}. */
export interface FakeLongRunningOptions extends BodyLimits {
  /**
   * The service's `POST {name}:wait`: `true` (default) serves it, `false`
   * answers 404 as for an unknown route (the upstream default: WaitOperation
   * has no HTTP binding), `"unimplemented"` answers 501 UNIMPLEMENTED.
   */
  waitMethod?: boolean | "unimplemented";
  /** Longest server-side wait of one `:wait`, ms (default 10 000). */
  maxWaitMs?: number;
  /** Page size when the request gives none (default 50). */
  defaultPageSize?: number;
  /** Largest page size served (default 1000). */
  maxPageSize?: number;
  /** Version prefix of every path (default `/v1`). */
  prefix?: string;
}

/** The options, defaults filled in (the body limits' by `readBody`). */
type Settings = Required<Omit<FakeLongRunningOptions, keyof BodyLimits>> & BodyLimits;

/** What to create with {@linkcode FakeLongRunning.createOperation}. */
export interface FakeOperationSpec {
  /** Its name (default `operations/op-<n>`). */
  name?: string;
  /** Its metadata. */
  metadata?: Any;
  /** Finish on its own after this many ms (default: only through `finish` or cancel). */
  durationMs?: number;
  /** The response it finishes with on its own (default `google.protobuf.Empty`). */
  response?: Any;
  /** Finish on its own with this error instead. */
  error?: Status;
  /** Whether `:cancel` stops it (default `true`); `false`: accepted, ignored. */
  cancellable?: boolean;
}

/** The fake's whole record of an operation, beyond what it serves. */
export interface FakeOperationState {
  /** The operation as it is now. */
  operation: Operation;
  /** Whether `DELETE` removed it (it is no longer served, but runs on). */
  deleted: boolean;
  /** How many `:cancel` requests it got. */
  cancelRequests: number;
}

/** One request the fake received. */
export interface RecordedLongRunningRequest {
  /** HTTP method. */
  method: string;
  /** Path as received (not decoded). */
  path: string;
  /** Query string with its `?`, or "". */
  search: string;
  /** The JSON body, or `undefined` when there was none. */
  body: unknown;
  /** The request headers. */
  headers: Headers;
}

/** The JSON error body Google APIs send: `{"error": {code, message, status, details}}`. */
export function rpcErrorResponse(
  code: number,
  message: string,
  options: { httpStatus?: number; details?: Any[] } = {},
): Response {
  const status = options.httpStatus ?? httpStatusOf(code);
  return Response.json({
    error: { code: status, message, status: codeName(code), details: options.details ?? [] },
  }, { status });
}

const EMPTY: Any = { "@type": "type.googleapis.com/google.protobuf.Empty" };

interface Record_ {
  operation: Operation;
  deleted: boolean;
  cancelRequests: number;
  cancellable: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  waiters: Set<() => void>;
}

/**
 * A fake google.longrunning service on `http://127.0.0.1:<port>/v1`.
 *
 * @example
 * ```ts
 * import { connectLongRunning } from "@incusops/operations/google";
 * import { FakeLongRunning } from "@incusops/operations/testing";
 *
 * await using server = await FakeLongRunning.start();
 * const op = server.createOperation({ durationMs: 20, response: { "@type": "x", ok: true } });
 * const operations = connectLongRunning({ baseUrl: server.baseUrl });
 * const { response } = await operations.wait(op.name);
 * console.log(response); // { "@type": "x", ok: true }
 * ```
 */
export class FakeLongRunning {
  /** `http://127.0.0.1:<port>/v1`: pass it as `baseUrl`. */
  readonly baseUrl: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedLongRunningRequest[] = [];
  /** Answers requests in the fake's place when it returns a `Response` (fault injection). */
  interceptor: RequestInterceptor | undefined;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #options: Settings;
  readonly #ops = new Map<string, Record_>();
  #counter = 0;
  #closing = false;

  private constructor(
    server: Deno.HttpServer<Deno.NetAddr>,
    options: Settings,
    port: number,
  ) {
    this.#server = server;
    this.#options = options;
    this.baseUrl = `http://127.0.0.1:${port}${options.prefix}`;
  }

  /**
   * Starts the fake on a free loopback port.
   *
   * @param options `waitMethod`, `maxWaitMs`, `defaultPageSize`, `maxPageSize`, `prefix`.
   * @returns The running fake; close it with `close()` or `await using`.
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * const server = await FakeLongRunning.start({ waitMethod: false });
   * console.log(server.baseUrl); // http://127.0.0.1:<port>/v1
   * await server.close();
   * ```
   */
  static start(options: FakeLongRunningOptions = {}): Promise<FakeLongRunning> {
    const settings: Settings = {
      ...options,
      waitMethod: options.waitMethod ?? true,
      maxWaitMs: options.maxWaitMs ?? 10_000,
      defaultPageSize: options.defaultPageSize ?? 50,
      maxPageSize: options.maxPageSize ?? 1000,
      prefix: (options.prefix ?? "/v1").replace(/\/+$/, ""),
    };
    const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request): Promise<Response> => fake.#handle(request));
    // Requests only arrive once `fake` is set.
    const fake: FakeLongRunning = new FakeLongRunning(server, settings, server.addr.port);
    return Promise.resolve(fake);
  }

  /**
   * Creates an operation, running (`done` unset) until `durationMs` passes,
   * `finish()` or a `:cancel`.
   *
   * @param spec Name, metadata, and how it finishes on its own.
   * @returns A copy of the new operation.
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * await using server = await FakeLongRunning.start();
   * const op = server.createOperation({ name: "projects/p/operations/x", metadata: { step: 1 } });
   * console.log(op.name, op.done); // "projects/p/operations/x" undefined
   * ```
   */
  createOperation(spec: FakeOperationSpec = {}): Operation {
    const name = spec.name ?? `operations/op-${++this.#counter}`;
    if (this.#ops.has(name)) throw new Error(`fake: operation ${name} exists already`);
    const operation: Operation = { name };
    if (spec.metadata !== undefined) operation.metadata = structuredClone(spec.metadata);
    const record: Record_ = {
      operation,
      deleted: false,
      cancelRequests: 0,
      cancellable: spec.cancellable ?? true,
      timer: undefined,
      waiters: new Set(),
    };
    this.#ops.set(name, record);
    if (spec.durationMs !== undefined) {
      record.timer = setTimeout(() => {
        record.timer = undefined;
        this.#complete(
          record,
          spec.error ? { error: spec.error } : { response: spec.response ?? EMPTY },
        );
      }, spec.durationMs);
    }
    return structuredClone(operation);
  }

  /**
   * Finishes an operation now, with a response or an error.
   *
   * @param name The operation's name.
   * @param result `{ response }` or `{ error }` (default: an Empty response).
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * await using server = await FakeLongRunning.start();
   * const op = server.createOperation();
   * server.finish(op.name, { error: { code: 9, message: "disk full" } });
   * console.log(server.state(op.name).operation.error?.code); // 9
   * ```
   */
  finish(name: string, result: { response?: Any; error?: Status } = {}): void {
    const record = this.#record(name);
    clearTimeout(record.timer);
    record.timer = undefined;
    this.#complete(
      record,
      result.error ? { error: result.error } : { response: result.response ?? EMPTY },
    );
  }

  /**
   * Replaces an operation's metadata (progress), waking `:wait` callers
   * only when it finishes (as a real server does).
   *
   * @param name The operation's name.
   * @param metadata The new metadata.
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * await using server = await FakeLongRunning.start();
   * const op = server.createOperation();
   * server.update(op.name, { "@type": "progress", percent: 50 });
   * ```
   */
  update(name: string, metadata: Any): void {
    this.#record(name).operation.metadata = structuredClone(metadata);
  }

  /**
   * The fake's record of an operation, deleted ones included.
   *
   * @param name The operation's name.
   * @returns A copy of the operation, whether it was deleted, and how many cancels it got.
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * await using server = await FakeLongRunning.start();
   * const op = server.createOperation();
   * console.log(server.state(op.name).deleted); // false
   * ```
   */
  state(name: string): FakeOperationState {
    const record = this.#record(name);
    return {
      operation: structuredClone(record.operation),
      deleted: record.deleted,
      cancelRequests: record.cancelRequests,
    };
  }

  /**
   * Stops the fake: pending `:wait` calls are answered, timers cleared,
   * the listener closed. Safe to call twice.
   *
   * @example
   * ```ts
   * import { FakeLongRunning } from "@incusops/operations/testing";
   *
   * const server = await FakeLongRunning.start();
   * await server.close();
   * ```
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      for (const record of this.#ops.values()) {
        clearTimeout(record.timer);
        record.timer = undefined;
        for (const wake of record.waiters) wake();
      }
    }
    await this.#server.shutdown();
  }

  /** Same as {@linkcode FakeLongRunning.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #record(name: string): Record_ {
    const record = this.#ops.get(name);
    if (record === undefined) throw new Error(`fake: no operation ${name}`);
    return record;
  }

  #complete(record: Record_, result: { response?: Any; error?: Status }): void {
    if (record.operation.done) return;
    record.operation.done = true;
    if (result.error) record.operation.error = structuredClone(result.error);
    else record.operation.response = structuredClone(result.response);
    for (const wake of record.waiters) wake();
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // Logged on arrival; the body is filled in once read.
    const recorded: RecordedLongRunningRequest = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      body: undefined,
      headers: request.headers,
    };
    this.requests.push(recorded);
    if (this.interceptor !== undefined) {
      const replaced = await this.interceptor(request, url);
      if (replaced !== undefined) return replaced;
    }
    let text: string;
    try {
      text = await readBody(request, this.#options);
    } catch (refused) {
      const { status, message } = refused as BodyRefused;
      const code = status === 408 ? Code.DEADLINE_EXCEEDED : Code.INVALID_ARGUMENT;
      return rpcErrorResponse(code, message, { httpStatus: status });
    }
    let body: unknown = undefined;
    if (text !== "") {
      try {
        body = recorded.body = JSON.parse(text);
      } catch {
        recorded.body = text;
        return rpcErrorResponse(Code.INVALID_ARGUMENT, "the body is not JSON");
      }
    }
    const prefix = this.#options.prefix;
    if (!url.pathname.startsWith(`${prefix}/`)) return notFoundRoute(url.pathname);
    let raw = url.pathname.slice(prefix.length + 1);
    let verb = "";
    const colon = raw.lastIndexOf(":");
    if (colon > raw.lastIndexOf("/")) {
      verb = raw.slice(colon + 1);
      raw = raw.slice(0, colon);
    }
    let segments: string[];
    try {
      segments = raw.split("/").map(decodeURIComponent);
    } catch {
      return rpcErrorResponse(Code.INVALID_ARGUMENT, "bad percent-encoding in the path");
    }
    if (segments.some((segment) => segment === "")) return notFoundRoute(url.pathname);
    const name = segments.join("/");
    const method = request.method;
    if (verb === "") {
      if (method === "GET" && segments.at(-1) === "operations") return this.#list(name, url);
      if (method === "GET") return this.#get(name);
      if (method === "DELETE") return this.#delete(name);
    } else if (method === "POST" && verb === "cancel") {
      return this.#cancel(name);
    } else if (method === "POST" && verb === "wait") {
      const mode = this.#options.waitMethod;
      if (mode === "unimplemented") {
        return rpcErrorResponse(Code.UNIMPLEMENTED, "WaitOperation is not implemented");
      }
      if (mode === true) return await this.#wait(name, body);
    }
    return notFoundRoute(url.pathname);
  }

  #visible(name: string): Record_ | undefined {
    const record = this.#ops.get(name);
    return record === undefined || record.deleted ? undefined : record;
  }

  #get(name: string): Response {
    const record = this.#visible(name);
    if (record === undefined) return notFound(name);
    return Response.json(record.operation);
  }

  #delete(name: string): Response {
    const record = this.#visible(name);
    if (record === undefined) return notFound(name);
    // "No longer interested": forgotten, not cancelled; it runs on.
    record.deleted = true;
    return Response.json({});
  }

  #cancel(name: string): Response {
    const record = this.#visible(name);
    if (record === undefined) return notFound(name);
    record.cancelRequests++;
    if (!record.operation.done && record.cancellable) {
      clearTimeout(record.timer);
      record.timer = undefined;
      this.#complete(record, {
        error: { code: Code.CANCELLED, message: "Operation was cancelled." },
      });
    }
    return Response.json({});
  }

  /**
   * Holds the answer until the operation is done, the asked `timeout` (or
   * `maxWaitMs`) passes, or the fake closes. A client that goes away does not
   * end it early (Deno's `request.signal` also fires on normal completion).
   */
  async #wait(name: string, body: unknown): Promise<Response> {
    const record = this.#visible(name);
    if (record === undefined) return notFound(name);
    const asked = (body as { timeout?: unknown } | undefined)?.timeout;
    let limit = this.#options.maxWaitMs;
    if (asked !== undefined) {
      const match = typeof asked === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(asked) : null;
      if (match === null) {
        return rpcErrorResponse(Code.INVALID_ARGUMENT, `invalid timeout ${JSON.stringify(asked)}`);
      }
      limit = Math.min(limit, Number(match[1]) * 1000);
    }
    if (!record.operation.done && !this.#closing) {
      const { promise, resolve } = Promise.withResolvers<void>();
      const timer = setTimeout(resolve, limit);
      record.waiters.add(resolve);
      try {
        await promise;
      } finally {
        clearTimeout(timer);
        record.waiters.delete(resolve);
      }
    }
    return Response.json(record.operation);
  }

  #list(collection: string, url: URL): Response {
    const params = url.searchParams;
    const filterText = params.get("filter") ?? "";
    let filter: (op: Operation) => boolean;
    try {
      filter = parseFilter(filterText);
    } catch (error) {
      return rpcErrorResponse(Code.INVALID_ARGUMENT, (error as Error).message);
    }
    const sizeText = params.get("pageSize") ?? params.get("page_size");
    const size = sizeText === null ? this.#options.defaultPageSize : Number(sizeText);
    if (!Number.isInteger(size) || size < 0) {
      return rpcErrorResponse(
        Code.INVALID_ARGUMENT,
        `invalid pageSize ${JSON.stringify(sizeText)}`,
      );
    }
    const pageSize = Math.min(
      size === 0 ? this.#options.defaultPageSize : size,
      this.#options.maxPageSize,
    );
    const token = params.get("pageToken") ?? params.get("page_token") ?? "";
    let offset = 0;
    if (token !== "") {
      const decoded = decodeToken(token);
      if (
        decoded === undefined || decoded.filter !== filterText || decoded.collection !== collection
      ) {
        return rpcErrorResponse(Code.INVALID_ARGUMENT, "invalid page token for this listing");
      }
      offset = decoded.offset;
    }
    const prefix = `${collection}/`;
    const matching = [...this.#ops.values()]
      .filter((record) => !record.deleted && record.operation.name.startsWith(prefix))
      .map((record) => record.operation)
      .filter(filter);
    const page = matching.slice(offset, offset + pageSize);
    const next = offset + pageSize < matching.length
      ? encodeToken({ collection, filter: filterText, offset: offset + pageSize })
      : undefined;
    return Response.json(
      next === undefined ? { operations: page } : { operations: page, nextPageToken: next },
    );
  }
}

function notFound(name: string): Response {
  return rpcErrorResponse(Code.NOT_FOUND, `Operation ${JSON.stringify(name)} not found.`);
}

function notFoundRoute(path: string): Response {
  return rpcErrorResponse(
    Code.NOT_FOUND,
    `The requested URL ${path} was not found on this server.`,
  );
}

interface PageToken {
  collection: string;
  filter: string;
  offset: number;
}

function encodeToken(token: PageToken): string {
  return btoa(JSON.stringify(token)).replaceAll("=", "");
}

function decodeToken(text: string): PageToken | undefined {
  try {
    const token = JSON.parse(atob(text)) as PageToken;
    return Number.isInteger(token.offset) && token.offset >= 0 ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A small part of the AIP-160 filter language: comparisons `field = value`,
 * `field != value` and `field:value` (has / contains), joined by `AND`.
 * Fields: `done`, `name`, `error.code`, `metadata.<path>`. Values: `true`,
 * `false`, numbers, bare words or double-quoted strings.
 */
function parseFilter(text: string): (op: Operation) => boolean {
  if (text.trim() === "") return () => true;
  const terms = text.split(/\s+AND\s+/);
  const tests = terms.map((term) => {
    const match = /^\s*([A-Za-z_][\w.]*)\s*(!=|=|:)\s*("(?:[^"\\]|\\.)*"|[^\s"]+)\s*$/.exec(term);
    if (match === null) throw new Error(`unsupported filter term ${JSON.stringify(term.trim())}`);
    const [, field, op, rawValue] = match;
    if (!/^(done|name|error\.code|metadata(\.[\w]+)+)$/.test(field)) {
      throw new Error(`unsupported filter field ${JSON.stringify(field)}`);
    }
    const value = rawValue.startsWith('"') ? JSON.parse(rawValue) as string : rawValue;
    return (opn: Operation) => {
      const actual = field === "done" ? opn.done === true : lookup(opn, field.split("."));
      const shown = actual === undefined ? "" : String(actual);
      if (op === ":") return shown.includes(value);
      return op === "=" ? shown === value : shown !== value;
    };
  });
  return (op) => tests.every((test) => test(op));
}

function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
