// Self-hosted runners do not share one RUNNER_TEMP, HOME or workspace: an entry of the GitHub
// Actions cache saved on one runner must still be found on another laid out elsewhere. The
// bundled action as the runner runs it, the real @actions/cache client (whose entry versions hash
// the paths it is given, and whose archives are relative to the workspace) against the local cache
// service, and real Nix in a fresh chroot store per job.
import { describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { useGhaCache, type GhaRun } from '../../helpers/gha-jobs.js'
import { useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-gha-runners-')
const gha = useGhaCache(world)

/** Another runner on the machine: its own temp dir, home and workspace, at other depths. */
async function otherRunner(name: string): Promise<NodeJS.ProcessEnv> {
  const root = join(world.dir, name)
  const env = {
    RUNNER_TEMP: join(root, 'runner', '_work', '_temp'),
    HOME: join(root, 'home', name),
    GITHUB_WORKSPACE: join(root, 'runner', 'deeper', '_work', 'repo', 'repo')
  }
  for (const dir of Object.values(env)) await mkdir(dir, { recursive: true })
  return env
}

const layerDownloads = (run: GhaRun): number => run.requests.filter((r) => r.method === 'DOWNLOAD' && r.key?.includes('-layer-')).length

describe('one GitHub Actions cache across runners laid out differently', () => {
  it('a runner with another RUNNER_TEMP, HOME and workspace finds, on demand, what the first saved, and builds nothing', async () => {
    const first = await gha.jobs.run({ variant: 'v1' })
    expect(first.created).toHaveLength(2)
    const second = await gha.jobs.run({ variant: 'v1', env: await otherRunner('runner-2') })
    expect(second.warnings).toEqual([])
    expect(layerDownloads(second)).toBeGreaterThan(0)
    expect(second.built).toEqual([])
    expect(second.pushed).toEqual([])
    expect(second.created).toEqual([])
  })

  it('so does a third runner restoring eagerly, and what it saves is found back on the first layout', async () => {
    const third = await gha.jobs.run({ variant: 'v2', env: await otherRunner('runner-3'), inputs: { 'push-during-build': 'false' } })
    expect(third.warnings).toEqual([])
    expect(third.main.stdout).toMatch(/Restored 1 of 1 cache layer\(s\)/)
    // Only the changed top-level package.
    expect(third.built).toHaveLength(1)
    expect(third.created).toHaveLength(2)
    const back = await gha.jobs.run({ variant: 'v2' })
    expect(back.warnings).toEqual([])
    expect(back.built).toEqual([])
    expect(back.created).toEqual([])
  })
})
