// Renders the built client offline in headless Chromium and checks the picture.
//
//   cd viewer && npm ci && npm run build && node check.mjs
//
// Writes two small Zarr v2 arrays (uint8 EM-like noise, zstd; uint32 labels,
// gzip) to a temporary folder, serves them and Ffn.Host/Viewer/client/
// from one 127.0.0.1 HTTP server with CORS, opens index.html#!{state} with an
// image and a segmentation layer (five segments selected), waits for
// neuroglancer's viewer.isReady(), screenshots, and fails unless the page made
// no request off 127.0.0.1, threw no error, and the shot shows EM greys and
// segment colours.
//
// Needs Chromium (Debian: apt-get install -y chromium) and WebGL, which
// SwiftShader supplies without a GPU. Not part of dotnet build/test.
//
// Options: --chromium PATH (default $CHROMIUM or /usr/bin/chromium)
//          --client DIR    (default ../Ffn.Host/Viewer/client)
//          --out FILE.png  (default: a temporary file; its path is printed)
//          --timeout SEC   (default 90)

import { chromium } from "playwright-core";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const chromiumPath = arg("chromium", process.env.CHROMIUM ?? "/usr/bin/chromium");
const clientDir = path.resolve(arg("client", path.join(here, "..", "Ffn.Host", "Viewer", "client")));
const timeoutMs = Number(arg("timeout", "90")) * 1000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ffn-viewer-check-"));
const outPng = path.resolve(arg("out", path.join(dataDir, "shot.png")));

// ---- test data: Zarr v2, (z, y, x) = (32, 128, 128), chunks 16x64x64 ----
const shape = [32, 128, 128];
const chunks = [16, 64, 64];
const segments = [
  // id, [z0, z1), [y0, y1), [x0, x1)
  [1, [0, 32], [8, 56], [8, 56]],
  [2, [0, 32], [72, 120], [8, 60]],
  [3, [0, 32], [8, 60], [72, 120]],
  [7, [0, 32], [72, 120], [72, 120]],
  [42, [12, 32], [60, 68], [0, 128]],
];
function writeZarr(name, dtype, bytesPerVoxel, compressor, voxel) {
  const root = path.join(dataDir, name);
  fs.mkdirSync(root);
  const zarray = { zarr_format: 2, shape, chunks, dtype, compressor, fill_value: 0, order: "C", filters: null };
  fs.writeFileSync(path.join(root, ".zarray"), JSON.stringify(zarray));
  fs.writeFileSync(path.join(root, ".zattrs"), JSON.stringify({ _ARRAY_DIMENSIONS: ["z", "y", "x"], dimension_units: ["8 nm", "8 nm", "8 nm"] }));
  for (let cz = 0; cz < shape[0] / chunks[0]; cz++)
    for (let cy = 0; cy < shape[1] / chunks[1]; cy++)
      for (let cx = 0; cx < shape[2] / chunks[2]; cx++) {
        const buf = Buffer.alloc(chunks[0] * chunks[1] * chunks[2] * bytesPerVoxel);
        let i = 0;
        for (let z = 0; z < chunks[0]; z++)
          for (let y = 0; y < chunks[1]; y++)
            for (let x = 0; x < chunks[2]; x++, i++)
              voxel(buf, i, cz * chunks[0] + z, cy * chunks[1] + y, cx * chunks[2] + x);
        const data = compressor?.id === "gzip" ? zlib.gzipSync(buf) : compressor?.id === "zstd" ? zstdStored(buf) : buf;
        fs.writeFileSync(path.join(root, `${cz}.${cy}.${cx}`), data);
      }
}
// A Zstandard frame of raw (stored) blocks: valid zstd that any decoder reads,
// written without a zstd encoder (Node 20 has none). ffn writes zstd by default.
function zstdStored(buf) {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0]), Buffer.alloc(4)]; // magic; single segment, 4-byte content size
  parts[1].writeUInt32LE(buf.length);
  for (let off = 0; off < buf.length; off += 128 * 1024) {
    const block = buf.subarray(off, off + 128 * 1024);
    const last = off + block.length >= buf.length ? 1 : 0;
    const header = (block.length << 3) | last; // block type 0 = raw
    parts.push(Buffer.from([header & 255, (header >> 8) & 255, (header >> 16) & 255]), block);
  }
  return Buffer.concat(parts);
}
let seed = 12345;
const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536; // deterministic
writeZarr("em.zarr", "|u1", 1, { id: "zstd", level: 1 }, (b, i, z, y, x) => {
  b[i] = Math.max(0, Math.min(255, Math.round(40 + 1.2 * x + 0.5 * y + 20 * Math.sin(z / 5) + 50 * (noise() - 0.5))));
});
writeZarr("seg.zarr", "<u4", 4, { id: "gzip", level: 5 }, (b, i, z, y, x) => {
  let id = 0;
  for (const [s, zz, yy, xx] of segments)
    if (z >= zz[0] && z < zz[1] && y >= yy[0] && y < yy[1] && x >= xx[0] && x < xx[1]) id = s;
  b.writeUInt32LE(id, i * 4);
});

// ---- one static server for the client and the data, with CORS ----
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };
const server = http.createServer((req, res) => {
  res.setHeader("Access-Control-Allow-Origin", "*");
  const rel = path.normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
  for (const root of [clientDir, dataDir]) {
    const file = path.join(root, rel);
    if (file.startsWith(root + path.sep) && fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      res.writeHead(200, { "Content-Type": types[path.extname(file)] ?? "application/octet-stream" });
      fs.createReadStream(file).pipe(res);
      return;
    }
  }
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}`;

const state = {
  dimensions: { x: [8e-9, "m"], y: [8e-9, "m"], z: [8e-9, "m"] }, // x, y shown in the xy panel
  position: [64, 64, 16],
  crossSectionScale: 0.25,
  layers: [
    { type: "image", source: `zarr://${base}/em.zarr`, name: "em" },
    {
      type: "segmentation",
      source: `zarr://${base}/seg.zarr`,
      name: "seg",
      segments: segments.map(([id]) => String(id)),
      selectedAlpha: 0.6,
    },
  ],
  layout: "xy",
};
const url = `${base}/index.html#!${encodeURIComponent(JSON.stringify(state))}`;

const problems = [];
const t0 = Date.now();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ["--use-gl=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox"],
});
let readyAfter;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(`${base}/`) && !u.startsWith("data:") && !u.startsWith("blob:")) problems.push(`request off this machine: ${u}`);
  });
  page.on("response", (r) => {
    // 404s for .zgroup/zarr.json probes are how neuroglancer detects the Zarr version; the client's own files must load.
    if (r.status() >= 400 && !/\.zarr\//.test(r.url())) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(url);
  // Ready = every layer's data for the current view is loaded and drawn. Then two more frames.
  while (!(await page.evaluate(() => typeof viewer !== "undefined" && viewer.isReady()))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`viewer not ready after ${timeoutMs / 1000} s`);
    await page.waitForTimeout(250);
  }
  readyAfter = (Date.now() - t0) / 1000;
  await page.waitForTimeout(1000);
  fs.writeFileSync(outPng, await page.screenshot());
} finally {
  await browser.close();
  server.close();
  for (const name of ["em.zarr", "seg.zarr"]) fs.rmSync(path.join(dataDir, name), { recursive: true, force: true });
}

// ---- look at the picture ----
const { width, height, rgb } = decodePng(fs.readFileSync(outPng));
const greys = new Set();
const hues = new Map(); // 30-degree hue bins of saturated pixels -> count
for (let p = 0; p < width * height; p++) {
  const [r, g, b] = [rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]];
  const max = Math.max(r, g, b), min = Math.min(r, g, b);
  if (max - min <= 2) greys.add(max);
  else if (max - min >= 40) {
    const h = max === r ? ((g - b) / (max - min) + 6) % 6 : max === g ? (b - r) / (max - min) + 2 : (r - g) / (max - min) + 4;
    const bin = Math.floor(h * 2); // 12 bins
    hues.set(bin, (hues.get(bin) ?? 0) + 1);
  }
}
const colourBins = [...hues].filter(([, n]) => n >= 5000); // a drawn segment, not a UI line or label
if (greys.size < 40) problems.push(`only ${greys.size} grey levels: no EM drawn`);
if (colourBins.length < 3) problems.push(`only ${colourBins.length} large colour areas: segments not drawn`);
console.log(`screenshot ${outPng} (${width}x${height}); viewer ready after ${readyAfter.toFixed(1)} s`);
console.log(`grey levels: ${greys.size}; colour areas (hue bin: pixels): ${colourBins.map(([b, n]) => `${b * 30}deg:${n}`).join(", ")}`);
for (const p of problems) console.log(`FAIL ${p}`);
console.log(problems.length ? "check failed" : "check passed");
process.exit(problems.length ? 1 : 0);

// Minimal PNG reader for Chromium's screenshots: 8-bit RGB or RGBA, not interlaced.
function decodePng(png) {
  let pos = 8, width, height, colorType, depth, interlace;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos), type = png.toString("latin1", pos + 4, pos + 8), body = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") [width, height, depth, colorType, interlace] = [body.readUInt32BE(0), body.readUInt32BE(4), body[8], body[9], body[12]];
    else if (type === "IDAT") idat.push(body);
    pos += 12 + len;
  }
  if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace) throw new Error("unsupported PNG");
  const bpp = colorType === 6 ? 4 : 3, stride = width * bpp, raw = zlib.inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(height * stride), rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? px[y * stride + i - bpp] : 0, b = y ? px[(y - 1) * stride + i] : 0, c = y && i >= bpp ? px[(y - 1) * stride + i - bpp] : 0;
      const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : (() => { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); return pa <= pb && pa <= pc ? a : pb <= pc ? b : c; })();
      px[y * stride + i] = (line[i] + pred) & 255;
    }
  }
  for (let p = 0; p < width * height; p++) for (let k = 0; k < 3; k++) rgb[3 * p + k] = px[p * bpp + k];
  return { width, height, rgb };
}
