#!/usr/bin/env bash
# The static gates: format, lint, type check, import boundaries, doc lint,
# doc tests (every @example type-checked, the runnable ones run), publish dry run.
# JSR is unreachable in CI, so type checks and the publish dry run resolve
# the std imports through .ci/offline-imports.json (same bare specifiers).
set -euo pipefail
cd "$(dirname "$0")/.."
map=.ci/offline-imports.json
# Every published entry point (deno.json "exports").
entries=$(deno eval --quiet 'const c = JSON.parse(Deno.readTextFileSync("deno.json")); console.log(Object.values(c.exports).join(" "))')
echo "== generated API modules (.ci/api/generate.ts --check)"
deno run --allow-read=. --allow-run --import-map "$map" .ci/api/generate.ts --check
echo "== deno fmt --check"; deno fmt --check
echo "== deno lint"; deno lint
# Tests and benchmarks too, where the folders hold TypeScript.
extra=$(for dir in tests bench; do if [ -n "$(find "$dir" -name '*.ts' -print -quit 2>/dev/null)" ]; then echo "$dir/"; fi; done)
echo "== deno check ($entries $extra)"; deno check --import-map "$map" $entries $extra
echo "== import boundaries (.ci/layers.ts)"
deno run --allow-read --allow-run .ci/layers.ts --import-map "$map"
echo "== file sizes (.ci/sizes.ts)"; deno run --allow-read .ci/sizes.ts
echo "== README.md is a landing page (≤ 400 lines; the rest goes to docs/)"; test "$(wc -l <README.md)" -le 400
echo "== deno doc --lint"; deno doc --lint $entries
echo "== deno test --doc (mod.ts src/)"
deno test --doc --allow-all --import-map "$map" mod.ts src/
echo "== deno publish --dry-run"
offline=deno.offline.json
trap 'rm -f "$offline"' EXIT
deno eval --quiet "
  const config = JSON.parse(Deno.readTextFileSync('deno.json'));
  config.imports = JSON.parse(Deno.readTextFileSync('$map')).imports;
  Deno.writeTextFileSync('$offline', JSON.stringify(config, null, 2));"
deno publish --dry-run --allow-dirty -c "$offline"
echo "== gates passed"
