import { signedIn, unreachable, writesOffReason } from '../app-state';
import { liveState } from '../live';

/** What limits the app right now: sign-in, a lost server, a mode that forbids writes, a stream that is reconnecting. */
export function ModeBanner() {
  if (!signedIn.value) {
    return (
      <div class="banner banner-error" role="alert">
        You are signed out. Run <code>sessiondock ui</code> for a sign-in link, or <a href="/app/login">sign in with the API token</a>.
      </div>
    );
  }
  if (unreachable.value) return <div class="banner banner-error" role="alert">The SessionDock server cannot be reached. Retrying…</div>;
  return (
    <>
      {writesOffReason.value && (
        <div class="banner banner-warning" role="status" data-testid="mode-banner">
          {writesOffReason.value} Changes are turned off.
        </div>
      )}
      {liveState.value === 'reconnecting' && (
        <div class="banner banner-info" role="status">
          Reconnecting to live updates…
        </div>
      )}
    </>
  );
}
