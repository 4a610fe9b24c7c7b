import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Clock } from '../util/clock.ts';
import type { Viewer } from './web-request.ts';

/**
 * Carries a just-issued secret from the form post to the page that shows it, once.
 *
 * The post answers with a redirect (so reloading the page never re-submits the form) and the secret
 * rides along in a cookie sealed with the key-encryption key and bound to the session. The page that
 * reads it clears it in the same response: a reload finds nothing. Nothing is kept on the server, so
 * this works behind a load balancer without sticky sessions.
 */
export interface NewTokenNotice {
  /** What happened: a token was created, or rotated into a new one. */
  action: 'created' | 'rotated';
  tokenId: number;
  tokenName: string;
  plaintext: string;
  /** A deploy token's username: what the secret is used with. */
  username?: string;
  /** After a deploy token's rotation: until when the old secret still works (null: it stopped at once). */
  previousValidUntil?: string | null;
}

const COOKIE = '_tessera_new_token';
/** Long enough for a redirect on a slow link; the secret is not worth carrying longer. */
const LIFETIME_SECONDS = 120;

interface Sealed extends NewTokenNotice {
  userId: number;
  /** Epoch milliseconds after which the notice is void. */
  until: number;
}

const boundTo = (viewer: Viewer) => `web-new-token:${viewer.sessionId}`;

export class NewTokenFlash {
  readonly #cookie: CookieSerializeOptions;
  readonly #name: string;

  constructor(
    private readonly box: SecretBox,
    private readonly clock: Clock,
    settings: Settings,
    /** The page that shows the secret: the cookie is sent to it and nowhere else. */
    path: string,
    /** A page of its own kind of secret uses a cookie of its own name, so no two pages read each other's. */
    name: string = COOKIE,
  ) {
    this.#name = name;
    this.#cookie = {
      path,
      httpOnly: true,
      sameSite: 'strict',
      secure: settings.externalUrl.startsWith('https:'),
    };
  }

  /** Attaches the notice to the redirect that follows the form post. */
  put(reply: FastifyReply, viewer: Viewer, notice: NewTokenNotice): void {
    const sealed: Sealed = {
      ...notice,
      userId: viewer.user.id,
      until: this.clock.now().getTime() + LIFETIME_SECONDS * 1000,
    };
    void reply.setCookie(this.#name, this.box.seal(JSON.stringify(sealed), boundTo(viewer)), {
      ...this.#cookie,
      maxAge: LIFETIME_SECONDS,
    });
  }

  /** The notice, if one came with the request for this viewer; it is cleared either way. */
  take(request: FastifyRequest, reply: FastifyReply, viewer: Viewer): NewTokenNotice | null {
    const value = request.cookies[this.#name];
    if (value === undefined) return null;
    void reply.clearCookie(this.#name, this.#cookie);
    let sealed: Sealed;
    try {
      sealed = JSON.parse(this.box.open(value, boundTo(viewer))) as Sealed;
    } catch {
      // Another session's, tampered with, or sealed under an older key: nothing to show.
      return null;
    }
    if (sealed.userId !== viewer.user.id || sealed.until < this.clock.now().getTime()) return null;
    return {
      action: sealed.action,
      tokenId: sealed.tokenId,
      tokenName: sealed.tokenName,
      plaintext: sealed.plaintext,
      ...(sealed.username !== undefined ? { username: sealed.username } : {}),
      ...(sealed.previousValidUntil !== undefined ? { previousValidUntil: sealed.previousValidUntil } : {}),
    };
  }
}
