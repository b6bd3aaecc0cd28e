// The GitHub Actions cache's local substituter is trusted by signature, never by URL: on a machine
// several runners share, anything else answering on the announced port must get its paths refused.
// The bundled action as the runner runs it, its agent, the real @actions/cache client against the
// local cache service, and real Nix building from a fresh chroot store.
import { describe, expect, it } from '@jest/globals'
import { createReadStream } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { useGhaCache } from '../../helpers/gha-jobs.js'
import { builtDerivations, createTestStore, removeTree, substitutedPaths, type TestStore } from '../../helpers/nix-store.js'
import { freePort, httpRequest } from '../../helpers/ports.js'
import { agentPid, startJob, warningLines, type Job } from '../../helpers/runner.js'
import { isApp, useGraphWorld } from '../../helpers/scenario.js'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { sleep } from '../../helpers/fixtures.js'

const world = useGraphWorld('e2e-gha-trust-')
const gha = useGhaCache(world)

/** A job's main step with the on-demand substituter on `port`, in a fresh store and RUNNER_TEMP. */
async function onDemandJob(port: number): Promise<{ job: Job; store: TestStore; runnerTemp: string; nixFile: string }> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  const runnerTemp = join(store.root, 'runner-temp')
  await mkdir(runnerTemp, { recursive: true })
  const job = await startJob({
    env: { ...store.env, ...gha.server.env(), RUNNER_TEMP: runnerTemp },
    inputs: { cache: 'github-actions', 'secret-key': '', 'skip-signed-by': UPSTREAM_KEY_NAME, 'substituter-port': String(port) }
  })
  if (job.main?.code !== 0) throw new Error(`main failed:\n${job.main?.stdout}`)
  return { job, store, runnerTemp, nixFile: await writeGraph(store.root, 'v1') }
}

/** A plain static binary cache on 127.0.0.1:`port`, counting the narinfos asked for. */
async function staticCache(dir: string, port: number): Promise<{ server: Server; narinfos: () => number }> {
  let narinfos = 0
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path.endsWith('.narinfo')) narinfos++
    const file = join(dir, path)
    stat(file).then(
      (s) => {
        res.writeHead(200, { 'Content-Length': s.size })
        if (req.method === 'HEAD') res.end()
        else createReadStream(file).pipe(res)
      },
      () => res.writeHead(404).end()
    )
  })
  // The port is free only once the killed agent's socket is gone.
  for (let i = 0; ; i++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => resolve())
      })
      break
    } catch (e) {
      if (i > 50) throw e
      await sleep(100)
    }
  }
  return { server, narinfos: () => narinfos }
}

describe('the local substituter of the GitHub Actions cache', () => {
  it('holds the announced port when the main step returns, and signs with a job key kept 0600 that the post step removes', async () => {
    const port = await freePort()
    const { job, store, runnerTemp } = await onDemandJob(port)
    try {
      expect(job.main?.stdout).toContain(`Later steps substitute from http://127.0.0.1:${port} (trusting nix-buildtime-cache-job-`)
      // No wait: the agent answered before the main step announced the URL.
      const info = await httpRequest(`http://127.0.0.1:${port}/nix-cache-info`)
      expect(info.status).toBe(200)
      const keyFile = join(runnerTemp, 'nix-buildtime-cache', 'substituter-key')
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600)
      const post = await job.post()
      expect(post.code).toBe(0)
      expect(warningLines(post.stdout)).toEqual([])
      await expect(stat(keyFile)).rejects.toThrow(/ENOENT/)
    } finally {
      await job.cleanup()
      await store.cleanup()
    }
  })

  it('a server on the announced port that is not ours gets its paths refused by Nix', async () => {
    // The foreign server: a complete, consistent, unsigned binary cache of the very paths the
    // job builds (as anyone on the machine could make); with `?trusted=1` Nix took them all.
    const builder = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const foreignDir = join(world.dir, 'foreign-cache')
    const built = await builder.build(await writeGraph(builder.root, 'v1'), 'job')
    await builder.runOk('nix', ['copy', '--to', `file://${foreignDir}?compression=none`, ...built.outPaths])
    await builder.cleanup()

    const port = await freePort()
    const { job, store, nixFile } = await onDemandJob(port)
    let foreign: Awaited<ReturnType<typeof staticCache>> | undefined
    try {
      expect(job.main?.env['NIX_CONFIG']).toContain(`extra-substituters = http://127.0.0.1:${port}`)
      // Our agent goes, and something else takes its port for the rest of the job.
      process.kill(agentPid(job)!, 'SIGKILL')
      foreign = await staticCache(foreignDir, port)
      const build = await job.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
      expect(build.code).toBe(0)
      // Nix asked the foreign server, and took nothing from it: it built the job's paths itself.
      expect(foreign.narinfos()).toBeGreaterThan(0)
      expect(substitutedPaths(build.stderr).filter((p) => p.from.includes(`127.0.0.1:${port}`))).toEqual([])
      expect(builtDerivations(build.stderr).some(isApp)).toBe(true)
    } finally {
      foreign?.server.close()
      foreign?.server.closeAllConnections()
      await job.cleanup()
      await store.cleanup()
      await removeTree(foreignDir)
    }
  })
})
