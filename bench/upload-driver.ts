// Runs the action's push path (src/job/push.ts pushToCache: prepare the cache, skip what it has,
// compress, hash, sign and upload) on given store paths, in its own Node 24 process, and writes
// timings to a JSON file. The upload benchmark uses it to time the pipeline on large NARs
// without the main step's snapshot and the post step's selection around it.
//
//   node upload-driver.mjs <args.json>   args: DriverArgs; the environment selects the Nix store
import { readFile, writeFile } from 'node:fs/promises'
import { parseInputs } from '../src/config/inputs.js'
import { locateStore } from '../src/nix/store-location.js'
import { queryPathInfos } from '../src/nix/query-path-info.js'
import { pushToCache } from '../src/job/push.js'

export interface DriverArgs {
  cache: string
  secretKey: string
  paths: string[]
  /** Action inputs such as compression or parallelism; defaults as in action.yml. */
  inputs?: Record<string, string>
  out: string
}

export interface DriverResult {
  /** Whole push, from locating the store to the last narinfo written. */
  seconds: number
  /** Only the upload (pushToCache), after path info is known. */
  uploadSeconds: number
  pushed: number
  failed: string[]
  narBytes: number
  fileBytes: number
}

const args = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as DriverArgs
const t0 = performance.now()
const values: Record<string, string> = { cache: args.cache, 'secret-key': args.secretKey, ...args.inputs }
const inputs = parseInputs((name) => values[name] ?? '')
const store = await locateStore()
const infos = await queryPathInfos(args.paths, store.storeDir)
const t1 = performance.now()
const { outcome } = await pushToCache({ inputs, store, facts: { newPaths: args.paths, closure: new Set(args.paths), infos }, published: [] })
const t2 = performance.now()
const result: DriverResult = {
  seconds: (t2 - t0) / 1000,
  uploadSeconds: (t2 - t1) / 1000,
  pushed: outcome.pushed.length,
  failed: outcome.failed.map((f) => `${f.path}: ${f.reason}`),
  narBytes: outcome.pushed.reduce((a, p) => a + p.narSize, 0),
  fileBytes: outcome.pushed.reduce((a, p) => a + p.fileSize, 0)
}
await writeFile(args.out, JSON.stringify(result))
