/**
 * What `connect()` and `connectRemote()` do before there is a
 * {@linkcode Client}: check the options, resolve the socket or the remote
 * of `config.yml`, and open the transport.
 *
 * @module
 */

import { InvalidArgumentError } from "../core/errors.ts";
import { CLOCK, type Clock } from "../core/deadlines.ts";
import { duration, invalidArgument } from "../core/validate.ts";
import type { OperationsSettings } from "./operations/options.ts";
import { resolveSocket } from "./transport/socket.ts";
import { Transport } from "./transport/transport.ts";
import { memberName } from "./call_scope.ts";
import { memberOrigins } from "./transport/failover.ts";
import type { ConnectOptions } from "./client_options.ts";
// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { Client } from "./client.ts";

/** How connectRemote names the remote and the fix in authentication errors (not public). */
const AUTH_CONTEXT = Symbol("authContext");
interface InternalAuthOptions {
  [AUTH_CONTEXT]?: { remoteName: string; authHint: string };
  [CLOCK]?: Clock;
}

/** An open transport and the settings of the client's jobs. */
export interface OpenedTransport {
  /** The transport (close it when done). */
  transport: Transport;
  /** Default project and member, waiting knobs, clock. */
  settings: OperationsSettings;
}

/**
 * Checks `options` and opens the transport `connect()` puts in its client
 * (nothing is sent). Throws as `connect()` does: `InvalidArgumentError`
 * for a bad option, `ConnectionError` for a socket that cannot be used.
 */
export function openTransport(options: ConnectOptions = {}): OpenedTransport {
  if ((options as { remote?: unknown } | undefined)?.remote !== undefined) {
    throw new InvalidArgumentError(
      "connect({ remote }) is now await connectRemote(remote, options): config.yml is read " +
        "asynchronously",
    );
  }
  const requestTimeout = duration("requestTimeout", options.requestTimeout);
  const waitSliceMs = duration("waitSliceMs", options.waitSliceMs);
  const settings: OperationsSettings = {
    project: options.project,
    tuning: {
      ...(waitSliceMs === undefined ? {} : { waitSliceMs }),
      ...(options.events === undefined
        ? {}
        : typeof options.events === "object"
        ? { events: true, hub: options.events }
        : { events: options.events }),
    },
    memberGraceMs: duration("memberGraceMs", options.memberGraceMs),
    target: memberName(options.target),
    clock: (options as InternalAuthOptions)[CLOCK],
  };
  const bytes = options.maxResponseBytes;
  if (bytes !== undefined && !(typeof bytes === "number" && bytes >= 1)) {
    throw invalidArgument("maxResponseBytes", bytes, "a number of bytes >= 1, or Infinity");
  }
  const common = {
    requestTimeout,
    maxResponseBytes: bytes,
    token: options.token,
    getToken: options.getToken,
    clock: settings.clock,
    retry: options.retry,
    ...(options as InternalAuthOptions)[AUTH_CONTEXT],
  };
  if (options.url !== undefined) {
    const urls = Array.isArray(options.url) ? memberOrigins(options.url) : undefined;
    const transport = new Transport({
      ...common,
      url: urls?.[0] ?? options.url as string,
      members: urls?.slice(1),
      cert: options.cert,
      key: options.key,
      ca: options.serverCert ?? options.ca,
    });
    return { transport, settings };
  }
  const { path: socket } = resolveSocket({ socket: options.socket });
  return { transport: new Transport({ ...common, socket }), settings };
}

/**
 * The options `connectRemote(remote, options)` connects with: the remote's
 * of `config.yml` (its OIDC tokens when it uses them), overridden by
 * `options`. Throws as `connectRemote()` does.
 */
export async function remoteOptions(
  remote: string | undefined,
  options: ConnectOptions,
): Promise<ConnectOptions> {
  // Loaded only here: a socket or URL client never reads config.yml (nor loads @std/yaml).
  const { resolveRemote } = await import("./transport/remote.ts");
  const { name, oidcConfigDir, ...resolved } = await resolveRemote(remote);
  const given = Object.fromEntries(
    Object.entries(options).filter(([key, value]) => key !== "remote" && value !== undefined),
  );
  const merged: ConnectOptions & InternalAuthOptions = { ...resolved, ...given };
  if (oidcConfigDir !== undefined && merged.token === undefined && merged.getToken === undefined) {
    const { oidcTokenSource } = await import("./transport/oidc_tokens.ts");
    merged.getToken = oidcTokenSource(oidcConfigDir, name);
    merged[AUTH_CONTEXT] = {
      remoteName: name,
      authHint: `log in again with the incus CLI (any command on the remote, e.g. ` +
        `"incus info ${name}:", opens the OIDC login)`,
    };
  }
  return merged;
}
