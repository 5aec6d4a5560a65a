/** The add-to-blocklist form as a POST /api/blocklist body, checked as the API checks it (pure). */

export interface BlocklistForm {
  username: string;
  filename: string;
  reason: string;
  /** Empty: permanent. */
  expiresInDays: string;
}

export interface BlocklistBody {
  username: string;
  filename?: string;
  reason?: string;
  expiresInDays?: number;
}

export type BlocklistParse =
  | { ok: true; body: BlocklistBody }
  | { ok: false; errors: Partial<Record<keyof BlocklistForm, string>> };

/** The same limits as AddBlocklistBody in src/http/routes/blocklist.routes.ts. */
export function blocklistBody(form: BlocklistForm): BlocklistParse {
  const errors: Partial<Record<keyof BlocklistForm, string>> = {};
  const username = form.username.trim();
  const filename = form.filename.trim();
  const reason = form.reason.trim();
  const days = form.expiresInDays.trim();
  if (username === '') errors.username = 'a user name is required';
  else if ([...username].length > 100) errors.username = 'at most 100 characters';
  if ([...filename].length > 500) errors.filename = 'at most 500 characters';
  if ([...reason].length > 1000) errors.reason = 'at most 1000 characters';
  let expiresInDays: number | undefined;
  if (days !== '') {
    const n = Number(days);
    if (!Number.isFinite(n) || n <= 0) errors.expiresInDays = 'a number of days above 0';
    else if (n > 36_500) errors.expiresInDays = 'at most 36500 days';
    else expiresInDays = n;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      username,
      ...(filename ? { filename } : {}),
      ...(reason ? { reason } : {}),
      ...(expiresInDays !== undefined ? { expiresInDays } : {}),
    },
  };
}
