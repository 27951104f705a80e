/**
 * `connect()` and `connectRemote()`: where and how a {@linkcode Client}
 * connects.
 *
 * @module
 */

// deno-lint-ignore no-unused-vars -- for {@linkcode} in the docs
import type { AuthenticationError } from "./errors.ts";
import { Client } from "./client.ts";
import type { ConnectOptions } from "./client_options.ts";
import { openTransport, remoteOptions } from "./open_transport.ts";
import type { ApiTypes, Incus60 } from "./typed_api.ts";

/**
 * Connects to an Incus or LXD daemon: over its Unix socket (`socket`, or the
 * first found of {@linkcode socketCandidates}), or to a remote over HTTPS with
 * a client certificate (`url`, `cert`, `key`, and `ca` or `serverCert`)
 * and/or a bearer token (`token` or `getToken`; a refused token throws
 * {@linkcode AuthenticationError}); {@linkcode connectRemote} for the remotes
 * of `config.yml`. Nothing is sent until the first call. A pinned
 * `serverCert` (or `ca`) is trusted in addition to Deno's root store, not
 * instead of it (Deno 2.9 has no client without the default roots): keep
 * that store to CAs you trust for the remote's name. Redirects are never
 * followed.
 *
 * The socket: `socket` as given; else the one `INCUS_SOCKET` or
 * `$INCUS_DIR/unix.socket` names, or `LXD_SOCKET` or `$LXD_DIR/unix.socket`
 * (checked at once: it must exist and be a socket; no other is tried; an
 * Incus and an LXD variable naming different sockets are refused as
 * ambiguous); only when none is set, the first socket found of
 * {@linkcode socketCandidates}.
 *
 * Deno permissions for a socket: `--allow-read=<path> --allow-write=<path>
 * --allow-net=unix:<path>,127.0.0.1:80` (requests name the host 127.0.0.1 but
 * go over the socket), and, without `socket`,
 * `--allow-env=INCUS_SOCKET,INCUS_DIR,LXD_SOCKET,LXD_DIR` (the variables are
 * never skipped: unreadable, they are an error naming the flag).
 *
 * What `connect()` checks at once, before returning (nothing is sent):
 * its options (a bad duration, retry policy, `maxResponseBytes` or a URL
 * that is not `https:` throws {@linkcode InvalidArgumentError}); which
 * socket to use, and that it exists and is a socket (else a
 * {@linkcode ConnectionError} naming the path, the variable that named it and
 * the fix); the Deno permission to read the socket variables. What it cannot
 * check without a request (the daemon is up, the user may open the socket,
 * the server's certificate) fails the first call with a `ConnectionError`
 * naming the path or URL and the fix.
 *
 * Its calls are typed by Incus 6.0's API description; `connect<Lxd50>()`
 * types them by LXD 5.0's ({@linkcode ApiTypes}).
 *
 * @typeParam A The API the client's calls are typed by.
 * @param options Where and how to connect.
 * @returns A client; close it, or use `await using`.
 * @throws {ConnectionError} The socket a variable names is missing or not a
 * socket; the variables disagree or may not be read; none was named and none
 * of the usual paths is a socket. The message names the path and the fix.
 * @throws {InvalidArgumentError} A bad option; nothing was sent.
 *
 * @example Local daemon (here the fake one)
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 * import { assertEquals } from "@std/assert";
 *
 * await using daemon = await FakeDaemon.start();
 * daemon.createOperation();
 * await using client = connect({ socket: daemon.path }); // or connect(): INCUS_SOCKET, ...
 * assertEquals((await client.operations.list()).length, 1);
 * ```
 *
 * @example Remote daemon: nothing is sent until the first call
 * ```ts
 * import { connect, InvalidArgumentError } from "@incusops/operations";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * // With its files: connect({ url, cert: await Deno.readTextFile("client.crt"),
 * //   key: await Deno.readTextFile("client.key"), serverCert: await Deno.readTextFile(...) })
 * await using client = connect({ url: "https://incus.example.net:8443" });
 * assertEquals(client.endpoint, "https://incus.example.net:8443");
 * assertThrows(() => connect({ url: "http://incus.example.net:8443" }), InvalidArgumentError);
 * ```
 */
export function connect<A extends ApiTypes = Incus60>(options: ConnectOptions = {}): Client<A> {
  const { transport, settings } = openTransport(options);
  return new Client<A>(transport, settings);
}

/**
 * Connects to a remote of the incus/lxc command line's `config.yml`
 * (`INCUS_CONF` alone when set, else `~/.config/incus`, then
 * `~/.config/lxc`): its address, client certificate
 * (`client.crt`/`client.key` or `clientcerts/<remote>.*`), pinned
 * `servercerts/<remote>.crt` and project. `local` is always the local
 * socket (resolved as {@linkcode connect} does). A remote with
 * `auth_type: oidc` uses the incus CLI's `oidctokens/<remote>.json`,
 * refreshed at the issuer and written back (mode 0600) when expired or
 * refused; without usable tokens, an {@linkcode AuthenticationError} says
 * to log in with the incus CLI first. Options given override the remote's.
 * Deno permissions: `--allow-env=INCUS_CONF,HOME` and
 * `--allow-read` of the config folder, besides the connection's own.
 *
 * @typeParam A The API the client's calls are typed by (see {@linkcode connect}).
 * @param remote The remote's name. Default: the config's `default-remote`
 * (`local` when there is no config).
 * @param options Overrides of what the remote says, and the client's settings.
 * @returns A client; close it, or use `await using`.
 * @throws {ConnectionError} The remote is unknown, an image server, lacks
 * a client certificate, or config.yml cannot be read (not permitted, not a
 * regular file, too large, not YAML): the message names it and the fix.
 *
 * @example
 * ```ts
 * import { connectRemote } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start();
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${dir}/config.yml`,
 *   `remotes:\n  fake:\n    addr: unix://${daemon.path}\n`,
 * );
 * Deno.env.set("INCUS_CONF", dir);
 * await using client = await connectRemote("fake");
 * console.log(await client.operations.list()); // []
 * Deno.env.delete("INCUS_CONF");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function connectRemote<A extends ApiTypes = Incus60>(
  remote?: string,
  options: ConnectOptions = {},
): Promise<Client<A>> {
  return connect<A>(await remoteOptions(remote, options));
}
