// Bundles the panel into one minified file with a source map: dist/learnhub-recommendations.js, plus the example
// page. The server serves dist/ under /embed/ (LearnHub.Server.csproj copies it beside the binary).
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";

const outdir = process.env.LEARNHUB_EMBED_OUT || "dist";
await mkdir(outdir, { recursive: true });
await build({
  entryPoints: { "learnhub-recommendations": "src/panel.ts" },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  logLevel: "warning",
});
await copyFile("example/example.html", `${outdir}/example.html`);
await copyFile("example/example.css", `${outdir}/example.css`);
