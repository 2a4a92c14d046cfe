// Prints the JSON Schema of the erasure report v1 (static/schemas/erasure-report-v1.json is this output;
// src/lib/server/proofs/format/format.spec.ts keeps the two equal):
//   npx tsx scripts/report-schema.ts > static/schemas/erasure-report-v1.json
import { reportJsonSchema } from '../src/lib/server/records/report';

process.stdout.write(JSON.stringify(reportJsonSchema(), null, '\t') + '\n');
