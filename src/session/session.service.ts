import { createHmac, randomBytes } from 'node:crypto';
import { keyMatcher } from './key-check.js';
import type { SessionRepository } from './session.repository.js';

/** 30 days, sliding. */
export const DEFAULT_SESSION_TTL_MS = 30 * 86_400_000;
/** A session's expiry is written forward at most this often (one write an hour, not per request). */
export const SESSION_REFRESH_MS = 3_600_000;

export interface SessionServiceDeps {
  repo: SessionRepository;
  apiKey: string;
  now: () => number;
  ttlMs?: number;
}

/** What a valid cookie stands for; `refreshed` says the expiry moved (the cookie is sent again). */
export interface LiveSession {
  expiresAt: number;
  refreshed: boolean;
}

/** The cookie's token: 32 random bytes, base64url (43 characters). */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Logins of the web UI. A session is started by the API key and stands for it afterwards; the
 * browser holds only a random token in an HttpOnly cookie, the database only its HMAC keyed by the
 * API key. So a new key (the old one leaked) ends every session started with the old one, as it
 * ends the old key's API access: their rows no longer match any cookie.
 */
export function createSessionService(deps: SessionServiceDeps) {
  const ttlMs = deps.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const hash = (token: string) => hashToken(token, deps.apiKey);
  return {
    ttlMs,
    /** Whether a login's key is the API key (constant time). */
    keyMatches: keyMatcher(deps.apiKey),

    /** Starts a session; expired ones are swept here (logins are rare, rows few). */
    async start(): Promise<{ token: string; expiresAt: number }> {
      const now = deps.now();
      await deps.repo.sweep(now);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = now + ttlMs;
      await deps.repo.insert({
        tokenHash: hash(token),
        createdAt: now,
        refreshedAt: now,
        expiresAt,
      });
      return { token, expiresAt };
    },

    /** The session a cookie names, if live; slides its expiry when the last move is an hour old. */
    async check(token: string): Promise<LiveSession | null> {
      if (!TOKEN_PATTERN.test(token)) return null;
      const tokenHash = hash(token);
      const now = deps.now();
      const row = await deps.repo.findLive(tokenHash, now);
      if (!row) return null;
      if (now - row.refreshedAt < SESSION_REFRESH_MS)
        return { expiresAt: row.expiresAt, refreshed: false };
      const expiresAt = now + ttlMs;
      // Another process may have moved it first: its expiry is as good as ours.
      const wrote = await deps.repo.refresh(tokenHash, row.refreshedAt, now, expiresAt);
      return wrote
        ? { expiresAt, refreshed: true }
        : { expiresAt: row.expiresAt, refreshed: false };
    },

    async end(token: string): Promise<void> {
      if (TOKEN_PATTERN.test(token)) await deps.repo.delete(hash(token));
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;

/** What the `sessions` row is keyed by: HMAC-SHA256 of the token under the API key, hex. */
export function hashToken(token: string, apiKey: string): string {
  return createHmac('sha256', apiKey).update(token).digest('hex');
}
