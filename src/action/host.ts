import * as core from '@actions/core'
import { tmpdir } from 'node:os'
import type { Host } from '../runtime/host.js'

/** The runner's workflow commands and file commands, through the toolkit. */
export const githubHost: Host = {
  tempDir: process.env.RUNNER_TEMP || tmpdir(),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  notice: (m) => core.notice(m),
  debug: (m) => core.debug(m),
  setSecret: (v) => core.setSecret(v),
  exportVariable: (n, v) => core.exportVariable(n, v),
  setOutput: (n, v) => core.setOutput(n, v),
  saveState: (n, v) => core.saveState(n, v),
  getState: (n) => core.getState(n),
  async writeSummary(markdown) {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write()
    else core.info(markdown)
  },
  fail: (m) => core.setFailed(m),
  startGroup: (name) => core.startGroup(name),
  endGroup: () => core.endGroup()
}

/** The step's input, as the runner passes it (`INPUT_<NAME>`). */
export const actionInput = (name: string): string => core.getInput(name)
