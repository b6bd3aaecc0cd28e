import { basename, join } from 'node:path'
import { narStream } from '../../format/nar.js'
import type { PathInfo } from '../../format/path-info.js'
import { hashPart } from '../../format/store-path.js'
import { CacheUnavailableError } from '../../runtime/budget.js'
import type { Pushed, UploadOutcome } from '../../plan/result.js'
import { pushInReferenceOrder } from '../server-push.js'
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
 * Pushes exactly `infos` to the Attic cache: one upload per path, references before referrers
 * (an upload publishes: the server serves a path as soon as it has it). The server compresses, so
 * the NAR streams straight from the store and the file size counted is the NAR's.
 */
export function pushToAttic(infos: readonly PathInfo[], opts: AtticPushOptions): Promise<UploadOutcome> {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: async (info) => {
      await opts.api.uploadPath(uploadInfo(info, opts.api.cacheName), () => narStream(join(opts.realStoreDir, basename(info.path))))
      return info.narSize
    },
    stopsOn: (e, message) => {
      // Every later upload would be refused too: the job says this once.
      if (e instanceof AtticRefused) return { notTried: `the Attic server refused the auth-token (${message})`, stoppedBy: refusalMessage(e, opts.api.cacheName) }
      if (e instanceof CacheUnavailableError) return { notTried: message }
      return undefined
    }
  })
}
