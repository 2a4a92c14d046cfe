#!/usr/bin/env node
// Entries that later issues deliver. They refuse plainly instead of pretending to work.
const issues = { bench: '#8', 'agent-sim': '#5', verify: '#6', signer: '#5' };
const name = process.argv[2];
process.stderr.write(`wipecert ${name}: not part of this build yet (arrives with issue ${issues[name] ?? '?'}).\n`);
process.exit(2);
