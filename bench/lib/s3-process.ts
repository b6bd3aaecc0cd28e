// s3rver in a process of its own (bench/gc-s3-server.mjs), so that the server's work is not
// charged to, nor competing inside, the process being measured (issue 22: "against an S3 server
// in its own process"). Each call starts a fresh bucket in a fresh directory.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { S3_CREDENTIALS } from '../../__tests__/helpers/s3-server.js'
import { REPO_ROOT } from './paths.js'

export interface S3Process {
  s3Uri: string
  stop(): Promise<void>
}

export async function startS3Process(parent: string, bucket: string): Promise<S3Process> {
  const dir = await mkdtemp(join(parent, 's3rver-'))
  const server = spawn(process.execPath, ['--openssl-legacy-provider', join(REPO_ROOT, 'bench', 'gc-s3-server.mjs'), dir, bucket, S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    server.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before it listened`)))
  })
  return {
    s3Uri: `s3://${bucket}?endpoint=http://127.0.0.1:${port}&region=us-east-1`,
    stop: async () => {
      server.kill('SIGTERM')
      await exited
      await rm(dir, { recursive: true, force: true })
    }
  }
}
