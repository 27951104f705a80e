/**
 * Test helpers: a fake Incus/LXD daemon on a Unix socket with real operation
 * semantics, so automation can be tested without a daemon.
 *
 * @example
 * ```ts
 * import { connect } from "@incusops/operations";
 * import { FakeDaemon } from "@incusops/operations/testing";
 *
 * await using daemon = await FakeDaemon.start({ flavor: "lxd" });
 * const op = daemon.createOperation({ durationMs: 20 });
 * await using client = connect({ socket: daemon.path });
 * console.log((await client.operations.wait(op.id)).status); // "Success"
 * ```
 *
 * @module
 */

export * from "./fake_daemon.ts";
export type { FakeCommand, FakeCommandContext, FakeCommandOutput } from "./fake_commands.ts";
export * from "./fake_longrunning.ts";
export type { BodyLimits } from "./request_body.ts";
