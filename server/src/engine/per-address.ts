import type { IncomingMessage } from 'node:http';

/**
 * Open sessions per remote address, for MAX_CONNECTIONS_PER_IP: one client
 * address cannot take the whole node's MAX_CONNECTIONS (issue 7, floods).
 * A limit of 0 admits everything and counts nothing.
 */
export class ConnectionsPerAddress {
  private readonly open = new Map<string, number>();

  constructor(private readonly limit: number) {}

  admits(address: string): boolean {
    return this.limit === 0 || (this.open.get(address) ?? 0) < this.limit;
  }

  opened(address: string): void {
    if (this.limit === 0) return;
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
  }

  closed(address: string): void {
    if (this.limit === 0) return;
    const left = (this.open.get(address) ?? 1) - 1;
    if (left > 0) this.open.set(address, left);
    else this.open.delete(address);
  }

  /** Addresses with at least one open session. */
  get addresses(): number {
    return this.open.size;
  }
}

/** The part of an engine.io socket the per-address count needs. */
export interface EngineSocket {
  remoteAddress: string;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * The peer address engine.io saw: its uWS server fills `req.connection`
 * from `getRemoteAddressAsText()`, node:http from the socket. Proxies'
 * X-Forwarded-For is deliberately ignored: a client could forge it.
 */
export function remoteAddress(req: IncomingMessage): string {
  return req.connection?.remoteAddress ?? req.socket?.remoteAddress ?? 'unknown';
}
