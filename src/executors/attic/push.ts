import { basename, join } from 'node:path'
import { narStream } from '../../format/nar.js'
import type { PathInfo } from '../../format/path-info.js'
import { hashPart } from '../../format/store-path.js'
import { limiter } from '../../runtime/limiter.js'
import { CacheUnavailableError } from '../../runtime/budget.js'
import { emptyOutcome, type Pushed, type UploadOutcome } from '../../plan/result.js'
import { AtticRefused, refusalMessage, type AtticApi, type AtticUploadInfo } from './api.js'

export interface AtticPushOptions {
  /** Told of each path as soon as it is published (the agent records it at once: it may be killed). */
  onPushed?: (pushed: Pushed) => void
  api: AtticApi
  parallelism: number
  /** Where the store's files are on disk (a chroot store's real directory). */
  realStoreDir: string
}

/** The upload info `attic push` sends for a path (client/src/push.rs, upload_path). */
export function uploadInfo(info: PathInfo, cacheName: string): AtticUploadInfo {
  return {
    cache: cacheName,
    store_path_hash: hashPart(info.path),
    store_path: info.path,
    references: info.references.map((r) => basename(r)),
    // The Attic client sends neither (client/src/push.rs): the server does not use them.
    system: null,
    deriver: null,
    sigs: info.signatures,
    ca: info.ca ?? null,
    nar_hash: info.narHash,
    nar_size: info.narSize
  }
}

/**
 * Pushes exactly `infos` to the Attic cache: one upload per path, references before referrers.
 * An upload publishes (the server serves a path as soon as it has it), so a path whose reference
 * in the list failed is not uploaded: the cache never holds a path whose references it lacks.
 */
export async function pushToAttic(infos: readonly PathInfo[], opts: AtticPushOptions): Promise<UploadOutcome> {
  const outcome = emptyOutcome()
  const byPath = new Map(infos.map((i) => [i.path, i]))
  const limit = limiter(opts.parallelism)
  const done = new Map<string, Promise<boolean>>()
  let refused: string | undefined

  const push = (info: PathInfo): Promise<boolean> => {
    const existing = done.get(info.path)
    if (existing) return existing
    const task = (async (): Promise<boolean> => {
      const deps = info.references.filter((r) => r !== info.path && byPath.has(r))
      const results = await Promise.all(deps.map((d) => push(byPath.get(d)!)))
      const failedDep = deps.find((_, i) => !results[i])
      if (failedDep !== undefined) {
        outcome.failed.push({ path: info.path, reason: `not uploaded: its reference ${failedDep} was not` })
        return false
      }
      return limit(async () => {
        if (refused !== undefined) {
          outcome.failed.push({ path: info.path, reason: `not tried: ${refused}` })
          return false
        }
        try {
          await opts.api.uploadPath(uploadInfo(info, opts.api.cacheName), () => narStream(join(opts.realStoreDir, basename(info.path))))
          const pushed = { path: info.path, narSize: info.narSize, fileSize: info.narSize }
          outcome.pushed.push(pushed)
          opts.onPushed?.(pushed)
          return true
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e)
          if (e instanceof AtticRefused && refused === undefined) {
            refused = `the Attic server refused the auth-token (${message})`
            // Every later upload would be refused too: the job says this once.
            outcome.stoppedBy = refusalMessage(e, opts.api.cacheName)
          } else if (e instanceof CacheUnavailableError && refused === undefined) refused = e.message
          outcome.failed.push({ path: info.path, reason: message })
          return false
        }
      })
    })()
    done.set(info.path, task)
    return task
  }
  await Promise.all(infos.map(push))
  return outcome
}
