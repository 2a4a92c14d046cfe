/**
 * `npm run chain -- COMMAND`: the anchor contract and the chain account.
 *
 *   npm run chain -- account   the chain key's address (fund it with gas money) and its balance
 *   npm run chain -- deploy    deploys WipeCertAnchor with the chain key and prints CHAIN_CONTRACT
 *
 * Both use CHAIN_RPC_URL and CHAIN_ID (CHAIN_CONTRACT is what deploy prints, so
 * it is not needed here) and the signer of the settings: the in-process keyring
 * in DATA_DIR/keys or the remote signer at SIGNER_URL. The chain key never
 * leaves the signer; the contract's owner is that key.
 */
import { formatEther } from 'viem';
// the modules it needs, not the anchor module's index (which loads the PDF renderer and the whole pipeline)
import { chainClient } from '#lib/server/anchor/chain';
import { deployAnchorContract } from '#lib/server/anchor/transactions';
import { parseConfig, resolveConfig, ConfigError } from '#lib/server/config';
import { keyringFromConfig, remoteFromConfig } from '#lib/server/signer';

process.env.WIPECERT_ENTRY = 'chain';
const USAGE = 'usage: npm run chain -- account|deploy   (uses CHAIN_RPC_URL and CHAIN_ID, and the signer of the settings)';
const [command, ...rest] = process.argv.slice(2);
if ((command !== 'deploy' && command !== 'account') || rest.length) {
	process.stderr.write(`${USAGE}\n`);
	process.exit(2);
}

let config;
try {
	// CHAIN=evm wants CHAIN_CONTRACT, which this command is about to make: checked here without that rule
	config = resolveConfig(parseConfig({ ...process.env, CHAIN: 'noop' }));
} catch (error) {
	process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
	process.exit(1);
}
if (!config.CHAIN_RPC_URL || !config.CHAIN_ID) {
	process.stderr.write(`chain: set CHAIN_RPC_URL and CHAIN_ID (handbook: Anchoring)\n${USAGE}\n`);
	process.exit(1);
}
const signer = config.SIGNER_URL ? remoteFromConfig(config) : await keyringFromConfig(config);
try {
	const client = chainClient(config.CHAIN_RPC_URL, config.CHAIN_TIMEOUT * 1000);
	const id = await client.getChainId();
	if (id !== config.CHAIN_ID) throw new Error(`the node at CHAIN_RPC_URL serves chain ${id}, not CHAIN_ID ${config.CHAIN_ID}`);
	const account = await signer.chainAddress();
	const balance = await client.getBalance({ address: account });
	process.stdout.write(`chain account ${account} on chain ${id}: balance ${formatEther(balance)}\n`);
	if (command === 'deploy') {
		if (balance === 0n) throw new Error(`fund ${account} first: it pays the deployment's gas`);
		const d = await deployAnchorContract(client, signer, {
			chainId: id,
			caps: { gasLimit: 2_000_000, maxFeePerGas: config.CHAIN_MAX_FEE_PER_GAS, maxPriorityFeePerGas: config.CHAIN_MAX_PRIORITY_FEE_PER_GAS },
			timeoutMs: Math.max(120_000, config.CHAIN_TIMEOUT * 1000)
		});
		process.stdout.write(`WipeCertAnchor deployed by ${d.from} in block ${d.blockNumber} (tx ${d.txHash})\nCHAIN_CONTRACT=${d.contract}\n`);
	}
	await signer.close();
	process.exit(0);
} catch (error) {
	process.stderr.write(`chain: ${error instanceof Error ? error.message : String(error)}\n`);
	await signer.close();
	process.exit(1);
}
