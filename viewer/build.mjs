// Builds the offline Neuroglancer client served by `ffn view` into viewer/dist/
// and copies it to Ffn.Host/Viewer/client/ (the folder the C# side embeds).
//
//   cd viewer && npm ci && npm run build
//
// Options: --no-copy  build viewer/dist/ only, leave Ffn.Host/Viewer/client/ alone.
//
// Same inputs (package-lock.json, this file, src/, icons/, index.html) give the
// same bytes: no timestamps, no absolute paths, sorted file lists.

import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const client = path.resolve(here, "..", "Ffn.Host", "Viewer", "client");
const ngDir = path.join(here, "node_modules", "neuroglancer");
const copyToHost = !process.argv.includes("--no-copy");

const readJson = (p) => JSON.parse(fs.readFileSync(p, "utf8"));
if (!fs.existsSync(ngDir)) {
  console.error("node_modules/neuroglancer missing: run `npm ci` in viewer/ first.");
  process.exit(1);
}
const ngVersion = readJson(path.join(ngDir, "package.json")).version;

// `import x from "ikonate/icons/NAME.svg?raw"`: the SVG's text. The registry's
// ikonate@1.1.1 (neuroglancer pins a GitHub commit of it, which cannot be
// fetched offline) lacks a few icons; those come from viewer/icons/.
const rawImports = {
  name: "raw-text",
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, async (args) => {
      const bare = args.path.slice(0, -"?raw".length);
      const r = await build.resolve(bare, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
      });
      if (r.errors.length === 0) return { path: r.path, namespace: "raw-text" };
      const icon = /^ikonate\/icons\/([\w-]+\.svg)$/.exec(bare);
      const own = icon && path.join(here, "icons", icon[1]);
      if (own && fs.existsSync(own)) return { path: own, namespace: "raw-text" };
      return { errors: r.errors };
    });
    build.onLoad({ filter: /.*/, namespace: "raw-text" }, (args) => ({
      contents: fs.readFileSync(args.path, "utf8"),
      loader: "text",
    }));
  },
};

// Every bundle lands flat in dist/. neuroglancer starts its async-computation
// worker with new URL("../async_computation.bundle.js", import.meta.url),
// which is right for its lib/async_computation/ folder but, once bundled,
// would climb above the folder the client is served from.
const flatWorkerUrls = {
  name: "flat-worker-urls",
  setup(build) {
    build.onLoad({ filter: /[\\/]neuroglancer[\\/]lib[\\/]async_computation[\\/]request\.js$/ }, (args) => {
      const src = fs.readFileSync(args.path, "utf8");
      const from = 'new URL("../async_computation.bundle.js", import.meta.url)';
      if (src.split(from).length !== 2) {
        throw new Error(`${args.path}: expected exactly one ${from}; neuroglancer changed, update build.mjs`);
      }
      return { contents: src.replace(from, 'new URL("./async_computation.bundle.js", import.meta.url)'), loader: "js" };
    });
  },
};

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: {
    "main.bundle": "src/main.js",
    "chunk_worker.bundle": "src/chunk_worker.js",
    "async_computation.bundle": "src/async_computation.js",
  },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome120", "firefox120", "safari17"],
  minify: true,
  legalComments: "none", // the licenses are in dist/LICENSE and dist/NOTICE
  sourcemap: false,
  charset: "utf8",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  define: {
    // Shown in the help panel ("Build info"). No timestamp: the build stays reproducible.
    NEUROGLANCER_BUILD_INFO: JSON.stringify({ tag: `neuroglancer ${ngVersion}` }),
  },
  // Google Brainmaps and BossDB sources need an OAuth login to their servers, which an
  // offline viewer cannot reach: left out by neuroglancer's own package conditions.
  conditions: ["neuroglancer/datasource/brainmaps:disabled", "neuroglancer/datasource/boss:disabled"],
  metafile: true,
  logLevel: "warning",
  plugins: [rawImports, flatWorkerUrls],
});
if (result.errors.length) process.exit(1);

// Files neuroglancer fetches at run time by new URL("./NAME", import.meta.url),
// next to the module that asks. Each one found among the bundled modules must be
// listed here: true = copied flat into dist/, false = left out (and why).
const runtimeFiles = {
  // Draco mesh decoder (Apache-2.0): multi-resolution meshes, should ffn view serve them.
  "neuroglancer_draco.wasm": true,
  // Decoders for chunk encodings ffn never writes (ffn's Zarr arrays are raw, zstd,
  // gzip, zlib or blosc, all decoded by the bundled numcodecs): PNG, JPEG XL (1.6 MB)
  // and compresso (whose connected-components code is LGPL-3.0).
  "libpng.wasm": false,
  "jxl_decoder.wasm": false,
  "compresso.wasm": false,
};
const inputs = Object.keys(result.metafile.inputs)
  .filter((k) => !k.includes(":"))
  .sort();
const assets = new Map();
for (const input of inputs) {
  if (!input.endsWith(".js")) continue;
  const abs = path.join(here, input);
  const src = fs.readFileSync(abs, "utf8");
  for (const m of src.matchAll(/new URL\(\s*["']\.\/([\w.-]+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
    if (m[1].endsWith(".js")) continue; // the worker bundles, built above
    if (!(m[1] in runtimeFiles)) throw new Error(`${input} loads ./${m[1]} at run time: decide in build.mjs's runtimeFiles whether to ship it`);
    if (!runtimeFiles[m[1]]) continue;
    const file = path.join(path.dirname(abs), m[1]);
    if (!fs.existsSync(file)) throw new Error(`${input} loads ./${m[1]}, which is not there`);
    if (assets.has(m[1]) && assets.get(m[1]) !== file) throw new Error(`asset name clash: ${m[1]}`);
    assets.set(m[1], file);
  }
}
for (const [name, file] of [...assets].sort()) fs.copyFileSync(file, path.join(dist, name));

fs.copyFileSync(path.join(here, "index.html"), path.join(dist, "index.html"));
fs.copyFileSync(path.join(ngDir, "LICENSE"), path.join(dist, "LICENSE"));
fs.writeFileSync(path.join(dist, "NOTICE"), notice(result.metafile));

function notice(metafile) {
  // Packages with at least one module in the bundle, by their node_modules folder.
  const pkgs = new Map();
  for (const key of Object.keys(metafile.inputs)) {
    const p = key.replace(/^[\w-]+:/, "").split(path.sep).join("/");
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(path.isAbsolute(p) ? path.relative(here, p).split(path.sep).join("/") : p);
    if (m) pkgs.set(m[2], path.join(here, m[1]));
  }
  const names = [...pkgs.keys()].sort();
  const licenseFile = (dir) =>
    fs
      .readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f))
      .sort()[0];
  const out = [];
  out.push(
    "FfnActors viewer client (Ffn.Host/Viewer/client/)",
    "",
    `This folder is a build of Neuroglancer ${ngVersion} (https://github.com/google/neuroglancer),`,
    "Copyright Google Inc. and the Neuroglancer authors, licensed under the Apache License,",
    "Version 2.0; its license text is in the file LICENSE beside this one. It is bundled unmodified",
    "except: the async-computation worker is loaded from ./ instead of ../ (all files are flat here),",
    "the Google Tag Manager module is left out, and three icons missing from the registry's",
    "ikonate@1.1.1 (code-alt, controls-alt, layers) are replaced by icons drawn for FfnActors.",
    "",
    "Left out: the BossDB and Google Brainmaps data sources (they need an online login) and the",
    "PNG, JPEG XL and compresso WebAssembly decoders (chunk encodings ffn does not write).",
    "",
    "Neuroglancer's own third_party code in the bundle: lib/third_party/jpgjs (from pdf.js,",
    "Copyright Mozilla Foundation, Apache License 2.0) and lib/third_party/codemirror-glsl.",
    "neuroglancer_draco.wasm is neuroglancer's build of Draco (https://github.com/google/draco,",
    "Copyright Google, Apache License 2.0). The numcodecs package's blosc and zstd modules embed",
    "WebAssembly builds of c-blosc (BSD-3-Clause) with the compressors it is built with (LZ4:",
    "BSD-2-Clause; zlib: Zlib license; Zstandard: BSD-3-Clause) and of Zstandard (BSD-3-Clause).",
    "",
    "The bundle also contains these npm packages (the modules esbuild's metafile lists):",
    "",
  );
  const rows = names.map((n) => {
    const pj = readJson(path.join(pkgs.get(n), "package.json"));
    return { n, v: pj.version, l: typeof pj.license === "string" ? pj.license : JSON.stringify(pj.license ?? "UNKNOWN") };
  });
  const w = Math.max(...rows.map((r) => `${r.n}@${r.v}`.length));
  for (const r of rows) out.push(`  ${`${r.n}@${r.v}`.padEnd(w)}  ${r.l}`);
  out.push("");
  for (const n of names) {
    if (n === "neuroglancer") continue;
    const dir = pkgs.get(n);
    const pj = readJson(path.join(dir, "package.json"));
    const lf = licenseFile(dir);
    out.push("=".repeat(78), `${n}@${pj.version} (${pj.license})`, "=".repeat(78), "");
    out.push(lf ? fs.readFileSync(path.join(dir, lf), "utf8").replace(/\r\n/g, "\n").trimEnd() : `(no license file shipped; package.json says: ${pj.license})`);
    out.push("");
  }
  return out.join("\n");
}

const files = fs.readdirSync(dist).sort();
let total = 0;
for (const f of files) total += fs.statSync(path.join(dist, f)).size;
console.log(`viewer/dist: ${files.length} files, ${(total / 1024 / 1024).toFixed(2)} MiB`);
for (const f of files) console.log(`  ${String(fs.statSync(path.join(dist, f)).size).padStart(9)}  ${f}`);

if (copyToHost) {
  fs.rmSync(client, { recursive: true, force: true });
  fs.mkdirSync(client, { recursive: true });
  for (const f of files) fs.copyFileSync(path.join(dist, f), path.join(client, f));
  console.log(`copied to ${path.relative(path.resolve(here, ".."), client)}/`);
}
