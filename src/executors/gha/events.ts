import { readFileSync } from 'node:fs'

/**
 * Whether this run is a scheduled or manually dispatched run on the default branch: the runs
 * whose entries every branch and pull request can read, so the right moment to compact.
 */
export function isMaintenanceRun(env: NodeJS.ProcessEnv = process.env): boolean {
  const event = env.GITHUB_EVENT_NAME
  if (event !== 'schedule' && event !== 'workflow_dispatch') return false
  const defaultBranch = readDefaultBranch(env.GITHUB_EVENT_PATH)
  // Scheduled runs always run on the default branch, and their payload may not name it.
  if (defaultBranch === undefined) return event === 'schedule'
  return env.GITHUB_REF === `refs/heads/${defaultBranch}`
}

function readDefaultBranch(eventPath: string | undefined): string | undefined {
  if (!eventPath) return undefined
  try {
    const payload = JSON.parse(readFileSync(eventPath, 'utf8')) as { repository?: { default_branch?: unknown } }
    const branch = payload.repository?.default_branch
    return typeof branch === 'string' && branch !== '' ? branch : undefined
  } catch {
    return undefined
  }
}
