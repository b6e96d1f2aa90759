// The reference for the Inbound API benches: a bare Fastify server with one
// POST route that returns a computed JSON value (a + b), in its own process
// (same Node as central). `node bare-child.js`; prints {"url": ...} on stdout
// once it listens, and stops on SIGTERM.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post<{ Body: { a: number; b: number } }>('/api/:method', async (req) => req.body.a + req.body.b);
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
