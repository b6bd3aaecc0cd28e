import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { entryPath, inEntryDir } from '../../../../src/executors/gha/entry-paths.js'
import { sleep } from '../../../helpers/fixtures.js'

let dir: string
beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'entry-paths-')))
  for (const d of ['a', 'b']) await mkdir(join(dir, d))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('the paths @actions/cache is given', () => {
  it('name an entry by its name alone, whatever directory the runner keeps it in', () => {
    expect(entryPath('/home/runner/work/_temp/nix-buildtime-cache/gha/layer-3')).toEqual({ name: 'layer-3', dir: '/home/runner/work/_temp/nix-buildtime-cache/gha' })
    expect(entryPath('/srv/r2/tmp/nix-buildtime-cache/gha/layer-3').name).toBe(entryPath('/home/runner/work/_temp/nix-buildtime-cache/gha/layer-3').name)
  })

  it('run each call with the cwd and GITHUB_WORKSPACE at the entry, and put both back afterwards', async () => {
    const cwd = process.cwd()
    const workspace = process.env.GITHUB_WORKSPACE
    const seen = await inEntryDir(join(dir, 'a'), async () => ({ cwd: process.cwd(), workspace: process.env.GITHUB_WORKSPACE }))
    expect(seen).toEqual({ cwd: join(dir, 'a'), workspace: join(dir, 'a') })
    expect(process.cwd()).toBe(cwd)
    expect(process.env.GITHUB_WORKSPACE).toBe(workspace)
  })

  it('let calls in one directory overlap, and make a call in another wait until they have ended', async () => {
    const order: string[] = []
    const inA = (name: string, ms: number): Promise<void> =>
      inEntryDir(join(dir, 'a'), async () => {
        order.push(`${name} start in ${process.cwd()}`)
        await sleep(ms)
        order.push(`${name} end in ${process.cwd()}`)
      })
    const a1 = inA('a1', 50)
    const a2 = inA('a2', 20)
    const b = inEntryDir(join(dir, 'b'), async () => {
      order.push(`b in ${process.cwd()}`)
    })
    await Promise.all([a1, a2, b])
    expect(order).toEqual([
      `a1 start in ${join(dir, 'a')}`,
      `a2 start in ${join(dir, 'a')}`,
      `a2 end in ${join(dir, 'a')}`,
      `a1 end in ${join(dir, 'a')}`,
      `b in ${join(dir, 'b')}`
    ])
  })
})
