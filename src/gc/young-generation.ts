import { setFlagsFromString } from 'node:v8'

/**
 * Keeps V8's young generation from growing while the GC reads a large cache.
 *
 * Reading 100,000 narinfos builds maps that live to the end, so most of what each scavenge
 * sees survives, and V8 answers by doubling the young generation up to its maximum (2 x 64 MiB
 * semi-spaces on Node 24): 128 MiB of the 336 MiB peak, for objects that end up in the old
 * generation anyway. The maximum is fixed when Node starts (`--max-semi-space-size`), and the CLI
 * is started as `node dist/cli.js` by users and by the action; but the growth factor is read each
 * time V8 grows the space, so setting it to 1 here stops the growth. Measured on a
 * 100,000-narinfo file:// cache: peak RSS 333 -> 241 MiB, same time (docs/BENCHMARKS.md).
 *
 * Node documents changing V8 flags after start-up as allowed but unchecked; this one only changes
 * how much memory the scavenger may take. The process runs one collection and exits (CLI `gc`,
 * the action's `gc` mode), so the flag is left set. NODE_OPTIONS or a command-line flag that sets
 * the growth factor wins.
 */
export function boundYoungGeneration(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => /semi[-_]space[-_]growth[-_]factor/.test(a))
  if (!given) setFlagsFromString('--semi-space-growth-factor=1')
}
