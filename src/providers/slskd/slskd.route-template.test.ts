import { describe, expect, it } from 'vitest';
import { routeTemplate } from './slskd.api.js';

describe('routeTemplate (the metrics label of an slskd request)', () => {
  it.each([
    ['/application', '/application'],
    ['/options', '/options'],
    ['/searches', '/searches'],
    ['/searches/0f7c?includeResponses=false', '/searches/{id}'],
    ['/searches/0f7c/responses', '/searches/{id}/responses'],
    ['/transfers/downloads', '/transfers/downloads'],
    ['/transfers/downloads/batches', '/transfers/downloads/batches'],
    ['/transfers/downloads/batches/b-1', '/transfers/downloads/batches/{id}'],
    ['/transfers/downloads/some%20peer', '/transfers/downloads/{username}'],
    ['/transfers/downloads/some%20peer/t-1?remove=true', '/transfers/downloads/{username}/{id}'],
    [
      '/transfers/downloads/some%20peer/t-1/position',
      '/transfers/downloads/{username}/{id}/position',
    ],
    ['/users/some%20peer/directory', '/users/{username}/directory'],
    ['/events?offset=0&limit=100', '/events'],
  ])('%s → %s', (path, template) => {
    expect(routeTemplate(path)).toBe(template);
  });

  it('never carries a username or id into the label', () => {
    for (const user of ['alice', 'b@d/../name', '日本']) {
      const label = routeTemplate(`/transfers/downloads/${encodeURIComponent(user)}/xyz/position`);
      expect(label).not.toContain(encodeURIComponent(user));
      expect(label).not.toContain('xyz');
    }
  });
});
