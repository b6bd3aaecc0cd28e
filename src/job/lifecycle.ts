import { host, log, setHost, type Host } from '../runtime/host.js'
import { InputError, readInputs, secretsOf, type Inputs, type RawInputs } from '../config/inputs.js'
import { abandonedWork, openJobBudget, saveJobBudget } from '../runtime/budget.js'
import { jobDir } from '../runtime/job-dir.js'
import { reportFailure } from '../runtime/failure.js'

/**
 * One life for every process of a job, whichever entry point starts it: the action's main and
 * post steps, the command-line tool, the background agent. The process opens its job with
 * `openJob` (its host, its inputs with their secrets masked, the job's budget); `runProcess`
 * says what it failed with, the way its kind says failures, and ends it once what it spent of
 * the job's budget is handed on to the job's other processes.
 */

export type ProcessKind = 'action-main' | 'action-post' | 'cli' | 'agent'

/** The inputs of the job this process opened: a failure's strictness is theirs. */
let opened: Inputs | undefined

/**
 * Installs `processHost` and reads the inputs through it, their secrets registered first: raw
 * inputs (the steps, the command-line tool) are parsed, and throw InputError when bad; the
 * agent's come parsed. The job's budget is then this process's. `newJob`: this process begins a
 * job (the command-line tool's start or run), so an earlier job's budget does not carry over.
 */
export function openJob(processHost: Host, inputs: RawInputs | Inputs, opts: { newJob?: boolean } = {}): Inputs {
  setHost(processHost)
  let parsed: Inputs
  if (typeof inputs === 'function') {
    parsed = readInputs(inputs)
  } else {
    for (const s of secretsOf(inputs)) processHost.setSecret(s)
    parsed = inputs
  }
  openJobBudget(jobDir().budget, opts)
  opened = parsed
  return parsed
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

interface Rules {
  /** Says what the process's body threw; returns the exit status, where the kind sets one. */
  failed(e: unknown): number | undefined
  /** Ends the process, its budget handed on. */
  end(status: number | undefined): void
}

const step = (failed: Rules['failed']): Rules => ({
  failed,
  end() {
    // A call abandoned while still running (the GitHub Actions cache library) would hold the step
    // open until the library gives up. Otherwise the step ends by itself, with the exit code its failure set.
    if (abandonedWork()) process.exit()
  }
})

const RULES: Record<ProcessKind, Rules> = {
  // A bad input is one ::error:: line, without a stack; trouble with the cache is the job's (strict or not).
  'action-main': step((e) => {
    if (opened) reportFailure(e, opened.strict)
    else host().fail(e instanceof InputError ? e.message : String(e))
    return undefined
  }),
  // A bad input: the main step has already failed with its error, and saying it twice helps nobody.
  'action-post': step((e) => {
    if (opened) reportFailure(e, opened.strict)
    return undefined
  }),
  cli: {
    // The command sorts out its own failures (cli/main.ts); this is the last resort.
    failed(e) {
      host().error(`nix-buildtime-cache: ${messageOf(e)}`)
      return 1
    },
    // Explicitly: an HTTP client's keep-alive sockets must not hold the command open. The empty
    // write's callback runs once what was written to stdout before it has been handed over.
    end: (status) => void process.stdout.write('', () => process.exit(status ?? 0))
  },
  agent: {
    // The job never fails because of the agent: the post step pushes whatever it did not.
    failed(e) {
      log.warning(`The background agent stopped: ${messageOf(e)}; the post step pushes the rest.`)
      return 0
    },
    end: () => process.exit(0)
  }
}

/** Runs the process's body, says what it failed with, hands on its budget, and ends it. `body` returns the exit status, where the kind has one. */
export async function runProcess(kind: ProcessKind, body: () => Promise<number | void>): Promise<void> {
  const rules = RULES[kind]
  let status: number | undefined
  try {
    status = (await body()) ?? undefined
  } catch (e) {
    status = rules.failed(e)
  }
  saveJobBudget()
  rules.end(status)
}
