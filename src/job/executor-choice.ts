import type { CacheTarget, Inputs } from '../config/inputs.js'
import type { AgentDestination } from '../agent/protocol.js'
import type { BinaryCacheTarget } from '../executors/index.js'
import type { PushMode } from '../plan/result.js'

/**
 * The one place that decides, from the inputs and the environment, how this job writes to its
 * cache: which executor, in which mode (with the sentence the user is shown), and what the
 * background agent does. Pure, except `githubActionsConditions`, which reads the runner's
 * environment.
 */

type NixCopyTarget = Extract<CacheTarget, { kind: 'nix-copy' }>
export type AtticTarget = Extract<CacheTarget, { kind: 'attic' }>
export type CachixTarget = Extract<CacheTarget, { kind: 'cachix' }>
export type Niks3Target = Extract<CacheTarget, { kind: 'niks3' }>

export type ExecutorTarget =
  /** file://, http(s)://, s3://: our own binary-cache writer. */
  | { executor: 'binary-cache'; cache: BinaryCacheTarget }
  /** Any other Nix store. */
  | { executor: 'nix-copy'; cache: NixCopyTarget }
  /** The repository's GitHub Actions cache: a layer and a manifest, saved by the post step. */
  | { executor: 'github-actions' }
  /** An Attic server, through its own API: it compresses and signs (executors/attic/). */
  | { executor: 'attic'; cache: AtticTarget }
  /** A Cachix cache, through its API: the multipart NAR upload (executors/cachix/). */
  | { executor: 'cachix'; cache: CachixTarget }
  /** A niks3 server: pending closures, presigned uploads, server-side signatures (executors/niks3/). */
  | { executor: 'niks3'; cache: Niks3Target }

export function executorFor(cache: CacheTarget): ExecutorTarget {
  if (cache.kind === 'github-actions') return { executor: 'github-actions' }
  if (cache.kind === 'nix-copy') return { executor: 'nix-copy', cache }
  if (cache.kind === 'attic') return { executor: 'attic', cache }
  if (cache.kind === 'cachix') return { executor: 'cachix', cache }
  if (cache.kind === 'niks3') return { executor: 'niks3', cache }
  return { executor: 'binary-cache', cache }
}

/** A line for the job's log, said where the mode takes effect. */
export interface Announcement {
  level: 'info' | 'notice' | 'warning'
  message: string
}

export type PushChoice = ExecutorTarget & {
  mode: PushMode
  /** For the summary: why nothing was (or will be) saved. */
  note?: string
  announce?: Announcement
}

/** What the GitHub Actions cache service allows this job: the main step's findings and the runner's environment. */
export interface GhaConditions {
  /** Why the service refused the main step, which has said so already (its restored state). */
  refused?: string
  /** Whether the agent restored on demand: its log is not read by users, so a refusal is said again. */
  onDemand?: boolean
  /** ACTIONS_CACHE_MODE, as the cache library reads it. */
  cacheMode: { mode: string; writable: boolean }
  /** Why the service cannot be used at all in this job (no runtime token, no service URL). */
  unavailable?: string
}

/** The cache servers that sign for themselves: their token is what lets a job push. */
const SERVER_NAMES: Partial<Record<ExecutorTarget['executor'], string>> = { attic: 'Attic', cachix: 'Cachix', niks3: 'niks3' }

export type PushInputs = Pick<Inputs, 'cache' | 'dryRun' | 'secretKey' | 'authToken'>

/** The executor and the mode of the post step. `gha` is required for the GitHub Actions cache. */
export function choosePush(inputs: PushInputs, gha?: GhaConditions): PushChoice {
  const target = executorFor(inputs.cache)
  if (target.executor === 'github-actions') {
    if (!gha) throw new Error('the GitHub Actions cache needs its conditions to choose a mode')
    return { ...target, ...githubActionsMode(inputs, gha) }
  }
  if (inputs.dryRun) return { ...target, mode: 'dry-run' }
  // The server signs: its token, not a signing key, is what lets a job push.
  if (target.executor in SERVER_NAMES && !inputs.authToken) {
    const note = `No auth-token: this job only pulls from the ${SERVER_NAMES[target.executor]} cache (as on pull requests from forks). Nothing was uploaded.`
    return { ...target, mode: 'pull-only', note, announce: { level: 'notice', message: note } }
  }
  // `nix copy` pushes unsigned too: the destination decides what it accepts.
  if (target.executor === 'binary-cache' && !inputs.secretKey) {
    const note = 'No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.'
    return { ...target, mode: 'pull-only', note, announce: { level: 'notice', message: note } }
  }
  return { ...target, mode: 'push' }
}

function githubActionsMode(inputs: PushInputs, gha: GhaConditions): Omit<PushChoice, keyof ExecutorTarget> {
  if (gha.refused !== undefined) {
    const note = `The GitHub Actions cache was not usable in this job (${gha.refused}); nothing was saved.`
    // Otherwise the main step has already said why, once.
    const announce: Announcement | undefined = gha.onDemand
      ? { level: 'warning', message: `The GitHub Actions cache refused this job (${gha.refused}): nothing was saved.` }
      : undefined
    return { mode: 'pull-only', note, announce }
  }
  if (inputs.dryRun) return { mode: 'dry-run' }
  if (!gha.cacheMode.writable) {
    const note = `ACTIONS_CACHE_MODE=${gha.cacheMode.mode} does not permit writes; nothing was saved.`
    return { mode: 'pull-only', note, announce: { level: 'info', message: note } }
  }
  if (gha.unavailable) {
    return {
      mode: 'pull-only',
      note: `The GitHub Actions cache is not available (${gha.unavailable}); nothing was saved.`,
      announce: { level: 'warning', message: `The GitHub Actions cache is not available: ${gha.unavailable}. Nothing was saved.` }
    }
  }
  return { mode: 'push' }
}

/**
 * The service's conditions from the runner's environment and the main step's restore. The cache
 * client loads only here, for this cache: it is most of the bundle's start-up time.
 */
export async function githubActionsConditions(restored: { refused?: string; onDemand?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<GhaConditions> {
  const { cacheMode, unavailableReason } = await import('../executors/gha/client.js')
  return { refused: restored.refused, onDemand: restored.onDemand, cacheMode: cacheMode(env), unavailable: unavailableReason(env) }
}

export type AgentRole =
  | AgentDestination
  /** `tell`: the user asked for publishing during the build, so the job says why it does not. */
  | { role: 'skip'; reason: string; tell: boolean }

/** What the background agent does for these inputs: publish, prepare the GitHub Actions layer, or not run. */
export function agentRole(inputs: Pick<Inputs, 'cache' | 'pushDuringBuild' | 'dryRun' | 'secretKey' | 'installables' | 'compression' | 'authToken'>): AgentRole {
  const skip = (reason: string): AgentRole => ({ role: 'skip', reason, tell: inputs.pushDuringBuild && !inputs.dryRun })
  if (!inputs.pushDuringBuild) return skip('push-during-build is false')
  if (inputs.dryRun) return skip('dry-run')
  const target = executorFor(inputs.cache)
  if (target.executor === 'nix-copy') return skip('`nix copy` stores are pushed in the post step')
  if (target.executor === 'attic' || target.executor === 'cachix' || target.executor === 'niks3') {
    if (!inputs.authToken) return skip('no auth-token (pull only)')
    // With `installables`, only their build closure goes up, as the agent comes to know their
    // roots; a server's upload publishes, so nothing goes up before that (agent/publisher.ts).
    return { role: 'publish-server', cache: target.cache }
  }
  // The post step packs the layer from the agent's files; nothing is visible to anyone before that.
  if (target.executor === 'github-actions') return { role: 'prepare' }
  if (!inputs.secretKey) return skip('no secret-key (pull only)')
  // With `installables`, the agent publishes only their build closure, as it comes to know their
  // roots (agent/roots.ts).
  return { role: 'publish', cache: target.cache, compression: inputs.compression }
}

/**
 * Whether the job's Nix pulls the cache through the agent's front (agent/front.ts), with bounded
 * waits (issue 20): an HTTP(S) binary cache or an S3 bucket (which Nix then reads as plain HTTP,
 * also where it has no S3 support), with pulling on. The agent then runs for the front
 * even where it publishes nothing. Whether the daemon lets Nix use the loopback URL is settled
 * later (pull/configure.ts): where it does not, Nix pulls from the cache directly, as before.
 */
export function pullFront(inputs: Pick<Inputs, 'cache' | 'pull'>): { url: string } | undefined {
  if (!inputs.pull || (inputs.cache.kind !== 'http' && inputs.cache.kind !== 's3')) return undefined
  return { url: inputs.cache.url }
}
