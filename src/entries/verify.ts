/**
 * `npm run verify -- FILE.pdf [--keys FILE] [--witness VKEY] [--rpc URL] [--json]`:
 * offline certificate verification (no database; the network only for --rpc,
 * to ask a node of the anchor's chain).
 */
import { checkAnchorOnChain } from '#lib/server/anchor/verify';
import { runVerify } from '#lib/verifier/cli';
import { nodeIo } from './node-io';

process.exitCode = await runVerify(process.argv.slice(2), { ...nodeIo('npm run verify --'), checkAnchor: (anchor, rpcUrl) => checkAnchorOnChain(anchor, rpcUrl) });
