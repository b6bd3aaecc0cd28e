// A store path nested deeper than Nix 2.34 allows (a node 64 levels below its root): an older Nix
// builds it, current Nix can neither build nor substitute it. The action leaves it and everything
// that references it out of the cache, says so once, and pushes the rest.
import { describe, expect, it } from '@jest/globals'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTestStore, installedNixMinor } from '../../helpers/nix-store.js'
import { startJob, warningLines } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-deep-nar-')

/** `deep`: 70 directories below its root; `user` references it, `all` references user and `shallow`. */
const DEEP_GRAPH = `
let
  sh = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; };
  deep = sh "deep" ''
    p=$out; i=0
    while [ $i -lt 70 ]; do p=$p/d; i=$((i + 1)); done
    /bin/busybox mkdir -p $p
    echo x > $p/f
  '';
  user = sh "user" "echo \${deep} > $out";
  shallow = sh "shallow" "echo shallow > $out";
in { inherit deep user shallow; all = sh "all" "echo \${user} \${shallow} > $out"; }
`

describe('a path nested deeper than 64 levels', () => {
  it('is not pushed, nor what references it; one warning, the summary says why, strict stays green, the rest is pushed', async () => {
    const store = await createTestStore()
    const cacheDir = join(world.dir, 'cache')
    const nixFile = join(store.root, 'deep.nix')
    await writeFile(nixFile, DEEP_GRAPH)
    const job = await startJob({ env: store.env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, strict: 'true' } })
    try {
      const build = await job.exec('nix-build', [nixFile, '-A', 'all', '--no-out-link'])
      if (installedNixMinor() >= 34) {
        // Current Nix refuses to make such a path at all, so there is nothing to push.
        expect(build.code).not.toBe(0)
        expect(build.stderr).toContain('exceeds maximum NAR directory depth of 64')
        return
      }
      expect(build.code).toBe(0)
      const post = await job.post()
      expect(post.code).toBe(0)
      const warnings = warningLines(post.stdout)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/3 path\(s\) not pushed: nested deeper than 64 directory levels, or referencing such a path/)
      const paths = Object.fromEntries(
        await Promise.all(
          ['deep', 'user', 'shallow', 'all'].map(async (a) => [a, (await store.runOk('nix-instantiate', ['--eval', '-E', `(import ${nixFile}).${a}.outPath`])).stdout.trim().replace(/"/g, '')] as const)
        )
      )
      expect(post.summary).toContain('Not pushed: too deep for current Nix (3)')
      expect(post.summary).toContain(`${paths.deep}: nested deeper than 64 levels`)
      expect(post.summary).toContain(`${paths.user}: references ${paths.deep}, which is not pushed`)
      expect(post.summary).toContain(`${paths.all}: references ${paths.user}, which is not pushed`)
      const hash = (p: string): string => p.slice('/nix/store/'.length, '/nix/store/'.length + 32)
      const narinfos = (await readdir(cacheDir)).filter((f) => f.endsWith('.narinfo'))
      expect(narinfos).toContain(`${hash(paths.shallow!)}.narinfo`)
      for (const left of [paths.deep!, paths.user!, paths.all!]) expect(narinfos).not.toContain(`${hash(left)}.narinfo`)
    } finally {
      await job.cleanup()
      await store.cleanup()
    }
  })
})
