import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { withSignatures } from '../../format/narinfo-signature.js'
import type { SigningKey } from '../../format/signing.js'
import { limiter } from '../../runtime/limiter.js'

/**
 * The eagerly restored cache as Nix reads it (file://): the narinfos of `binaryCache` signed with
 * the job's serving keys, next to them, with the NARs reached through a link. The merged cache
 * itself keeps only the cache's own signatures, because the post step copies its narinfos into
 * the next layer, where a key that dies with the job has no business.
 */
export async function writeSignedView(binaryCache: string, view: string, keys: readonly SigningKey[], storeDir: string): Promise<void> {
  await rm(view, { recursive: true, force: true })
  await mkdir(view, { recursive: true })
  await copyFile(join(binaryCache, 'nix-cache-info'), join(view, 'nix-cache-info'))
  await symlink(join(binaryCache, 'nar'), join(view, 'nar'))
  const limit = limiter(16)
  const names = (await readdir(binaryCache)).filter((n) => n.endsWith('.narinfo'))
  await Promise.all(
    names.map((name) =>
      limit(async () => {
        const text = await readFile(join(binaryCache, name), 'utf8')
        await writeFile(join(view, name), withSignatures(text, storeDir, keys))
      })
    )
  )
}
