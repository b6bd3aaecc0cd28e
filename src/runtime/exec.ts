import { spawn } from 'node:child_process'

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * Runs a program (never through a shell) and collects its output. Rejects only when it cannot be
 * started at all (not found, not executable); a non-zero exit is the caller's to judge.
 */
export function execCapture(
  command: string,
  args: readonly string[],
  opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    // A child that exits without reading its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined)
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        exitCode: code ?? (signal ? 128 : 1)
      })
    )
    child.stdin.end(opts.input ?? '')
  })
}
