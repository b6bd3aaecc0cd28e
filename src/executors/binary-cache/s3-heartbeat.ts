import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { GC_HEARTBEAT_KEY } from './gc-window.js'

/** The GC's heartbeat as a push or another GC reads it (gc-window.ts). */
export interface Heartbeat {
  /** How long ago it was renewed, by S3's own clock (the answer's `Date` less its `Last-Modified`); 0 when the server gives no date. */
  ageMs: number
  /** The run that wrote it, and whether that run said it had finished deleting. */
  run?: string
  ended: boolean
}

/** Reads the heartbeat (HeadObject); throws the SDK's error when it is absent or the read fails. */
export async function readHeartbeat(client: S3Client, bucket: string, abortSignal: AbortSignal): Promise<Heartbeat> {
  const command = new HeadObjectCommand({ Bucket: bucket, Key: GC_HEARTBEAT_KEY })
  let date: string | undefined
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args)
      date = (result.response as { headers?: Record<string, string | undefined> } | undefined)?.headers?.date
      return result
    },
    { step: 'deserialize', name: 'serverDate' }
  )
  const res = await client.send(command, { abortSignal })
  const now = date === undefined ? NaN : Date.parse(date)
  const renewed = res.LastModified?.getTime()
  // No date to go by: counted as just renewed, which only makes a push check what it touched.
  const ageMs = renewed === undefined || Number.isNaN(now) ? 0 : Math.max(0, now - renewed)
  return { ageMs, run: res.Metadata?.run, ended: res.Metadata?.state === 'ended' }
}

/** Renews the heartbeat for `run`: deleting, or finished deleting. */
export async function writeHeartbeat(client: S3Client, bucket: string, run: string, state: 'deleting' | 'ended', abortSignal: AbortSignal): Promise<void> {
  const body = JSON.stringify({ run, [state]: new Date().toISOString() })
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: GC_HEARTBEAT_KEY, Body: body, ContentType: 'application/json', Metadata: { run, state } }), { abortSignal })
}
