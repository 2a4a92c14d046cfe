#!/usr/bin/env node
// `npm start`: builds when build/ is missing or older than the sources, then
// serves the production build (adapter-node) with embedded defaults.
import './ensure-build.mjs';

process.env.HOST ??= '127.0.0.1';
// Each route enforces its own body limit (413 in the error envelope); see BODY_SIZE_LIMIT in .env.example.
process.env.BODY_SIZE_LIMIT ??= 'Infinity';
await import('../build/index.js');
