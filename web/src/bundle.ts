import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { WEB_PUBLIC_DIR } from './index.js';

/**
 * Bundles the page into dist/public: app.js (the page's TypeScript with
 * socket.io-client, one classic script so it also runs from file://), and
 * index.html and app.css copied as they are. Run by `npm run build` after tsc.
 */
const pageDir = fileURLToPath(new URL('../src/page/', import.meta.url));

await rm(WEB_PUBLIC_DIR, { recursive: true, force: true });
await mkdir(WEB_PUBLIC_DIR, { recursive: true });

await build({
  entryPoints: [`${pageDir}main.ts`],
  outfile: `${WEB_PUBLIC_DIR}app.js`,
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  logLevel: 'warning',
});
await copyFile(`${pageDir}index.html`, `${WEB_PUBLIC_DIR}index.html`);
await copyFile(`${pageDir}app.css`, `${WEB_PUBLIC_DIR}app.css`);
