/** POSIX single quotes: the value comes through exactly, newlines included. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

const names = (vars: Record<string, string>): string[] => Object.keys(vars).sort()

/** `export NAME='value'` lines, for `eval "$(nix-buildtime-cache start …)"`. */
export function shellExports(vars: Record<string, string>): string {
  return names(vars)
    .map((n) => `export ${n}=${shellQuote(vars[n] ?? '')}\n`)
    .join('')
}

/**
 * `NAME='value'` lines: a dotenv file that `sh` can also read (`set -a; . FILE; set +a`). Single
 * quotes keep NIX_CONFIG's newlines, which separate its settings.
 */
export function dotenv(vars: Record<string, string>): string {
  return names(vars)
    .map((n) => `${n}=${shellQuote(vars[n] ?? '')}\n`)
    .join('')
}
