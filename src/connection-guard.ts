import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionStats {
  open: number;
  /** The most connections open at once. */
  peakOpen: number;
  /** Connections closed to make room: waiting for a request head longest. */
  evicted: number;
  /** New connections turned away with 503 because every open one had a request in flight. */
  refused: number;
}

/**
 * Bounds the connections open at once across every listening address, below the open-file limit.
 * A connection at the cap does not lock everybody out: the connection that has waited longest for
 * a request head (never sent one, trickles one in, or idles between keep-alive requests) is closed
 * to make room, so a client that sends its request at once gets in. Only when every open
 * connection has a request in flight is a new one refused, with 503 overloaded.
 */
export class ConnectionGuard {
  /** Connections with no request in flight, longest waiting first (a Map keeps insertion order), with when each began to wait. */
  private readonly waiting = new Map<Socket, Arrival>();
  private readonly inFlight = new Map<Socket, number>();
  /** Every connection counted against the cap; an evicted one leaves it at once, not at its 'close'. */
  private readonly counted = new Set<Socket>();
  private readonly counts = { peakOpen: 0, evicted: 0, refused: 0 };
  /** Event-loop turns in which connections arrived, counted while they arrive. */
  private turn = 0;
  private turnCounting = false;

  constructor(readonly maxConnections: number) {}

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accepted(socket));
    const started = (req: IncomingMessage, res: ServerResponse) => this.requestStarted(req.socket, res);
    server.on('request', started);
    server.on('checkExpectation', started);
  }

  stats(): ConnectionStats {
    return { open: this.counted.size, ...this.counts };
  }

  private accepted(socket: Socket): void {
    if (this.counted.size >= this.maxConnections && !this.evictOne()) {
      this.counts.refused += 1;
      // Nothing it sends is read: the answer goes out and the connection closes.
      socket.pause();
      socket.on('error', () => undefined);
      socket.write(OVERLOADED_RESPONSE(), () => socket.destroy());
      return;
    }
    this.counted.add(socket);
    this.counts.peakOpen = Math.max(this.counts.peakOpen, this.counted.size);
    this.waiting.set(socket, this.arrival());
    socket.once('close', () => this.forget(socket));
  }

  /**
   * Now, in time and in turns. A connection accepted in this turn or the one before may not have
   * been read yet (its request comes in with a later poll), so it is not taken for a silent one.
   */
  private arrival(): Arrival {
    if (!this.turnCounting) {
      this.turnCounting = true;
      setImmediate(() => {
        this.turn += 1;
        this.turnCounting = false;
      });
    }
    return { at: performance.now(), turn: this.turn };
  }

  /** Closes the connection that has waited longest for a request head, if it has waited long enough to count as silent. */
  private evictOne(): boolean {
    const now = performance.now();
    for (const [socket, since] of this.waiting) {
      if (since.turn >= this.turn - 1 && now - since.at < UNREAD_GRACE_MS) return false;
      this.forget(socket);
      this.counts.evicted += 1;
      socket.destroy();
      return true;
    }
    return false;
  }

  private forget(socket: Socket): void {
    this.counted.delete(socket);
    this.waiting.delete(socket);
    this.inFlight.delete(socket);
  }

  private requestStarted(socket: Socket, res: ServerResponse): void {
    if (!this.counted.has(socket)) return;
    this.waiting.delete(socket);
    this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (this.inFlight.get(socket) ?? 1) - 1;
      if (left > 0) return void this.inFlight.set(socket, left);
      this.inFlight.delete(socket);
      if (this.counted.has(socket) && !socket.destroyed) this.waiting.set(socket, this.arrival());
    });
  }
}

interface Arrival {
  at: number;
  turn: number;
}

/** Below this age a connection from the last two turns is never evicted: its request may be unread. */
const UNREAD_GRACE_MS = 100;

const OVERLOADED_RESPONSE = () => {
  const body = JSON.stringify({ error: { status: 503, code: 'overloaded', message: 'Too many connections are open: try again shortly.' } });
  return (
    `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Retry-After: 1\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`
  );
};
