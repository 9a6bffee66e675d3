import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWebAssets } from './index.js';

describe('loadWebAssets', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-web-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves exactly /, /app.js and /app.css with their content types and bytes', async () => {
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(dir, 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'app.css'), 'body{}');

    const assets = loadWebAssets(dir);
    expect([...assets.keys()]).toEqual(['/', '/app.js', '/app.css']);
    expect(assets.get('/')?.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('/app.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('/app.css')?.body.toString()).toBe('body{}');
  });

  it('names the missing file and the build command when the page was not built', () => {
    const empty = join(dir, 'nothing-here');
    expect(() => loadWebAssets(empty)).toThrow(
      /nothing-here\/index\.html.*npm run build -w @parley\/web/,
    );
  });
});
