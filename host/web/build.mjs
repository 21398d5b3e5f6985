// Builds the web page into host/web/dist/: the component transpiled by jco,
// the page and its worker bundled by esbuild, every asset precompressed
// (gzip and brotli) next to it, and manifest.json listing them for the gateway.
//
// Usage: node build.mjs [path/to/stepwasm.wasm]   (run by build.sh)

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const component = path.resolve(process.argv[2] || path.join(here, "../../dist/stepwasm.wasm"));
const jcoOut = path.join(here, "build/jco");
const final = path.join(here, "dist");
// Built aside and moved into place at the end: two builds at once (several
// checkouts' build.sh) never mix their files, and the gateway never sees half.
const out = path.join(here, "build", `dist.tmp-${process.pid}`);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
};

function log(message) {
  process.stderr.write(`==> web: ${message}\n`);
}

function sha256(file) {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

// 1. jco: only when the component changed (it takes a while).
if (!fs.existsSync(component)) {
  throw new Error(`${component} is missing: run ./build.sh first`);
}
const digest = sha256(component);
const stamp = path.join(jcoOut, ".component-sha256");
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== digest) {
  log("transpiling the component with jco");
  const fresh = `${jcoOut}.tmp-${process.pid}`;
  execFileSync(
    path.join(here, "node_modules/.bin/jco"),
    ["transpile", component, "-o", fresh, "--name", "stepwasm",
      "--instantiation", "async", "--no-nodejs-compat", "--quiet"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  fs.writeFileSync(path.join(fresh, ".component-sha256"), digest);
  fs.rmSync(jcoOut, { recursive: true, force: true });
  fs.renameSync(fresh, jcoOut);
}

// 2. esbuild: the page and the worker.
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "assets"), { recursive: true });
log("bundling the page and the worker");
const common = { bundle: true, minify: true, platform: "browser", target: "es2022", logLevel: "warning", legalComments: "none" };
await esbuild.build({ ...common, entryPoints: [path.join(here, "src/main.js")], format: "esm", outfile: path.join(out, "assets/main.js") });
// The worker is a classic script (module workers are newer); jco's default
// module loader reads import.meta, which the worker replaces with its own.
await esbuild.build({
  ...common,
  entryPoints: [path.join(here, "src/worker.js")],
  format: "iife",
  outfile: path.join(out, "assets/worker.js"),
  logOverride: { "empty-import-meta": "silent" },
});

// 3. the rest as they are.
fs.copyFileSync(path.join(here, "src/index.html"), path.join(out, "index.html"));
fs.copyFileSync(path.join(here, "src/style.css"), path.join(out, "assets/style.css"));
fs.copyFileSync(path.join(here, "node_modules/@xterm/xterm/css/xterm.css"), path.join(out, "assets/xterm.css"));
for (const name of fs.readdirSync(jcoOut)) {
  if (name.endsWith(".wasm")) fs.copyFileSync(path.join(jcoOut, name), path.join(out, "assets", name));
}

// 4. precompress, and list everything for the gateway.
log("compressing (gzip, brotli)");
const files = {};
let raw = 0, gzip = 0, brotli = 0;
const assets = fs.readdirSync(path.join(out, "assets")).map((n) => `assets/${n}`);
for (const rel of ["index.html", ...assets]) {
  const file = path.join(out, rel);
  const data = fs.readFileSync(file);
  const gz = zlib.gzipSync(data, { level: 9 });
  const br = zlib.brotliCompressSync(data, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 9,
      [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  fs.writeFileSync(file + ".gz", gz);
  fs.writeFileSync(file + ".br", br);
  files[rel] = { type: TYPES[path.extname(rel)], size: data.length, gzip: gz.length, br: br.length };
  raw += data.length;
  gzip += gz.length;
  brotli += br.length;
}
const manifest = { component: digest, files, total: { size: raw, gzip, br: brotli } };
fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
const old = path.join(here, "build", `dist.old-${process.pid}`);
if (fs.existsSync(final)) fs.renameSync(final, old);
fs.renameSync(out, final);
fs.rmSync(old, { recursive: true, force: true });
const mib = (n) => (n / 1048576).toFixed(1) + " MiB";
log(`built ${final}: ${mib(raw)} raw, ${mib(gzip)} gzip, ${mib(brotli)} brotli`);
