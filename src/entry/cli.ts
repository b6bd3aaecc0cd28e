// The `nix-buildtime-cache` command's entry point. The Node version check comes first, and the
// rest loads only once it has passed (cli/node-version.ts).
import '../cli/node-version.js'

const { runProcess } = await import('../job/lifecycle.js')
const { main } = await import('../cli/main.js')
await runProcess('cli', () => main(process.argv.slice(2)))
