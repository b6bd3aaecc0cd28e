import type { S3ClientConfig } from '@aws-sdk/client-s3'
import type { S3Location } from './s3-uri.js'

/**
 * The part of an S3 client's configuration that the cache's URI decides (region, endpoint,
 * addressing, profile), the same for every client of the bucket: the push (S3Backend), the GC
 * (S3Collectable) and the agent's front for pulls (pull/front-s3.ts). Each adds its own retries
 * and timeouts. Pure: credentials come from the SDK's default chain unless given (tests).
 */
export function s3ClientConfig(location: S3Location, credentials?: S3ClientConfig['credentials']): S3ClientConfig {
  const config: S3ClientConfig = { region: location.region, forcePathStyle: location.forcePathStyle }
  if (location.endpoint !== undefined) {
    config.endpoint = location.endpoint
    // Third-party S3 servers reject or mangle the SDK's default CRC trailers (aws-chunked bodies);
    // Nix's own hashes in the narinfo protect the content either way.
    config.requestChecksumCalculation = 'WHEN_REQUIRED'
    config.responseChecksumValidation = 'WHEN_REQUIRED'
  } else {
    // A bucket in another region than the URI says (Nix's default is us-east-1) still works.
    config.followRegionRedirects = true
  }
  if (location.profile !== undefined) config.profile = location.profile
  if (credentials !== undefined) config.credentials = credentials
  return config
}
