// Static assets (public/app.css, public/*.js) under /assets/. Found beside the source tree both
// when running from src (tests) and from dist/src (npm start), since tsc does not copy them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export const ASSETS_PREFIX = '/assets/';

export function publicDir(): string {
  const candidates = [new URL('../../public/', import.meta.url), new URL('../../../public/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(`${dir}app.css`)) return dir;
  }
  throw new Error(`public/ folder not found; looked in: ${candidates.map((u) => fileURLToPath(u)).join(', ')}`);
}

/** Serves public/ under /assets/: no directory listing, no dotfiles, revalidated on each use. */
export async function registerAssets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: publicDir(),
    prefix: ASSETS_PREFIX,
    index: false,
    list: false,
    dotfiles: 'deny',
    cacheControl: true,
    maxAge: 0,
    decorateReply: false,
  });
}
