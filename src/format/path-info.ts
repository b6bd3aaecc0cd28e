/** What Nix records about one valid store path, normalised across Nix versions. */
export interface PathInfo {
  /** Full store path, e.g. /nix/store/<hash>-name. */
  path: string
  /** Always `sha256:<nix32>`, whatever form the source used (hex, nix32 or SRI). */
  narHash: string
  narSize: number
  /** Full store paths, sorted. */
  references: string[]
  deriver?: string
  /** `keyname:base64sig` strings. */
  signatures: string[]
  /** True when this machine built the path itself (not substituted, copied or added). */
  ultimate: boolean
  ca?: string
}
