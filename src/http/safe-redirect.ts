/**
 * The one check for redirecting somewhere a request named (`redirect_to` after sign-in, a form's
 * return path). The value is judged *after* the URL parser has normalised it, because that is what
 * the browser follows: `/.//evil.example/x` looks like a path of this site but resolves to the
 * path `//evil.example/x`, which a browser reads as another host.
 */

/** Longer values are refused rather than parsed: no page of ours needs one. */
const MAX_REDIRECT_LENGTH = 2048;
/** A base no request can name, so an absolute URL is never same-origin unless the caller says so. */
const PROBE_ORIGIN = 'http://tessera.invalid';
/**
 * Control characters and backslashes are refused outright: browsers drop tabs and newlines and read
 * `\` as `/` in http(s) URLs, so what they follow could differ from what was checked.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f\\]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * `value` as a path of this site (path, query and fragment), or null when following it could leave
 * the site: another origin, a scheme (`javascript:`), a relative reference, or a normalised path
 * starting `//` or `/\`. An absolute URL counts only when its origin is `origin` (the instance's
 * external URL); without one, only paths are accepted.
 *
 * @example
 * safeRedirectPath('/oauth/authorize?client_id=x'); // '/oauth/authorize?client_id=x'
 * safeRedirectPath('/.//evil.example/x'); // null
 * safeRedirectPath('https://tessera.example/a', 'https://tessera.example'); // '/a'
 */
export function safeRedirectPath(value: unknown, origin?: string): string | null {
  if (typeof value !== 'string' || value === '' || value.length > MAX_REDIRECT_LENGTH) return null;
  if (UNSAFE_CHARACTERS.test(value)) return null;
  const base = originOf(origin) ?? PROBE_ORIGIN;
  // Only an absolute path or an absolute URL: never a relative `evil.example/x`. A URL with a scheme
  // is read on its own, so `http:evil.example` means that host whatever our own scheme is.
  const absolute = SCHEME.test(value);
  if (!absolute && !value.startsWith('/')) return null;
  let url: URL;
  try {
    url = absolute ? new URL(value) : new URL(value, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  // A same-origin result may still be a path a browser would read as a host once it is a Location.
  if (url.pathname.startsWith('//') || url.pathname.startsWith('/\\')) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * True when a `Location` we are about to send is a relative reference that still leaves the site
 * (it starts `//`, `/\`, or carries control characters). An absolute URL is not judged here: the
 * OAuth provider redirects to registered client URIs on purpose.
 */
export function isOffSiteRelativeLocation(location: string): boolean {
  if (SCHEME.test(location)) return false;
  if (UNSAFE_CHARACTERS.test(location)) return true;
  try {
    return new URL(location, PROBE_ORIGIN).origin !== PROBE_ORIGIN;
  } catch {
    return true;
  }
}

function originOf(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
