/**
 * What the benchmarks borrow from the app's TypeScript, bundled by bench/lib.mjs
 * (Vite, SSR build) into bench/out/support.js at the start of a run: the RFC 9421
 * request signer agents use, and the scripted dev-realm sign-in of the tests.
 */
export { signRequest } from '#lib/server/agents/http-signature';
export { signInToApp } from '../tests/oidc-browser';
