// Progress goes to stderr so that stdout carries only the final report.
export function log(message: string): void {
  process.stderr.write(`${message}\n`)
}
