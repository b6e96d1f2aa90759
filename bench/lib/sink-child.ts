// The loopback HTTP sink, run in its own process so it does not share the
// engine's event loop or core: it answers every request 200 with a small JSON
// body, like a healthy external system. `node sink-child.js` under fork().
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('{"ok":true}');
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
let requests = 0;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.address() as AddressInfo).port });
});

process.on('message', (msg: { type: string; seq?: number }) => {
  if (msg.type === 'stats') process.send!({ type: 'stats', seq: msg.seq, requests });
  if (msg.type === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
