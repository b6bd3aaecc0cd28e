import { host, log } from './host.js'

/** Cache trouble is a warning unless the user opted into strict mode. */
export function reportFailure(e: unknown, strict: boolean): void {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`
  if (strict) host().fail(message)
  else log.warning(message)
}
