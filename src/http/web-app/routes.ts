import { readFile, stat } from 'node:fs/promises';
import * as contentType from 'content-type';
import getRawBody from 'raw-body';
import type { Context, Next } from 'koa';
import { ApiError } from '../../errors';
import { uiCookieHeader } from '../../sign-in/ui-credentials';
import type { SignIn } from '../sign-in';
import type { BuiltFile, BuiltFiles } from './built-files';
import { setPageHeaders } from './headers';
import { codeRefusalPages, codeRefusedPage, formRefusedPage, loginFormPage } from './pages';

export interface WebAppOptions {
  /** The built app, or null when it was not built. */
  files: BuiltFiles | null;
  signIn: SignIn;
  /** Whether an Origin (in lower case) is this server's own. */
  isOwnOrigin(origin: string): boolean;
}

export const APP_PATH = '/app/';
const LOGIN_PATH = '/app/login';
/** A login form post holds one token: anything larger is not one. */
const MAX_FORM_BYTES = 4096;
/** A built file larger than this is not one the build writes. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const NOT_BUILT = 'The web app is not built: run npm run build, then restart the server.';

/**
 * The web app (contract §11), outside /api/v1 and needing no token: `/` sends the browser to
 * `/app/`; `/app/login` signs a browser in; any other `/app/...` is a built file by name or the
 * app's index.html (the app routes on the client).
 */
export function webApp({ files, signIn, isOwnOrigin }: WebAppOptions) {
  const readsOnly = (ctx: Context) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw new ApiError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}.`, undefined, { Allow: 'GET, HEAD' });
  };

  const serve = async (ctx: Context): Promise<void> => {
    const path = ctx.path;
    setPageHeaders(ctx);
    if (path === LOGIN_PATH) {
      if (ctx.method === 'POST') return loginWithToken(ctx, signIn, isOwnOrigin);
      readsOnly(ctx);
      return loginWithCode(ctx, signIn);
    }
    readsOnly(ctx);
    if (files === null) throw new ApiError('not_found', NOT_BUILT);
    await sendFile(ctx, files.get(path.slice(APP_PATH.length)) ?? files.index);
  };

  // Not async itself: an API request passes through without a promise of its own.
  return (ctx: Context, next: Next): Promise<void> | void => {
    const path = ctx.path;
    if ((path === '/' || path === '/app') && (ctx.method === 'GET' || ctx.method === 'HEAD')) return redirect(ctx, 302, APP_PATH);
    if (!path.startsWith(APP_PATH)) return next();
    return serve(ctx);
  };
}

function redirect(ctx: Context, status: 302 | 303, location: string): void {
  ctx.status = status;
  ctx.set('Location', location);
  ctx.body = '';
}

function sendHtml(ctx: Context, status: number, html: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html;
}

/** Signed in: the cookie, and off to the app without the code in the address bar. */
function signedIn(ctx: Context, credential: string, sessionId: string | null): void {
  ctx.append('Set-Cookie', uiCookieHeader(credential));
  ctx.set('Cache-Control', 'no-store');
  redirect(ctx, 303, sessionId === null ? APP_PATH : `${APP_PATH}sessions/${sessionId}`);
}

function loginWithCode(ctx: Context, signIn: SignIn): void {
  const code = ctx.query.code;
  // A HEAD (a link checker, a preview) must not spend the single-use code.
  if (code === undefined || ctx.method === 'HEAD') return sendHtml(ctx, 200, loginFormPage());
  const redeemed = signIn.redeem(typeof code === 'string' ? code : '');
  if ('refused' in redeemed) {
    if (redeemed.refused === 'busy') ctx.set('Retry-After', '60');
    return sendHtml(ctx, codeRefusalPages[redeemed.refused].status, codeRefusedPage(redeemed.refused));
  }
  signedIn(ctx, redeemed.credential, redeemed.sessionId);
}

async function loginWithToken(ctx: Context, signIn: SignIn, isOwnOrigin: (origin: string) => boolean): Promise<void> {
  // A form on any site can post here: only the login page's own post is taken.
  const origin = ctx.get('Origin').toLowerCase();
  if (!isOwnOrigin(origin)) {
    return sendHtml(ctx, 403, formRefusedPage(origin ? `This form was sent from ${origin}, not from this server's own sign-in page.` : 'This form was sent without an Origin: send it from the sign-in page.'));
  }
  let type = '';
  try {
    type = contentType.parse(ctx.get('Content-Type')).type;
  } catch {
    // An absent or malformed Content-Type is refused below like any other.
  }
  if (type !== 'application/x-www-form-urlencoded') {
    return sendHtml(ctx, 415, formRefusedPage('The sign-in form is sent as application/x-www-form-urlencoded.'));
  }
  let text: string;
  try {
    text = (await getRawBody(ctx.req, { limit: MAX_FORM_BYTES, length: ctx.get('Content-Length') || undefined })).toString('utf8');
  } catch {
    return sendHtml(ctx, 413, formRefusedPage(`The sign-in form holds a token: at most ${MAX_FORM_BYTES} bytes.`));
  }
  const attempt = signIn.tradeToken(new URLSearchParams(text).get('token')?.trim() ?? '');
  if ('credential' in attempt) return signedIn(ctx, attempt.credential, null);
  if (attempt.refused === 'throttled') {
    ctx.set('Retry-After', '60');
    return sendHtml(ctx, 429, loginFormPage('Too many wrong tokens in the last minute: wait a minute, then try again.'));
  }
  sendHtml(ctx, 401, loginFormPage('That is not the API token. Print it with: sessiondock token'));
}

async function sendFile(ctx: Context, file: BuiltFile): Promise<void> {
  const missing = () => new ApiError('not_found', `The web app's file ${file.name} is missing: run npm run build, then restart the server.`);
  const stats = await stat(file.path).catch(() => null);
  if (stats === null || !stats.isFile() || stats.size > MAX_FILE_BYTES) throw missing();
  ctx.status = 200;
  ctx.type = file.contentType;
  ctx.set('Cache-Control', file.cacheControl);
  ctx.set('ETag', `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`);
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  const bytes = await readFile(file.path).catch(() => null);
  if (bytes === null) throw missing();
  ctx.body = bytes;
}
