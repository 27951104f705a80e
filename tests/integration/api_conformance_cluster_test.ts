/**
 * Conformance of the generated Incus 6.0 types with the real cluster (issue
 * 27): every cluster GET endpoint, read on m1, checked against the schema
 * table as api_conformance_test.ts does for the standalone daemons.
 * Differences are fixed in .ci/api/overrides.yaml, never here.
 */

import { assertEquals } from "@std/assert";
import { CLUSTER, connectToMember } from "./_cluster.ts";
import { answerDifferences, describe, TABLES, templateOf } from "./_conformance.ts";

if (CLUSTER !== undefined) {
  const cluster = CLUSTER;
  Deno.test("cluster: real answers of the cluster endpoints match the generated API types", async () => {
    const [m1] = cluster.members;
    await using client = connectToMember(m1);
    const paths = [
      "/1.0/cluster",
      "/1.0/cluster/members",
      "/1.0/cluster/members?recursion=1",
      `/1.0/cluster/members/${m1.name}`,
      `/1.0/cluster/members/${m1.name}/state`,
      "/1.0/cluster/groups",
      "/1.0/cluster/groups?recursion=1",
      "/1.0/cluster/groups/default",
    ];
    const found = [];
    for (const path of paths) {
      const template = templateOf(TABLES.incus, path);
      if (template === undefined) throw new Error(`${path}: no documented template`);
      found.push(...answerDifferences(TABLES.incus, template, await client.query(path as string)));
    }
    assertEquals(describe(found), [], "the cluster answers differently from its types");
  });
}
