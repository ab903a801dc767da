/**
 * @module viz/serve
 * Serves one page on localhost with node:http (no framework): GET or HEAD of `/` (or
 * `/index.html`) returns the page, anything else 404 or 405. Binds to 127.0.0.1 only.
 *
 * Imports node:http only.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running server: its address and how to stop it. */
export interface PageServer {
  /** `http://127.0.0.1:PORT/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A port the server could not take (in use, not allowed); printed as one line by the CLI. */
export class ServeError extends Error {
  override readonly name = 'ServeError';
  readonly userFacing = true;
}

/**
 * Starts serving `html` on 127.0.0.1:`port` (0 = any free port).
 * @example const s = await servePage('<p>hi</p>', 0); await fetch(s.url); await s.close();
 */
export function servePage(html: string, port: number): Promise<PageServer> {
  const body = Buffer.from(html, 'utf8');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this server has one page, at /\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : err.code === 'EACCES' ? 'is not allowed' : `failed (${err.code ?? err.message})`;
      reject(new ServeError(`--port ${port}: listening on 127.0.0.1:${port} ${why}; pick another port or 0 for any free one`));
    });
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
