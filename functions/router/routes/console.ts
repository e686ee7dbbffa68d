/**
 * GET /console, /console/app.js, /console/app.css: the operator console's static files (built
 * from console/ into console/assets.generated.ts). No key: a browser loading a page cannot send a
 * Bearer header, and these files hold no data. Every data call the page makes goes to an admin-only
 * endpoint with the key the operator typed in. The rule: static console files are public, data is
 * admin-only.
 *
 * Strict CSP: only this origin's script and style files, no inline script or style, no third-party
 * origins, no framing; fetch only to this origin.
 */
import type { HttpResult } from '../http';
import type { RequestContext } from '../request-context';
import { CONSOLE_ASSETS } from '../console/assets.generated';
import { errors } from '../../core/openai/errors';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function serve(name: string, ctx: RequestContext): HttpResult {
  const asset = CONSOLE_ASSETS[name];
  if (!asset) throw errors.notFound(ctx.method, ctx.path);
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      // The page is tiny and versioned with the router: revalidate rather than serve a stale console.
      'cache-control': 'no-cache',
      ...SECURITY_HEADERS,
    },
    body: asset.body,
  };
}

export const consolePage = (ctx: RequestContext) => serve('index.html', ctx);
export const consoleScript = (ctx: RequestContext) => serve('app.js', ctx);
export const consoleStyles = (ctx: RequestContext) => serve('app.css', ctx);
