import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { host } from './host.js'

/**
 * The job directory: every file a job keeps from one of its processes to the next, named once.
 * It sits under the host's temp dir, which every process of one job shares: RUNNER_TEMP for the
 * action's steps, the state directory for the command-line tool's start, push and run, and the
 * starting process's temp dir for the background agent. Outside it the processes agree on nothing.
 */
export interface JobDir {
  root: string
  /** The job's cache budget (runtime/budget.ts). */
  budget: string
  /** A new name for a store snapshot: unique per use, as the action may appear more than once in a job. */
  newSnapshot(): string
  /** The 0600 netrc the job's Nix pulls with (pull/credentials.ts): one per job, however often the job is begun. */
  pullNetrc: string
  /** The plain-named link through which every Nix reads a file:// cache in `cacheDir` (pull/file-alias.ts). */
  fileCacheAlias(cacheDir: string): string
  /** The background agent's directory (`agentFiles`): one agent per cache in a job. */
  agent(cacheUrl: string): string
  /** The GitHub Actions cache's files (executors/gha/layout.ts). */
  gha: string
  /** The 0600 secret key the local substituter signs with for this job only (executors/gha/serving-key.ts). */
  substituterKey: string
}

const hash = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length)
const unique = (): string => randomBytes(6).toString('hex')

export function jobDir(tempDir: string = host().tempDir): JobDir {
  const root = join(tempDir, 'nix-buildtime-cache')
  return {
    root,
    budget: join(root, 'budget.json'),
    newSnapshot: () => join(root, `snapshot-${unique()}`),
    pullNetrc: join(root, 'netrc'),
    fileCacheAlias: (cacheDir) => join(root, `file-cache-${hash(cacheDir, 16)}`),
    agent: (cacheUrl) => join(root, `agent-${hash(cacheUrl, 12)}`),
    gha: join(root, 'gha'),
    substituterKey: join(root, 'substituter-key')
  }
}

/** The files of the agent's directory, through which the main step, the agent and the post step talk (agent/protocol.ts). */
export interface AgentFiles {
  log: string
  ready: string
  published: string
  /** `staged.jsonl`: NARs the agent uploaded without a narinfo (agent/protocol.ts `recordStaged`). */
  staged: string
  /** The job the files belong to (`AgentJob`): records of an earlier job never count for a later one. */
  job: string
  /** Why the agent ended on its own, in one line, for the post step to say. */
  ended: string
}

export function agentFiles(dir: string): AgentFiles {
  return {
    log: join(dir, 'agent.log'),
    ready: join(dir, 'ready.json'),
    published: join(dir, 'published.jsonl'),
    staged: join(dir, 'staged.jsonl'),
    job: join(dir, 'job.json'),
    ended: join(dir, 'ended.txt')
  }
}
