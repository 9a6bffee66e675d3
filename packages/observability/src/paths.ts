import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from src/ or dist/ of this package alike. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards');
export const PROMETHEUS_DIR = join(REPO_ROOT, 'deploy', 'prometheus');
export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
