// Module-load benchmark: import the library and make the first call.
import { connect } from "../../mod.ts";

await using client = connect({ socket: Deno.args[0] });
await client.operations.list();
