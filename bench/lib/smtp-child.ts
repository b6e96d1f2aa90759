// A loopback SMTP server (smtp-server) in its own process, so that it does not
// share the site's event loop or core: it accepts every message without
// authentication or TLS, like a healthy relay. `node smtp-child.js` under fork().
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let messages = 0;
let open = 0;
let maxOpen = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onConnect(_session, callback) {
    open++;
    maxOpen = Math.max(maxOpen, open);
    callback();
  },
  onClose() {
    open--;
  },
  onData(stream, _session, callback) {
    stream.resume();
    stream.on('end', () => {
      messages++;
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (server.server.address() as AddressInfo).port });
});

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') process.send!({ type: 'stats', messages, maxOpen });
  if (msg.type === 'close') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
