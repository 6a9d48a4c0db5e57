// Records which sources the committed build was made from: a SHA-256 over every input of
// the build (sources, lockfile, configuration). The Python test suite recomputes it the
// same way (tests/browser/test_bundle.py), so a source change without `make dashboard`
// fails `make test` on a machine without Node.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const INPUTS = ["index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts", "public", "src"];

function files(path) {
  if (statSync(path).isDirectory()) return readdirSync(path).sort().flatMap((name) => files(join(path, name)));
  return [path];
}

const hash = createHash("sha256");
for (const path of INPUTS.flatMap((input) => files(join(root, input))).sort()) {
  const name = relative(root, path).split(sep).join("/");
  hash.update(`${name}\n`);
  hash.update(readFileSync(path));
  hash.update("\n");
}
const out = join(root, "..", "api", "dashboard_static", "source.sha256");
writeFileSync(out, `${hash.digest("hex")}\n`);
console.log(`stamped ${relative(join(root, ".."), out)}`);
