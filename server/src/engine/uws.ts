import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

export type UwsModule = typeof Uws;

export interface LoadedUws {
  uws: UwsModule;
  /** True when the native binary is loaded, false on the JavaScript fallback. */
  native: boolean;
  /** The loaded `.node` file, when native. */
  binary: string | undefined;
}

const require = createRequire(import.meta.url);

/**
 * Loads uWebSockets.js and tells whether its native binary is in use. The
 * package is an npm alias of `@trufflesuite/uws-js-unofficial`, whose entry
 * point silently falls back to a JavaScript implementation (`../dist/index`)
 * when the binary fails to load (wrong Node ABI, glibc); only the modules it
 * left in `require.cache` tell the two apart. Swapping in the official build
 * means changing the alias in package.json, nothing here.
 */
export function loadUws(): LoadedUws {
  const uws = require('uWebSockets.js') as UwsModule;
  const binary = Object.keys(require.cache).find((path) => /uws_[^/\\]+\.node$/.test(path));
  return { uws, native: binary !== undefined, binary };
}
