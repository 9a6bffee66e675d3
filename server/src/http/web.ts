import { createHash } from 'node:crypto';
import { WEB_CACHE_CONTROL, WEB_SECURITY_HEADERS, loadWebAssets } from '@parley/web';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

/**
 * Serves the browser chat page of web/ (docs/web.md) at '/', '/app.js' and
 * '/app.css', from memory, with its content security policy. uWS prefers these
 * static routes to the node's `/*` handler whatever the registration order.
 * A checkout whose page was not built still starts; '/' then says how to build it.
 */
export function registerWebRoutes(app: TemplatedApp): void {
  let assets;
  try {
    assets = loadWebAssets();
  } catch (error) {
    const reason = (error as Error).message;
    app.get('/', (res) => {
      res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'text/plain');
      res.end(`chat page unavailable: ${reason}\n`);
    });
    return;
  }

  for (const [path, asset] of assets) {
    const etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 22)}"`;
    app.get(path, (res: HttpResponse, req: HttpRequest) => {
      const fresh = req.getHeader('if-none-match') === etag;
      res.writeStatus(fresh ? '304 Not Modified' : '200 OK');
      res.writeHeader('content-type', asset.contentType);
      res.writeHeader('cache-control', WEB_CACHE_CONTROL);
      res.writeHeader('etag', etag);
      for (const [name, value] of Object.entries(WEB_SECURITY_HEADERS))
        res.writeHeader(name, value);
      res.end(fresh ? undefined : asset.body);
    });
  }
}
