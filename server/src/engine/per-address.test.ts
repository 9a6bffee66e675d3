import { describe, expect, it } from 'vitest';
import { ConnectionsPerAddress } from './per-address.js';

describe('ConnectionsPerAddress', () => {
  it('admits up to the limit per address and again once one closes', () => {
    const perIp = new ConnectionsPerAddress(2);
    for (let i = 0; i < 2; i++) {
      expect(perIp.admits('10.0.0.1')).toBe(true);
      perIp.opened('10.0.0.1');
    }
    expect(perIp.admits('10.0.0.1')).toBe(false);
    expect(perIp.admits('10.0.0.2')).toBe(true);

    perIp.closed('10.0.0.1');
    expect(perIp.admits('10.0.0.1')).toBe(true);
  });

  it('forgets an address whose sessions all closed', () => {
    const perIp = new ConnectionsPerAddress(5);
    perIp.opened('a');
    perIp.opened('a');
    perIp.closed('a');
    perIp.closed('a');
    expect(perIp.addresses).toBe(0);
  });

  it('admits everything when the limit is 0', () => {
    const perIp = new ConnectionsPerAddress(0);
    for (let i = 0; i < 100; i++) perIp.opened('a');
    expect(perIp.admits('a')).toBe(true);
    expect(perIp.addresses).toBe(0);
  });
});
