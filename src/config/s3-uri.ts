/**
 * Nix's own syntax for S3 binary caches, `s3://bucket?region=…&endpoint=…&profile=…&scheme=…`,
 * so the URI a user has in nix.conf works here unchanged. Pure: no environment, no I/O.
 */
export interface S3Location {
  bucket: string
  /** Nix's default when the URI names none is us-east-1, not $AWS_REGION; we follow Nix. */
  region: string
  /** Full URL (`https://host[:port][/path]`) of an S3-compatible service; undefined for AWS S3 itself. */
  endpoint?: string
  /** A profile in ~/.aws/config and ~/.aws/credentials; undefined means the default chain. */
  profile?: string
  /** The URI's `compression` parameter, as written (validated by whoever uses it). */
  compression?: string
  /** Bucket in the path (`endpoint/bucket/key`) rather than the host name. */
  forcePathStyle: boolean
}

export const S3_URI_SYNTAX = 's3://bucket?region=…&endpoint=…&profile=…&scheme=…'

/** Messages never echo the whole URI: whatever a user pasted may hold more than it should. */
export class S3UriError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'S3UriError'
  }
}

const BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

function endpointUrl(endpoint: string, scheme: string | undefined): string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)
  let url: URL
  try {
    url = new URL(hasScheme ? endpoint : `${scheme ?? 'https'}://${endpoint}`)
  } catch {
    throw new S3UriError('endpoint= is neither a host name nor a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new S3UriError(`endpoint= must be an http:// or https:// URL, not ${url.protocol}//`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new S3UriError('endpoint= must not contain credentials; they come from the AWS credential chain')
  }
  // Nix documents `scheme` as overriding the endpoint's own scheme.
  const protocol = scheme ? `${scheme}:` : url.protocol
  const path = url.pathname.replace(/\/+$/, '')
  return `${protocol}//${url.host}${path}`
}

export function parseS3Uri(uri: string): S3Location {
  if (!uri.startsWith('s3://')) throw new S3UriError('an S3 cache URI starts with s3://')
  const q = uri.indexOf('?')
  const authority = (q < 0 ? uri.slice(5) : uri.slice(5, q)).replace(/\/$/, '')
  const params = new URLSearchParams(q < 0 ? '' : uri.slice(q + 1))
  if (authority.includes('@')) {
    throw new S3UriError('s3:// URIs carry no credentials; they come from the AWS credential chain')
  }
  if (authority.includes('/')) {
    throw new S3UriError("Nix's s3:// stores have no key prefix; use a bucket of its own (s3://bucket)")
  }
  if (!BUCKET_RE.test(authority)) throw new S3UriError(`'${authority}' is not a bucket name`)

  const param = (name: string): string | undefined => {
    const v = params.get(name)
    return v === null || v.trim() === '' ? undefined : v.trim()
  }
  const scheme = param('scheme')?.toLowerCase()
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new S3UriError(`scheme= must be http or https, not '${scheme}'`)
  }
  const region = param('region') ?? 'us-east-1'
  const given = param('endpoint')
  let endpoint: string | undefined
  let forcePathStyle = false
  if (given !== undefined) {
    endpoint = endpointUrl(given, scheme)
    // As Nix does: services behind a custom endpoint (MinIO, Garage, R2…) seldom have wildcard DNS.
    forcePathStyle = true
  } else if (scheme === 'http') {
    // Plain HTTP to AWS itself, as Nix allows; bucket names stay in the host name.
    endpoint = `http://s3.${region}.amazonaws.com`
  }
  const location: S3Location = { bucket: authority, region, forcePathStyle }
  if (endpoint !== undefined) location.endpoint = endpoint
  const profile = param('profile')
  if (profile !== undefined) location.profile = profile
  const compression = param('compression')
  if (compression !== undefined) location.compression = compression
  return location
}

/** Where the bucket answers plain GETs, for users whose Nix cannot read s3:// stores. */
export function bucketHttpUrl(location: S3Location): string {
  const { bucket, region, endpoint, forcePathStyle } = location
  if (endpoint === undefined) return `https://${bucket}.s3.${region}.amazonaws.com`
  if (forcePathStyle) return `${endpoint}/${bucket}`
  const url = new URL(endpoint)
  return `${url.protocol}//${bucket}.${url.host}${url.pathname.replace(/\/+$/, '')}`
}
