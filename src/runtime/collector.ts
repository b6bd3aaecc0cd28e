import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * V8's full collection, for a process that must stay small and cannot be started with
 * --expose-gc (the action's post step, which the runner starts): the flag set at run time makes
 * `gc` visible in contexts created after it. Undefined where the engine refuses.
 *
 * Why: V8 starts a collection for external memory (Buffers) only once 64 MiB of it has piled
 * up, and a push leaves that much garbage in compressor output buffers within a second.
 */
export function fullCollector(): (() => void) | undefined {
  const visible = (globalThis as { gc?: () => void }).gc
  if (visible) return visible
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as unknown
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  }
}
