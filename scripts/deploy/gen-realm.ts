// `npm run gen:realm`: writes the Keycloak realm export from the dev realm's definition (see realm.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realmJson } from './realm';

const file = join(import.meta.dirname, '../../deploy/keycloak/wipecert-realm.json');
writeFileSync(file, realmJson());
process.stdout.write(`wrote ${file}\n`);
