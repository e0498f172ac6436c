/** The sign-in pages: the only HTML the server writes itself (no script; styles inline, which the policy allows). */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · SessionDock</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { max-width: 32rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5; }
  code { font-size: 0.95em; }
  label { display: block; font-weight: 600; margin-top: 1rem; }
  input { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; }
  button { margin-top: 1rem; padding: 0.5rem 1rem; font: inherit; }
  .problem { border-left: 4px solid #c0392b; padding-left: 0.75rem; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const NEW_LINK = '<p>Get a new sign-in link with <code>sessiondock ui</code> (it opens the app), or <a href="/app/login">sign in with the API token</a>.</p>';

/** Why a login link was refused, as the person who clicked it needs to read it. */
export const codeRefusalPages = {
  malformed: { status: 400, title: 'This sign-in link is not valid', text: 'The link is incomplete or was changed: copy the whole link.' },
  forged: { status: 400, title: 'This sign-in link is not valid', text: 'The link was not made with this server’s current token (it was changed, or the token was rotated since).' },
  expired: { status: 410, title: 'This sign-in link has expired', text: 'A sign-in link works for two minutes after it is made.' },
  reused: { status: 410, title: 'This sign-in link has already been used', text: 'A sign-in link works once. If that was not you, rotate the token: <code>sessiondock token --rotate</code>.' },
  'before-start': { status: 410, title: 'This sign-in link has expired', text: 'The link was made before the server last started.' },
  busy: { status: 503, title: 'Too many sign-ins', text: 'Too many sign-in links were used in the last two minutes: try again shortly.' },
} as const;

export function codeRefusedPage(reason: keyof typeof codeRefusalPages): string {
  const { title, text } = codeRefusalPages[reason];
  return page(title, `<p class="problem">${text}</p>\n${NEW_LINK}`);
}

/** The fallback: a form that takes the API token (what `sessiondock token` prints). */
export function loginFormPage(problem?: string): string {
  return page(
    'Sign in to SessionDock',
    `${problem ? `<p class="problem" role="alert">${escapeHtml(problem)}</p>\n` : ''}<p>Open the link that <code>sessiondock ui</code> prints, or paste the API token (print it with <code>sessiondock token</code>).</p>
<form method="post" action="/app/login">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required autofocus>
<button type="submit">Sign in</button>
</form>`,
  );
}

/** A form post that did not come from the form itself. */
export function formRefusedPage(text: string): string {
  return page('Sign-in refused', `<p class="problem">${escapeHtml(text)}</p>\n${NEW_LINK}`);
}
