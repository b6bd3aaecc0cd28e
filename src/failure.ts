import * as core from '@actions/core'

/** Cache trouble is a warning unless the user opted into strict mode. */
export function reportFailure(e: unknown, strict: boolean): void {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`
  if (strict) core.setFailed(message)
  else core.warning(message)
}
