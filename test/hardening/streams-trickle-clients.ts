import { connect, type Socket } from 'node:net';

/*
 * Run as a process of its own by streams-connections.test.ts: opens `count` connections to
 * 127.0.0.1:`port`, each sending the start of a request and then one header byte every `everyMs`
 * and never finishing it. Prints `attempted <n>` once every connection has been opened and either
 * connected or failed (20 every 10 ms: a steady stream, not one burst the accept queue holds), then `closed <n>` each time the count of closed ones moves; runs until killed.
 */
const [port, count, everyMs] = process.argv.slice(2).map(Number);
const sockets: Socket[] = [];
let settled = 0;
let closed = 0;
let reported = -1;

const openBatch = () => {
  for (let i = 0; i < 20 && sockets.length < count; i += 1) {
    const socket = connect(port, '127.0.0.1');
    let counted = false;
    const settle = () => {
      if (counted) return;
      counted = true;
      settled += 1;
      if (settled === count) process.stdout.write(`attempted ${count}\n`);
    };
    socket.on('connect', () => {
      socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: ');
      settle();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      settle();
      closed += 1;
    });
    sockets.push(socket);
  }
  if (sockets.length < count) setTimeout(openBatch, 10);
};
openBatch();

setInterval(() => {
  for (const socket of sockets) if (!socket.destroyed && !socket.connecting) socket.write('a');
  if (closed !== reported) {
    reported = closed;
    process.stdout.write(`closed ${closed}\n`);
  }
}, everyMs);
