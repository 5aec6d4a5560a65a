import { describe, expect, it } from 'vitest';
import type { DownloadClientDto, IndexerDto } from '../../types';
import {
  changeType,
  emptyForm,
  errorToField,
  FIELDS,
  moveUpdates,
  sourceBody,
  sourceToForm,
  testBody,
  type SourceForm,
} from './source-form';

const HEALTH = { state: 'ok', circuit: 'closed' } as const;

const PROWLARR: IndexerDto = {
  id: 'prowlarr',
  type: 'torznab',
  enabled: true,
  position: 0,
  source: 'api',
  settings: {
    url: 'http://prowlarr:9696/1/api',
    clientId: 'qbit',
    categories: [3000, 3040],
    rateLimitPerMinute: 30,
    allowPrivateAddress: true,
    requestTimeoutMs: 5000,
  },
  secrets: { apiKey: { set: true } },
  health: HEALTH,
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const QBIT: DownloadClientDto = {
  id: 'qbit',
  type: 'qbittorrent',
  enabled: true,
  position: 0,
  source: 'api',
  settings: {
    url: 'http://127.0.0.1:8080',
    username: 'admin',
    category: 'soulspot',
    savePath: '/downloads',
    pathMappings: [{ remote: '/downloads', local: '/mnt/dl' }],
    allowPrivateAddress: true,
    allowPrivateIndexerLinks: false,
  },
  secrets: { password: { set: true } },
  health: HEALTH,
  updatedAt: '2026-01-01T00:00:00.000Z',
};

const withValues = (form: SourceForm, values: Record<string, string | boolean>): SourceForm => ({
  ...form,
  values: { ...form.values, ...values },
});

describe('the field table', () => {
  it('has one secret per type, and the private-address opt-in on every type', () => {
    for (const [type, fields] of Object.entries(FIELDS)) {
      expect(
        fields.filter((f) => f.input === 'secret'),
        type,
      ).toHaveLength(1);
      expect(
        fields.some((f) => f.key === 'allowPrivateAddress' && f.input === 'bool'),
        type,
      ).toBe(true);
      expect(new Set(fields.map((f) => f.key)).size, type).toBe(fields.length);
    }
  });
});

describe('sourceBody: create', () => {
  it('sends id, type, enabled and the settings; an empty optional field is left out', () => {
    const form = withValues(
      { ...emptyForm('torznab'), id: ' jackett ' },
      {
        url: ' http://jackett:9117/api/v2.0/indexers/all/results/torznab ',
        apiKey: 'k3y',
        clientId: 'qbit',
      },
    );
    expect(sourceBody(form)).toEqual({
      ok: true,
      body: {
        id: 'jackett',
        type: 'torznab',
        enabled: true,
        settings: {
          url: 'http://jackett:9117/api/v2.0/indexers/all/results/torznab',
          apiKey: 'k3y',
          clientId: 'qbit',
          categories: [3000, 3010, 3040],
          rateLimitPerMinute: 30,
          allowPrivateAddress: false,
        },
      },
    });
  });

  it('parses path mappings and numbers, and leaves a blank secret out', () => {
    const form = withValues(
      { ...emptyForm('qbittorrent'), id: 'qbit' },
      {
        url: 'http://127.0.0.1:8080',
        username: 'admin',
        pathMappings: '/downloads => /mnt/dl\n\n /a b => /c=>d ',
        noSeedersTimeoutSeconds: '600',
        allowPrivateAddress: true,
      },
    );
    const r = sourceBody(form);
    expect(r.ok && r.body['settings']).toEqual({
      url: 'http://127.0.0.1:8080',
      username: 'admin',
      category: 'soulspot',
      pathMappings: [
        { remote: '/downloads', local: '/mnt/dl' },
        { remote: '/a b', local: '/c=>d' },
      ],
      noSeedersTimeoutSeconds: 600,
      allowPrivateAddress: true,
      allowPrivateIndexerLinks: false,
    });
  });

  it('names each bad field, a required secret included', () => {
    const form = withValues(
      { ...emptyForm('nzbget'), id: '-bad/id' },
      { url: 'ftp://x', pathMappings: 'no arrow here' },
    );
    expect(sourceBody(form)).toEqual({
      ok: false,
      errors: {
        id: expect.any(String) as unknown,
        url: 'an http:// or https:// URL',
        username: 'required',
        password: 'required',
        pathMappings: 'one a line: remote => local',
      },
    });
    for (const id of ['Jackett', 'a b', 'x'.repeat(41)])
      expect(sourceBody({ ...form, id }), id).toMatchObject({
        ok: false,
        errors: { id: expect.any(String) },
      });
    const indexer = withValues(
      { ...emptyForm('newznab'), id: 'nz' },
      { url: 'https://x/api', categories: '3000, x', rateLimitPerMinute: '1.5' },
    );
    expect(sourceBody(indexer)).toEqual({
      ok: false,
      errors: {
        clientId: 'required',
        categories: 'whole numbers, separated by commas',
        rateLimitPerMinute: 'a whole number',
      },
    });
  });

  it('keeps the shared values when the type changes', () => {
    const form = changeType(
      withValues({ ...emptyForm('nzbget'), id: 'u' }, { url: 'http://h:1', password: 'pw' }),
      'sabnzbd',
    );
    expect(form.id).toBe('u');
    expect(form.values['url']).toBe('http://h:1');
    expect('password' in form.values).toBe(false);
    expect(form.values['apiKey']).toBe('');
  });
});

describe('sourceBody: update', () => {
  it('shows a stored entry with its secret empty, and sends nothing when nothing changed', () => {
    const form = sourceToForm(QBIT);
    expect(form.values['password']).toBe('');
    expect(form.values['pathMappings']).toBe('/downloads => /mnt/dl');
    expect(sourceBody(form, QBIT)).toEqual({ ok: true, body: {} });
    expect(sourceBody(sourceToForm(PROWLARR), PROWLARR)).toEqual({ ok: true, body: {} });
  });

  it('sends only what changed; a stored secret is not required again and a blank one is left out', () => {
    const form = withValues(sourceToForm(QBIT), { url: 'http://qbit:8080' });
    expect(sourceBody(form, QBIT)).toEqual({
      ok: true,
      body: { settings: { url: 'http://qbit:8080' } },
    });
    const nzbget: DownloadClientDto = {
      ...QBIT,
      type: 'nzbget',
      settings: { url: 'http://n:6789', username: 'u', category: 'soulspot', pathMappings: [] },
    };
    expect(sourceBody(sourceToForm(nzbget), nzbget)).toEqual({ ok: true, body: {} });
    expect(sourceBody({ ...sourceToForm(nzbget), enabled: false }, nzbget)).toEqual({
      ok: true,
      body: { enabled: false },
    });
  });

  it('sends a typed secret; an emptied field goes back to its default, or is refused', () => {
    const form = withValues(sourceToForm(PROWLARR), {
      apiKey: 'new-key',
      categories: '',
      allowPrivateAddress: false,
    });
    expect(sourceBody(form, PROWLARR)).toEqual({
      ok: true,
      body: {
        settings: { apiKey: 'new-key', categories: [3000, 3010, 3040], allowPrivateAddress: false },
      },
    });
    expect(sourceBody(withValues(sourceToForm(QBIT), { savePath: ' ' }), QBIT)).toEqual({
      ok: false,
      errors: { savePath: expect.stringContaining('keeps') as unknown },
    });
    // Mappings emptied are an empty list; a switch absent from the settings is off.
    expect(sourceBody(withValues(sourceToForm(QBIT), { pathMappings: '' }), QBIT)).toEqual({
      ok: true,
      body: { settings: { pathMappings: [] } },
    });
    const sab: DownloadClientDto = {
      ...QBIT,
      type: 'sabnzbd',
      settings: { url: 'http://s:1' },
      secrets: { apiKey: { set: true } },
    };
    expect(sourceBody(withValues(sourceToForm(sab), { category: 'soulspot' }), sab)).toMatchObject({
      ok: true,
      body: { settings: { category: 'soulspot', pathMappings: [] } },
    });
  });

  it('refuses to send an environment entry, but tests it by id', () => {
    const env: IndexerDto = { ...PROWLARR, source: 'environment' };
    const form = withValues(sourceToForm(env), { url: 'http://other/api' });
    expect(sourceBody(form, env)).toMatchObject({ ok: false, errors: { id: expect.any(String) } });
    expect(testBody(form, env)).toEqual({ ok: true, body: { id: 'prowlarr' } });
  });
});

describe('testBody', () => {
  it('is { type, settings } for a new entry and { id, changes } for a stored one', () => {
    const form = withValues(
      { ...emptyForm('sabnzbd'), id: '' },
      { url: 'http://sab:8080', apiKey: 'abc' },
    );
    expect(testBody(form)).toEqual({
      ok: true,
      body: {
        type: 'sabnzbd',
        settings: {
          url: 'http://sab:8080',
          apiKey: 'abc',
          category: 'soulspot',
          pathMappings: [],
          allowPrivateAddress: false,
          allowPrivateIndexerLinks: false,
        },
      },
    });
    expect(testBody(sourceToForm(QBIT), QBIT)).toEqual({ ok: true, body: { id: 'qbit' } });
    expect(testBody({ ...sourceToForm(QBIT), enabled: false }, QBIT)).toEqual({
      ok: true,
      body: { id: 'qbit' },
    });
    expect(testBody(withValues(sourceToForm(QBIT), { password: 'pw2' }), QBIT)).toEqual({
      ok: true,
      body: { id: 'qbit', settings: { password: 'pw2' } },
    });
    expect(testBody(withValues(form, { url: 'nope' }))).toMatchObject({ ok: false });
  });
});

describe('errorToField', () => {
  it('finds the field a 400 names', () => {
    expect(errorToField('settings/url: must be a URL', 'qbittorrent')).toEqual({
      key: 'url',
      message: 'must be a URL',
    });
    expect(
      errorToField('body/settings/pathMappings/0/remote must not be empty', 'sabnzbd'),
    ).toEqual({ key: 'pathMappings', message: 'must not be empty' });
    expect(errorToField('/settings/categories/1: must be >= 0', 'torznab')).toEqual({
      key: 'categories',
      message: 'must be >= 0',
    });
    expect(errorToField('id: already taken', 'nzbget')).toEqual({
      key: 'id',
      message: 'already taken',
    });
    expect(errorToField('settings/clientId', 'newznab')).toEqual({
      key: 'clientId',
      message: 'is invalid',
    });
  });

  it('names no field for a message about something else', () => {
    expect(errorToField('settings/savePath: bad', 'sabnzbd')).toBeNull();
    expect(errorToField('Indexer not found', 'torznab')).toBeNull();
    expect(errorToField('settings/type/x: bad', 'torznab')).toBeNull();
  });
});

describe('moveUpdates', () => {
  const a = { ...QBIT, id: 'a', position: 0 };
  const b = { ...QBIT, id: 'b', position: 1 };
  const c = { ...QBIT, id: 'c', position: 2 };

  it('swaps the positions of an entry and its neighbour', () => {
    expect(moveUpdates([a, b, c], 'b', -1)).toEqual([
      { id: 'b', position: 0 },
      { id: 'a', position: 1 },
    ]);
    expect(moveUpdates([a, b, c], 'b', 1)).toEqual([
      { id: 'b', position: 2 },
      { id: 'c', position: 1 },
    ]);
  });

  it('splits a tie so the order really changes', () => {
    const tied = [a, { ...b, position: 0 }];
    expect(moveUpdates(tied, 'b', -1)).toEqual([
      { id: 'b', position: 0 },
      { id: 'a', position: 1 },
    ]);
    expect(moveUpdates(tied, 'a', 1)).toEqual([
      { id: 'a', position: 1 },
      { id: 'b', position: 0 },
    ]);
  });

  it('does not move past an end or an environment entry', () => {
    expect(moveUpdates([a, b], 'a', -1)).toBeNull();
    expect(moveUpdates([a, b], 'b', 1)).toBeNull();
    expect(moveUpdates([{ ...a, source: 'environment' }, b], 'b', -1)).toBeNull();
    expect(moveUpdates([a, b], 'x', 1)).toBeNull();
  });
});
