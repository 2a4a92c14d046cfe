#!/usr/bin/env node
// `npm start`: builds when build/ is missing or older than the sources, then
// serves the production build. build/index.js is src/entries/web.ts: adapter-node's
// server with WipeCert's defaults (HOST 127.0.0.1, BODY_SIZE_LIMIT Infinity, ORIGIN
// honoured at run time) and embedded defaults for everything else.
import './ensure-build.mjs';

await import('../build/index.js');
