import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WebAsset {
  contentType: string;
  body: Buffer;
}

/** Where `npm run build` puts the bundled page (web/dist/public). */
export const WEB_PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** URL path of each asset, and the file that holds it. */
const ASSETS: ReadonlyArray<{ path: string; file: string; contentType: string }> = [
  { path: '/', file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { path: '/app.js', file: 'app.js', contentType: 'text/javascript; charset=utf-8' },
  { path: '/app.css', file: 'app.css', contentType: 'text/css; charset=utf-8' },
];

/**
 * Headers every asset should be served with. The policy allows only this
 * origin's script, style and fetches plus its websocket, so even if some user
 * text ever reached the DOM as markup, no inline or foreign script would run.
 */
export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The assets are not fingerprinted, so browsers must revalidate them; they are
 * small enough that an unconditional reload costs little.
 */
export const WEB_CACHE_CONTROL = 'no-cache';

/**
 * Reads the bundled page into memory, keyed by URL path ('/', '/app.js',
 * '/app.css'), for a chat node to serve. Throws naming the missing file and the
 * command that builds it.
 */
export function loadWebAssets(publicDir = WEB_PUBLIC_DIR): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  for (const { path, file, contentType } of ASSETS) {
    const location = join(publicDir, file);
    try {
      assets.set(path, { contentType, body: readFileSync(location) });
    } catch (error) {
      const hint = 'build it with `npm run build -w @parley/web`';
      throw new Error(`web asset ${location} is missing; ${hint}`, { cause: error });
    }
  }
  return assets;
}
