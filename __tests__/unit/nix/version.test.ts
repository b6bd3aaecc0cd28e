import { describe, expect, it } from '@jest/globals'
import { drvArgumentMeansOutputs, isNix23, parseNixVersion, type NixVersion } from '../../../src/nix/version.js'

const v = (text: string): NixVersion => {
  const parsed = parseNixVersion(text)
  if (!parsed) throw new Error(`unparsed: ${text}`)
  return parsed
}

describe('nix --version', () => {
  it('reads upstream, Lix and Determinate version lines', () => {
    expect(v('nix (Nix) 2.3.18\n')).toMatchObject({ implementation: 'nix', major: 2, minor: 3 })
    expect(v('nix (Lix, like Nix) 2.95.3')).toMatchObject({ implementation: 'lix', major: 2, minor: 95 })
    // Determinate names the Nix it is built on last.
    expect(v('nix (Determinate Nix 3.22.2) 2.35.2')).toMatchObject({ implementation: 'determinate', major: 2, minor: 35 })
    expect(parseNixVersion('something else')).toBeUndefined()
  })

  it('knows 2.3 (no NIX_CONFIG, no extra- settings, no --derivation), and nothing else as 2.3', () => {
    expect(isNix23(v('nix (Nix) 2.3.18'))).toBe(true)
    for (const text of ['nix (Nix) 2.4', 'nix (Nix) 2.35.2', 'nix (Lix, like Nix) 2.95.3', 'nix (Determinate Nix 3.22.2) 2.35.2']) {
      expect([text, isNix23(v(text))]).toEqual([text, false])
    }
    expect(isNix23(undefined)).toBe(false)
  })

  it('takes a .drv argument as its outputs on 2.4-2.14 only (never --derivation for 2.3)', () => {
    const outputs = (text: string): boolean => drvArgumentMeansOutputs(v(text))
    expect(outputs('nix (Nix) 2.3.18')).toBe(false)
    expect(outputs('nix (Nix) 2.4')).toBe(true)
    expect(outputs('nix (Nix) 2.8.0')).toBe(true)
    expect(outputs('nix (Nix) 2.14.1')).toBe(true)
    expect(outputs('nix (Nix) 2.15.0')).toBe(false)
    expect(outputs('nix (Lix, like Nix) 2.91.1')).toBe(false)
    expect(outputs('nix (Determinate Nix 3.22.2) 2.35.2')).toBe(false)
  })
})
