// Where the harness finds things: the repository root and the shared models (../shared/models).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/tools/bench -> repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SHARED_MODELS = process.env.EDGEPACK_SHARED_MODELS ?? join(REPO_ROOT, '..', 'shared', 'models');
