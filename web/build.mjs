// Bundles src/app.js (and its CSS) into ../server/static/app/, which `duet serve` serves
// under /assets/. Run by `make install` (npm run build); --watch rebuilds on change.
import * as esbuild from 'esbuild'
import { gzipSync } from 'node:zlib'
import { readFileSync, writeFileSync } from 'node:fs'

const outdir = new URL('../server/static/app/', import.meta.url).pathname
const options = {
  entryPoints: ['src/app.js'],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2020'],
  outdir,
  logLevel: 'info'
}

if (process.argv.includes('--watch')) {
  const context = await esbuild.context(options)
  await context.watch()
} else {
  await esbuild.build(options)
  // Precompressed copies: aiohttp's FileResponse sends them to clients that accept gzip.
  for (const name of ['app.js', 'app.css']) {
    writeFileSync(`${outdir}${name}.gz`, gzipSync(readFileSync(`${outdir}${name}`), { level: 9 }))
  }
}
