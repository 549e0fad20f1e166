// Bundles the browser client into web/dist: `node --import tsx web/build.ts`.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const clientDir = fileURLToPath(new URL('client', import.meta.url));
const distDir = fileURLToPath(new URL('dist', import.meta.url));
const staticFiles = ['index.html', 'style.css'];

await mkdir(distDir, { recursive: true });
await build({
  entryPoints: [join(clientDir, 'app.ts')],
  outfile: join(distDir, 'app.js'),
  tsconfig: join(clientDir, 'tsconfig.json'),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  logLevel: 'warning',
});
await Promise.all(staticFiles.map((file) => copyFile(join(clientDir, file), join(distDir, file))));

const { size } = await stat(join(distDir, 'app.js'));
console.log(`web/dist: app.js (${(size / 1024).toFixed(0)} KiB) + app.js.map, ${staticFiles.join(', ')}`);
