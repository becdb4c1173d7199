/**
 * A CommonJS package loaded when it is first needed instead of at start. Idle memory is a measured
 * target (`npm run bench:ceiling`), and packages that only some requests use (multipart parsing,
 * phone metadata, IPv6 subnets) cost memory from start-up to shutdown in a gateway that may never
 * see such a request. The load is synchronous, so callers stay synchronous; it happens once.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function loadOnFirstUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
