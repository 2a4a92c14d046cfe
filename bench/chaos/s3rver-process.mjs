// s3rver as its own process for the chaos suite (bench/chaos/stack.ts), as an S3 service runs
// apart from the app: `node s3rver-process.mjs PORT DIR`. When its disk is full s3rver dies on an
// unhandled ENOSPC from a write stream; the suite's supervisor starts it again, as systemd would.
import S3rver from 's3rver';

const [port, directory] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory });
await server.run();
process.stdout.write('s3rver listening\n');
process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
