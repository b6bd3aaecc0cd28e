import { AUTH_HEADER_ENV, AUTH_TOKEN_ENV, INPUT_OPTIONS, SECRET_KEY_ENV } from './options.js'

const WIDTH = 100
const LEFT = 28

/** `left` in the first column, `right` wrapped at word boundaries in the second. */
function column(left: string, right: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of right.split(' ')) {
    if (line !== '' && 2 + LEFT + line.length + 1 + word.length > WIDTH) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  lines.push(line)
  const pad = ' '.repeat(2 + LEFT)
  const first = left.length >= LEFT ? `  ${left}\n${pad}` : `  ${left.padEnd(LEFT)}`
  return first + lines.join(`\n${pad}`)
}

/** `--help`: the commands, every option, and examples (the README's "Other CI systems" uses them). */
export function helpText(): string {
  const inputs = INPUT_OPTIONS.map((o) =>
    column(o.kind === 'flag' ? (o.default === 'true' ? `--no-${o.input}` : `--${o.input}`) : `--${o.input} ${o.meta}`, o.help)
  )
  return `nix-buildtime-cache: push exactly the build-time closure a job newly realised to a Nix
binary cache, and pull from it meanwhile. The GitHub Action's engine, for other CI systems and laptops.

Usage:
  nix-buildtime-cache run [options] -- COMMAND [ARG...]
      Snapshot the store, run COMMAND with its Nix pulling from the cache, push what it
      realised, and exit with COMMAND's exit status.
  nix-buildtime-cache start [options] [--dotenv FILE]
      Snapshot the store and print the lines that make later commands' Nix pull from the
      cache (export NIX_CONFIG='...'), for eval; or write them to FILE as a dotenv file.
  nix-buildtime-cache push [options]
      Push what was realised since start. Uses start's options; options given here win.
  nix-buildtime-cache gc --cache URI [--keep-days N] [--keep-jobs N] [--max-size SIZE] [--pin REGEX]
                         [--grace DURATION] [--dry-run] [--force] [--json] [--summary FILE]
      Delete from a file:// or s3:// cache what no recent job pushed or used, keeping whole
      closures (see \`gc --help\` and docs/gc.md).

Options (the GitHub Action's inputs):
${inputs.join('\n')}

Secrets (never command-line arguments, which every user of the machine can see):
${column('--secret-key-file FILE', `Nix signing key (name:base64, from \`nix-store --generate-binary-cache-key\`); default: the ${SECRET_KEY_ENV} variable. Without a key: pull-only.`)}
${column('--auth-header-file FILE', `'Name: value' header for every request to an http(s) cache; default: the ${AUTH_HEADER_ENV} variable.`)}
${column('--auth-token-file FILE', `Access token of an Attic, Cachix or niks3 server (push, and pulls from a private cache); default: the ${AUTH_TOKEN_ENV} variable. Without one: pull-only.`)}
  The command run gets none of these variables.

Other options:
${column('--state-dir DIR', 'Where start leaves the snapshot for push, and the pushed-paths list. Default: $XDG_STATE_HOME (else ~/.local/state)/nix-buildtime-cache/<hash of the working directory>.')}
${column('--summary FILE', 'run, push: write the Markdown job summary to FILE.')}
${column('--json', 'Print the result as one line of JSON, the last on stdout.')}
${column('--dotenv FILE', "start: write NAME='value' lines to FILE instead of printing them.")}
${column('-h, --help', 'This text.')}

Exit status: run: COMMAND's (1 when COMMAND succeeded and a --strict push failed);
start, push: 0, or 1 for trouble with --strict; 2 for a bad option or value.

Examples:
  # Build, pulling from the cache, then push (the key from ${SECRET_KEY_ENV}):
  nix-buildtime-cache run --cache https://cache.example.org --installables .#app -- nix build .#app

  # Pull only (no key), trusting the cache's public key:
  nix-buildtime-cache run --cache https://cache.example.org --public-keys my-cache-1:AbCd...= -- nix build .#app

  # Separate before and after scripts:
  eval "$(nix-buildtime-cache start --cache 's3://my-nix-cache?region=eu-west-1' --secret-key-file /run/secrets/nix-cache-key)"
  nix build .#app
  nix-buildtime-cache push --installables .#app --summary nix-cache.md

  # What would be pushed, as JSON:
  nix-buildtime-cache run --cache file:///srv/nix-cache --dry-run --json -- nix build .#app
`
}
