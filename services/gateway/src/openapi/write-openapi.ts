// Regenerates services/gateway/openapi.json: `pnpm --filter @bottlenet/gateway run openapi`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatOpenApi, openApiDocument } from './openapi-document.js';

const target = fileURLToPath(new URL('../../openapi.json', import.meta.url));
writeFileSync(target, formatOpenApi(await openApiDocument()));
process.stdout.write(`wrote ${target}\n`);
