import { loadConfig } from '../config.js';
import { openRuntime, type Runtime } from '../runtime.js';

/** Opens the configured database (migrated), runs `work`, and always closes it. */
export async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(loadConfig());
  try {
    return await work(runtime);
  } finally {
    await runtime.handle.close();
  }
}
