/**
 * The page shell shared by the dashboard's pages. It carries no data and no secret: the client
 * script fetches everything through the API with the token the user typed in.
 * @module
 */
import type { Child } from 'hono/jsx';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { ASSET_VERSION } from '../assets/index.js';

export interface ShellProps {
  title: string;
  /** `home` or `vm`: which live parts the client script starts. */
  page: 'home' | 'vm';
  /** Whether the server wants a token, so the login form shows at once instead of after a 401. */
  authRequired: boolean;
  /** Extra data attributes for the client script (names, never secrets). */
  data?: Record<string, string>;
  children?: Child;
}

export function Shell({ title, page, authRequired, data, children }: ShellProps): JSX.Element {
  const attrs: Record<string, string> = {
    'data-page': page,
    'data-auth': authRequired ? 'on' : 'off',
  };
  for (const [k, v] of Object.entries(data ?? {})) attrs[`data-${k}`] = v;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`/ui/app.css?v=${ASSET_VERSION}`} />
        <script src={`/ui/app.js?v=${ASSET_VERSION}`} defer></script>
      </head>
      <body {...attrs}>
        <header class="top">
          <a class="brand" href="/">
            hvkube
          </a>
          <span class="sub">saved desktops, resumed in a second</span>
          <span class="grow"></span>
          <span id="live" class="live" title="live event stream">
            offline
          </span>
          <button type="button" id="logout" class="ghost" hidden>
            sign out
          </button>
        </header>
        <section id="login" class="panel login" hidden>
          <h2>Sign in</h2>
          <p>
            This server needs its API token. It is kept in this browser tab only (session storage)
            and sent as a bearer header.
          </p>
          <form id="login-form" class="inline" autocomplete="off">
            <input
              id="token"
              type="password"
              name="token"
              placeholder="API token"
              autocomplete="current-password"
              required
            />
            <button type="submit">sign in</button>
            <span id="login-error" class="error"></span>
          </form>
        </section>
        <main id="main">{children}</main>
        <div id="toast" class="toast" role="status" hidden></div>
        <dialog id="confirm">
          <form method="dialog">
            <p id="confirm-text"></p>
            <div id="confirm-extra"></div>
            <menu>
              <button value="cancel" class="ghost">
                cancel
              </button>
              <button value="ok" id="confirm-ok" class="danger">
                confirm
              </button>
            </menu>
          </form>
        </dialog>
      </body>
    </html>
  );
}
