import { describe, expect, it } from 'vitest';
import {
  checkAddress,
  checkLiteralHost,
  checkTarget,
  allowedTargetProblem,
  cidrProblem,
  parseAllowedTarget,
} from './address-policy.js';

// The check alone, on a table of addresses: no traffic is sent anywhere.
describe('address policy', () => {
  it.each([
    // address, allowed by default, why
    ['8.8.8.8', true, 'public IPv4'],
    ['1.1.1.1', true, 'public IPv4'],
    ['2606:4700:4700::1111', true, 'public IPv6'],
    ['[2001:4860:4860::8888]', true, 'bracketed public IPv6'],
    ['127.0.0.1', false, 'loopback'],
    ['127.255.255.254', false, 'loopback /8'],
    ['::1', false, 'IPv6 loopback'],
    ['[::1]', false, 'bracketed IPv6 loopback'],
    ['10.0.0.1', false, 'private'],
    ['172.16.5.4', false, 'private'],
    ['172.31.255.255', false, 'private'],
    ['192.168.1.10', false, 'private'],
    ['169.254.169.254', false, 'link-local (cloud metadata)'],
    ['fe80::1', false, 'IPv6 link-local'],
    ['fc00::1', false, 'unique local'],
    ['fd12:3456:789a::1', false, 'unique local'],
    ['224.0.0.1', false, 'multicast'],
    ['ff02::1', false, 'IPv6 multicast'],
    ['0.0.0.0', false, 'unspecified'],
    ['::', false, 'IPv6 unspecified'],
    ['255.255.255.255', false, 'broadcast'],
    ['100.64.0.1', false, 'CGNAT'],
    ['100.127.255.254', false, 'CGNAT'],
    ['192.0.2.1', false, 'documentation (reserved)'],
    ['240.0.0.1', false, 'reserved'],
    ['::ffff:127.0.0.1', false, 'IPv4-mapped loopback'],
    ['::ffff:8.8.8.8', false, 'IPv4-mapped, even public'],
    ['64:ff9b::808:808', true, 'NAT64 of a public address'],
    ['64:ff9b::7f00:1', false, 'NAT64 of loopback'],
    ['::7f00:1', false, 'IPv4-compatible loopback'],
    ['::a00:1', false, 'IPv4-compatible private'],
    ['::808:808', false, 'IPv4-compatible, even public'],
    ['[::7f00:1]', false, 'bracketed IPv4-compatible loopback'],
    ['64:ff9b:1::a00:1', false, 'local-use NAT64'],
    ['64:ff9b:1::808:808', false, 'local-use NAT64, even of a public address'],
    ['64:ff9b:1:ffff::1', false, 'local-use NAT64, top of the /48'],
    ['64:ff9b:2::1', true, 'just past the local-use NAT64 /48'],
    ['2002:7f00:1::', false, '6to4'],
    ['not-an-ip', false, 'not an address'],
  ])('%s → %s (%s)', (address, allowed) => {
    expect(checkAddress(address).ok).toBe(allowed);
  });

  it('says why, and how to allow it', () => {
    const verdict = checkAddress('192.168.1.10');
    expect(verdict).toEqual({
      ok: false,
      reason: expect.stringMatching(/private.*fetchAllowedRanges/),
    });
  });

  it('allowLoopback lets loopback through, nothing else', () => {
    const policy = { allowLoopback: true };
    expect(checkAddress('127.0.0.1', policy).ok).toBe(true);
    expect(checkAddress('::1', policy).ok).toBe(true);
    expect(checkAddress('10.0.0.1', policy).ok).toBe(false);
    expect(checkAddress('::ffff:127.0.0.1', policy).ok).toBe(false);
    expect(checkAddress('169.254.169.254', policy).ok).toBe(false);
  });

  it('allowed ranges let exactly their addresses through', () => {
    const policy = { allowedRanges: ['192.168.1.0/24', 'fd00::/8', '127.0.0.1/32'] };
    expect(checkAddress('192.168.1.77', policy).ok).toBe(true);
    expect(checkAddress('192.168.2.1', policy).ok).toBe(false);
    expect(checkAddress('fd00::5', policy).ok).toBe(true);
    expect(checkAddress('127.0.0.1', policy).ok).toBe(true);
    expect(checkAddress('127.0.0.2', policy).ok).toBe(false);
    // An IPv4 range never matches an IPv6 address, nor the other way round.
    expect(checkAddress('::ffff:192.168.1.77', policy).ok).toBe(false);
  });

  it('checks CIDR ranges for the setting', () => {
    expect(cidrProblem('10.0.0.0/8')).toBeNull();
    expect(cidrProblem('fd00::/8')).toBeNull();
    expect(cidrProblem('10.0.0.0')).toMatch(/not a CIDR range/);
    expect(cidrProblem('10.0.0.0/33')).toMatch(/not a CIDR range/);
    expect(cidrProblem('example.com/8')).toMatch(/not a CIDR range/);
  });
});

describe('allowedPrivateTargets entries', () => {
  it('parses host[:port] and CIDR entries, refusing anything else', () => {
    expect(parseAllowedTarget('gotify.lan')).toEqual({
      kind: 'host',
      host: 'gotify.lan',
      port: null,
    });
    expect(parseAllowedTarget('192.168.1.5:8080')).toEqual({
      kind: 'host',
      host: '192.168.1.5',
      port: 8080,
    });
    expect(parseAllowedTarget('[fd00::1]:80')).toEqual({ kind: 'host', host: 'fd00::1', port: 80 });
    expect(parseAllowedTarget('fd00::1')).toEqual({ kind: 'host', host: 'fd00::1', port: null });
    expect(parseAllowedTarget('10.0.0.0/8')).toEqual({ kind: 'cidr', range: '10.0.0.0/8' });
    for (const bad of ['', 'a b', 'host:0', 'host:70000', '10.0.0.0/33', 'http://x', 'x:y:z'])
      expect(parseAllowedTarget(bad), bad).toBeNull();
  });

  it('lets a private address through only for its host and port, or its range', () => {
    const policy = {
      allowedTargets: ['gotify.lan', '127.0.0.1:8080', '192.168.2.0/24'],
      settingName: 'allowedPrivateTargets',
    };
    const check = (host: string, port: number, address: string) =>
      checkTarget({ host, port, address }, policy).ok;
    expect(check('gotify.lan', 80, '192.168.1.9')).toBe(true);
    expect(check('other.lan', 80, '192.168.1.9')).toBe(false);
    expect(check('127.0.0.1', 8080, '127.0.0.1')).toBe(true);
    expect(check('127.0.0.1', 8081, '127.0.0.1')).toBe(false);
    expect(check('any.example', 443, '192.168.2.77')).toBe(true);
    expect(check('any.example', 443, '169.254.169.254')).toBe(false);
    expect(check('any.example', 443, '93.184.216.34')).toBe(true);
    const refused = checkTarget({ host: 'x', port: 80, address: '10.1.2.3' }, policy);
    expect(refused.ok ? '' : refused.reason).toMatch(/allowedPrivateTargets/);
  });

  it('judges a literal host without resolving anything', () => {
    const none = { settingName: 'allowedPrivateTargets' };
    expect(checkLiteralHost('localhost', 80, none)?.ok).toBe(false);
    expect(checkLiteralHost('app.localhost', 80, none)?.ok).toBe(false);
    expect(checkLiteralHost('[::1]', 80, none)?.ok).toBe(false);
    expect(checkLiteralHost('169.254.169.254', 80, none)?.ok).toBe(false);
    expect(checkLiteralHost('93.184.216.34', 443, none)?.ok).toBe(true);
    expect(checkLiteralHost('ntfy.sh', 443, none)).toBeNull();
    expect(checkLiteralHost('localhost', 9000, { allowedTargets: ['localhost:9000'] })?.ok).toBe(
      true,
    );
  });

  it('judges an entry the setting accepted with blanks around it as the setting read it', () => {
    // The setting trims before it checks an entry, so " 10.0.0.0/8 " is a valid entry: judging
    // with it must neither throw (every delivery, public ones too, failed so) nor lose it.
    const entries = [' 10.0.0.0/8 ', '\t192.168.7.0/24'];
    for (const e of entries) expect(allowedTargetProblem(e), e).toBeNull();
    const policy = { allowedTargets: entries, settingName: 'allowedPrivateTargets' };
    expect(checkAddress('10.1.2.3', policy).ok).toBe(true);
    expect(checkAddress('192.168.7.9', policy).ok).toBe(true);
    expect(checkAddress('93.184.216.34', policy).ok).toBe(true);
    expect(checkAddress('127.0.0.1', policy).ok).toBe(false);
    expect(checkTarget({ host: 'x.example', port: 80, address: '10.9.9.9' }, policy).ok).toBe(true);
    expect(checkLiteralHost('192.168.7.1', 80, policy)?.ok).toBe(true);
  });
});
