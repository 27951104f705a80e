/**
 * The requests of the google.longrunning client against the published HTTP
 * mapping of `google.longrunning.Operations` (google/longrunning/
 * operations.proto in googleapis/googleapis, its `google.api.http`
 * annotations):
 *
 *   ListOperations   get: "/v1/{name=operations}"            (no body)
 *   GetOperation     get: "/v1/{name=operations/**}"         (no body)
 *   DeleteOperation  delete: "/v1/{name=operations/**}"      (no body)
 *   CancelOperation  post: "/v1/{name=operations/**}:cancel" body: "*"
 *   WaitOperation    no HTTP annotation (services may add one)
 *
 * By the HTTP transcoding rules (google/api/http.proto): fields bound in
 * the path are left out of the body and the query; with `body: "*"` every
 * other field goes in the JSON body (CancelOperationRequest has only
 * `name`, so the body is `{}`); without a body, the other fields are query
 * parameters (ListOperationsRequest: `filter`, `pageSize`, `pageToken`,
 * JSON names of `filter`, `page_size`, `page_token`).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { connectLongRunning } from "../../src/google/mod.ts";
import { FakeLongRunning } from "../../src/testing/mod.ts";

interface Binding {
  verb: string;
  template: string;
  body?: "*";
  queryFields: string[];
}

const MAPPING: Record<string, Binding> = {
  ListOperations: {
    verb: "GET",
    template: "/v1/{name=operations}",
    queryFields: ["filter", "pageSize", "pageToken"],
  },
  GetOperation: { verb: "GET", template: "/v1/{name=operations/**}", queryFields: [] },
  DeleteOperation: { verb: "DELETE", template: "/v1/{name=operations/**}", queryFields: [] },
  CancelOperation: {
    verb: "POST",
    template: "/v1/{name=operations/**}:cancel",
    body: "*",
    queryFields: [],
  },
};

/** A path template as a regular expression capturing the `name` variable. */
function templateRegExp(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  const pattern = escaped.replace(/\{name=([^}]*)\}/, (_, inner: string) => {
    const segments = inner.replace(/\\\*\\\*/g, "**").split("/").map((segment) =>
      segment === "**" ? "[^?#]+" : segment === "\\*" ? "[^/?#:]+" : segment
    );
    return `(${segments.join("/")})`;
  });
  return new RegExp(`^${pattern}$`);
}

Deno.test("mapping: the template reader itself", () => {
  const get = templateRegExp(MAPPING.GetOperation.template);
  assertEquals(get.exec("/v1/operations/a/b")?.[1], "operations/a/b");
  assertEquals(get.exec("/v1/other/a"), null);
  const cancel = templateRegExp(MAPPING.CancelOperation.template);
  assertEquals(cancel.exec("/v1/operations/a:cancel")?.[1], "operations/a");
  assertEquals(
    templateRegExp(MAPPING.ListOperations.template).exec("/v1/operations")?.[1],
    "operations",
  );
});

Deno.test("mapping: every request matches the published binding of its method", async () => {
  await using server = await FakeLongRunning.start({ waitMethod: false });
  const operations = connectLongRunning({ baseUrl: server.baseUrl, retry: false });
  const op = server.createOperation({ name: "operations/build-7" });
  const other = server.createOperation({ name: "operations/nested/deeper-1" });
  server.finish(other.name);

  const sent = () => server.requests.at(-1)!;
  const check = (method: keyof typeof MAPPING, name: string) => {
    const binding = MAPPING[method];
    const request = sent();
    assertEquals(request.method, binding.verb, method);
    const match = templateRegExp(binding.template).exec(request.path);
    if (match === null) {
      throw new Error(`${method}: ${request.path} does not match ${binding.template}`);
    }
    assertEquals(decodeURIComponent(match[1]), name, method);
    if (binding.body === "*") {
      // Every field but the path-bound `name`: none for CancelOperationRequest.
      assertEquals(request.body, {}, method);
      assertEquals(request.headers.get("content-type"), "application/json");
    } else {
      assertEquals(request.body, undefined, `${method} has no body`);
    }
    for (const key of new URLSearchParams(request.search).keys()) {
      assert(binding.queryFields.includes(key), `${method}: unexpected query parameter ${key}`);
    }
    return request;
  };

  await Array.fromAsync(operations.list());
  check("ListOperations", "operations");
  await Array.fromAsync(
    operations.list("operations", { filter: "done = true", pageSize: 1, pageToken: "" }),
  );
  const list = check("ListOperations", "operations");
  assertEquals(new URLSearchParams(list.search).get("filter"), "done = true");
  assertEquals(new URLSearchParams(list.search).get("pageSize"), "1");

  await operations.get(op.name);
  check("GetOperation", op.name);
  await operations.get(other.name);
  check("GetOperation", other.name);
  await operations.cancel(op.name);
  check("CancelOperation", op.name);
  await operations.delete(op.name);
  check("DeleteOperation", op.name);

  // wait without a server `:wait` is GetOperation polling.
  await operations.wait(other.name);
  check("GetOperation", other.name);
});

Deno.test("mapping: WaitOperation (no upstream binding) as services add it: POST {name}:wait", async () => {
  await using server = await FakeLongRunning.start();
  const operations = connectLongRunning({ baseUrl: server.baseUrl });
  const op = server.createOperation({ durationMs: 10 });
  await operations.wait(op.name, { timeout: 90_000 });
  const request = server.requests.at(-1)!;
  assertEquals(request.method, "POST");
  assertEquals(request.path, `/v1/${op.name}:wait`);
  // WaitOperationRequest minus the path-bound name: a proto3 JSON Duration.
  assertEquals(request.body, { timeout: "30s" });
  assertMatch((request.body as { timeout: string }).timeout, /^\d+s$/);
});
