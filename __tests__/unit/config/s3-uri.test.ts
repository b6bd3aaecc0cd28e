import { describe, expect, it } from '@jest/globals'
import { bucketHttpUrl, parseS3Uri, S3UriError } from '../../../src/config/s3-uri.js'

describe('parseS3Uri (Nix s3:// store URIs)', () => {
  it('reads a bare AWS bucket with Nix’s default region and virtual-host addressing', () => {
    expect(parseS3Uri('s3://my-cache')).toEqual({ bucket: 'my-cache', region: 'us-east-1', forcePathStyle: false })
    expect(parseS3Uri('s3://my-cache/').bucket).toBe('my-cache')
  })

  it('takes region and profile from the query', () => {
    expect(parseS3Uri('s3://my-cache?region=eu-central-1&profile=ci-writer')).toEqual({
      bucket: 'my-cache',
      region: 'eu-central-1',
      profile: 'ci-writer',
      forcePathStyle: false
    })
  })

  it('builds the endpoint URL from a bare host and scheme=, with path-style addressing', () => {
    expect(parseS3Uri('s3://nix?endpoint=minio.internal:9000&scheme=http')).toEqual({
      bucket: 'nix',
      region: 'us-east-1',
      endpoint: 'http://minio.internal:9000',
      forcePathStyle: true
    })
  })

  it('defaults a bare endpoint host to https', () => {
    expect(parseS3Uri('s3://nix?endpoint=abc123.r2.cloudflarestorage.com&region=auto').endpoint).toBe(
      'https://abc123.r2.cloudflarestorage.com'
    )
  })

  it('accepts a full endpoint URL, dropping a trailing slash', () => {
    const loc = parseS3Uri('s3://bucket?endpoint=http://127.0.0.1:9000/&region=us-east-1')
    expect(loc.endpoint).toBe('http://127.0.0.1:9000')
    expect(loc.forcePathStyle).toBe(true)
    // An endpoint written URL-encoded, as some nix.conf files have it, means the same.
    expect(parseS3Uri('s3://bucket?endpoint=http%3A%2F%2F127.0.0.1%3A9000').endpoint).toBe('http://127.0.0.1:9000')
  })

  it('lets scheme= override a full endpoint URL’s scheme, as Nix documents', () => {
    expect(parseS3Uri('s3://b?endpoint=https://minio.lan:9000&scheme=http').endpoint).toBe('http://minio.lan:9000')
  })

  it('sends scheme=http without an endpoint to AWS over plain HTTP, keeping virtual-host addressing', () => {
    const loc = parseS3Uri('s3://b?scheme=http&region=eu-west-1')
    expect(loc.endpoint).toBe('http://s3.eu-west-1.amazonaws.com')
    expect(loc.forcePathStyle).toBe(false)
  })

  it('keeps the compression parameter as written and ignores other Nix store settings', () => {
    const loc = parseS3Uri('s3://b?compression=xz&parallel-compression=true&write-nar-listing=1&want-mass-query=true')
    expect(loc).toEqual({ bucket: 'b', region: 'us-east-1', compression: 'xz', forcePathStyle: false })
    expect(parseS3Uri('s3://b?compression=bzip2').compression).toBe('bzip2')
  })

  it('rejects what Nix’s S3 store cannot mean, without echoing the URI', () => {
    const err = (uri: string): string => {
      try {
        parseS3Uri(uri)
      } catch (e) {
        expect(e).toBeInstanceOf(S3UriError)
        return (e as Error).message
      }
      throw new Error(`accepted ${uri}`)
    }
    expect(err('s3://')).toMatch(/not a bucket name/)
    expect(err('s3://?region=x')).toMatch(/not a bucket name/)
    expect(err('s3://bucket/prefix')).toMatch(/no key prefix/)
    expect(err('s3://bucket?scheme=ftp')).toMatch(/scheme= must be http or https/)
    expect(err('s3://bucket?endpoint=ftp://host')).toMatch(/http:\/\/ or https:\/\//)
    const creds = err('s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket')
    expect(creds).toMatch(/no credentials/)
    expect(creds).not.toContain('wJalrXUtnFEMI')
    const endpointCreds = err('s3://b?endpoint=https://user:hunter2@minio.lan')
    expect(endpointCreds).not.toContain('hunter2')
  })
})

describe('bucketHttpUrl (the workaround for a Nix without S3 support)', () => {
  it('is the virtual-hosted AWS URL for AWS buckets', () => {
    expect(bucketHttpUrl(parseS3Uri('s3://my-cache?region=eu-west-1'))).toBe('https://my-cache.s3.eu-west-1.amazonaws.com')
  })

  it('is endpoint/bucket for a path-style endpoint', () => {
    expect(bucketHttpUrl(parseS3Uri('s3://nix?endpoint=https://minio.lan:9000'))).toBe('https://minio.lan:9000/nix')
  })
})
