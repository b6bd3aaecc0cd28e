import type { Inputs } from '../config/inputs.js'
import { queryPathInfos } from '../nix/query-path-info.js'
import type { Held, PlanIO } from './planner.js'
import type { SelectionPolicy } from './selection.js'

/**
 * What the planner is given in a real job, by the post step and the agent alike: the policy from
 * the inputs, and the store's answers from its database (the destination's come from its executor).
 */

export function policyOf(inputs: Pick<Inputs, 'includeDerivations' | 'pushPreExisting' | 'skipSignedBy' | 'exclude'>): SelectionPolicy {
  return {
    includeDerivations: inputs.includeDerivations,
    includePreExisting: inputs.pushPreExisting,
    skipSignedBy: inputs.skipSignedBy,
    exclude: inputs.exclude
  }
}

export function planIO(storeDir: string, held: Held): PlanIO {
  return { describe: (paths) => queryPathInfos(paths, storeDir), held }
}
