/** The page server: the page at / (and /index.html), 404 elsewhere, 405 for other methods, a taken port refused in one line. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeError, servePage, type PageServer } from '../../src/viz/serve.ts';

let server: PageServer;
beforeAll(async () => {
  server = await servePage('<!doctype html><p>hello</p>', 0);
});
afterAll(() => server.close());

describe('servePage', () => {
  it('serves the page on 127.0.0.1 at / and /index.html', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    for (const path of ['', 'index.html', '?x=1']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe('<!doctype html><p>hello</p>');
    }
  });

  it('404 for any other path, 405 for other methods', async () => {
    expect((await fetch(`${server.url}data.json`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('a port in use is a one-line error naming --port', async () => {
    await expect(servePage('x', server.port)).rejects.toThrow(new ServeError(`--port ${server.port}: listening on 127.0.0.1:${server.port} is in use; pick another port or 0 for any free one`));
  });
});
