/**
 * Separate-process contender of `bench/report.ts`: this library.
 *
 * @module
 */

import { connect } from "../../mod.ts";
import { clientArgs, timeCalls } from "./_loop.ts";

const args = clientArgs();
await using client = connect({ socket: args.socket });
await timeCalls(
  args.mode === "get" ? () => client.operations.get(args.id) : () => client.operations.list(),
  args,
);
