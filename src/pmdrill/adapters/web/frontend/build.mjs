#!/usr/bin/env node
// Builds ../static/dist/ from src/: app.js (one minified ES2020 bundle, with app.js.map), a copy of
// axe-core's axe.min.js for the browser tests, and manifest.json (each file's sha256 and size),
// written last so a missing manifest means missing or half-built assets. Run after `npm ci`.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "..", "static", "dist");
const require = createRequire(import.meta.url);

async function loadEsbuild() {
  try {
    return await import("esbuild");
  } catch {
    console.error(`build.mjs: esbuild is not installed; run \`npm ci --prefix ${relative(process.cwd(), here) || "."}\` first`);
    process.exit(1);
  }
}

async function bundle(esbuild) {
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: { app: "src/main.js" },
    outdir: dist,
    bundle: true,
    format: "iife",
    target: "es2020",
    platform: "browser",
    minify: true,
    sourcemap: "linked",
    legalComments: "eof",
    charset: "utf8",
    logLevel: "warning",
  });
}

async function writeManifest() {
  const files = {};
  for (const name of (await readdir(dist)).sort()) {
    const bytes = await readFile(join(dist, name));
    files[name] = { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
  }
  await writeFile(join(dist, "manifest.json"), `${JSON.stringify({ files }, null, 2)}\n`);
  return files;
}

function report(files) {
  for (const [name, { bytes }] of Object.entries(files)) {
    if (name.endsWith(".map")) continue;
    const gzip = gzipSync(readFileSync(join(dist, name))).length;
    console.log(`  ${name.padEnd(12)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  (${(gzip / 1024).toFixed(1)} KiB gzip)`);
  }
}

const esbuild = await loadEsbuild();
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
try {
  await bundle(esbuild);
} catch {
  process.exit(1); // esbuild has already printed what is wrong and where
}
await copyFile(require.resolve("axe-core/axe.min.js"), join(dist, "axe.min.js"));
const files = await writeManifest();
console.log(`built ${relative(process.cwd(), dist) || dist}:`);
report(files);
