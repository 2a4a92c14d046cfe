/**
 * `npm run signer`: the remote signer service (production points
 * SIGNER_URL at it). Serves the keyring in DATA_DIR/keys over HTTPS with mutual
 * TLS on SIGNER_HOST:SIGNER_PORT; SIGNER_TLS_CERT/KEY are its server
 * certificate, SIGNER_TLS_CA the only CA whose client certificates it accepts.
 *
 *   npm run signer                      serve
 *   npm run signer -- dev-certs DIR     write a dev CA, server and client certificate (PEM) into DIR
 */
import { loadConfigOrExit } from '#lib/server/config';
import { createSignerServer, keyringFromConfig, pemSetting, traceSigner } from '#lib/server/signer';
import { createDevTlsMaterial, writeDevTlsMaterial } from '#lib/server/signer/dev-certs';
import { installProcessGuard } from '#lib/server/telemetry/guard';
import { logger } from '#lib/server/telemetry/logger';
import { startTracing, stopTracing } from '#lib/server/telemetry/tracing';

process.env.WIPECERT_ENTRY = 'signer';
const [command, arg] = process.argv.slice(2);

if (command === 'dev-certs') {
	if (!arg) {
		process.stderr.write('usage: signer dev-certs DIR\n');
		process.exit(2);
	}
	const files = writeDevTlsMaterial(arg, createDevTlsMaterial());
	process.stdout.write(
		[
			`dev certificates written to ${arg}`,
			`signer service: SIGNER_TLS_CERT=${files['server.crt']} SIGNER_TLS_KEY=${files['server.key']} SIGNER_TLS_CA=${files['ca.crt']}`,
			`app and workers: SIGNER_URL=https://localhost:8443 SIGNER_TLS_CERT=${files['client.crt']} SIGNER_TLS_KEY=${files['client.key']} SIGNER_TLS_CA=${files['ca.crt']}`,
			''
		].join('\n')
	);
	process.exit(0);
} else if (command) {
	process.stderr.write(`usage: signer [dev-certs DIR]\n`);
	process.exit(2);
}

const config = loadConfigOrExit();
if (!config.SIGNER_TLS_CERT || !config.SIGNER_TLS_KEY || !config.SIGNER_TLS_CA) {
	process.stderr.write('signer: set SIGNER_TLS_CERT, SIGNER_TLS_KEY and SIGNER_TLS_CA (mutual TLS is its only authentication); `signer dev-certs DIR` makes dev ones\n');
	process.exit(1);
}
await startTracing(config);
try {
	const keyring = await keyringFromConfig(config);
	const server = createSignerServer(traceSigner(keyring, 'local'), {
		cert: pemSetting(config.SIGNER_TLS_CERT),
		key: pemSetting(config.SIGNER_TLS_KEY),
		ca: pemSetting(config.SIGNER_TLS_CA),
		log: ({ level, msg, ...rest }) => logger[level](rest, msg)
	});
	server.listen(config.SIGNER_PORT, config.SIGNER_HOST, () => {
		const address = server.address();
		const port = typeof address === 'object' && address ? address.port : config.SIGNER_PORT;
		logger.info({ host: config.SIGNER_HOST, port, keys: config.SIGNER_KEYS, batchSize: config.SIGNER_BATCH_SIZE }, 'signer listening (mTLS)');
		installProcessGuard(logger);
	});
	const stop = () => {
		server.close(async () => {
			await keyring.close();
			await stopTracing();
			process.exit(0);
		});
		server.closeAllConnections();
		setTimeout(() => process.exit(0), config.SHUTDOWN_TIMEOUT * 1000).unref();
	};
	process.once('SIGTERM', stop);
	process.once('SIGINT', stop);
} catch (error) {
	logger.fatal({ err: error }, (error as Error).message);
	process.exit(1);
}
