import { describe, expect, it } from '@jest/globals'
import { daemonAcceptsSubstituter, decideTrust, type TrustInputs } from '../../../src/pull/trust.js'
import { managedBlock, restartCommand, systemConfigFile, trustLines, withManagedBlock } from '../../../src/pull/system-config.js'
import { appendNixConfig, nix23PullMessage, pullSettings } from '../../../src/pull/configure.js'

const base: TrustInputs = { uid: 1001, user: 'runner', groups: ['runner', 'docker'], viaDaemon: true, trustedUsers: ['root'] }

describe('trust detection', () => {
  it('treats a directly opened store as single-user, and root as root', () => {
    expect(decideTrust({ ...base, viaDaemon: false }).level).toBe('single-user')
    expect(decideTrust({ ...base, uid: 0 }).level).toBe('root')
  })
  it('finds a trusted user by name, by @group and by *', () => {
    expect(decideTrust({ ...base, trustedUsers: ['root', 'runner'] }).level).toBe('trusted')
    const viaGroup = decideTrust({ ...base, trustedUsers: ['root', '@docker'] })
    expect(viaGroup).toEqual({ level: 'trusted', reason: 'runner is in trusted-users through @docker' })
    expect(decideTrust({ ...base, trustedUsers: ['*'] }).level).toBe('trusted')
  })
  it('finds an untrusted user, and prefers what the daemon itself says', () => {
    expect(decideTrust(base).level).toBe('untrusted')
    expect(decideTrust({ ...base, trustedUsers: ['runner'], daemonSaysTrusted: false }).level).toBe('untrusted')
    expect(decideTrust({ ...base, daemonSaysTrusted: true }).level).toBe('trusted')
  })
})

describe('system configuration for untrusted users', () => {
  const url = 'https://cache.example.org'
  const key = 'example-1:MaEyuN7OhWtWmB/uL34OwQeLLKASrzeNDjpfK9wQ0q8='

  it('adds a marked block and keeps the user’s own lines', () => {
    const conf = 'trusted-users = root\nsubstituters = https://cache.nixos.org'
    const next = withManagedBlock(conf, trustLines([], url, [key]))
    expect(next.startsWith(conf)).toBe(true)
    expect(managedBlock(next)).toEqual([`extra-trusted-substituters = ${url}`, `extra-trusted-public-keys = ${key}`])
  })

  it('does not pile up lines when a self-hosted runner repeats the set-up', () => {
    let conf = 'trusted-users = root\n'
    for (let i = 0; i < 3; i++) conf = withManagedBlock(conf, trustLines(managedBlock(conf), url, [key]))
    expect(conf.match(/extra-trusted-substituters/g)).toHaveLength(1)
    expect(conf.match(/nix-buildtime-cache: begin/g)).toHaveLength(1)
    // A second cache from another workflow joins the same block.
    conf = withManagedBlock(conf, trustLines(managedBlock(conf), 'file:///var/cache/nix', []))
    expect(managedBlock(conf)[0]).toBe(`extra-trusted-substituters = ${url} file:///var/cache/nix`)
    expect(withManagedBlock(conf, [])).toBe('trusted-users = root\n')
  })

  it('writes to nix.custom.conf on Determinate Nix and restarts the right daemon', () => {
    expect(systemConfigFile('/etc/nix', true)).toBe('/etc/nix/nix.custom.conf')
    expect(systemConfigFile('/etc/nix', false)).toBe('/etc/nix/nix.conf')
    expect(restartCommand('darwin', true)).toEqual(['launchctl', 'kickstart', '-k', 'system/systems.determinate.nix-daemon'])
    expect(restartCommand('darwin', false)).toEqual(['launchctl', 'kickstart', '-k', 'system/org.nixos.nix-daemon'])
  })
})

describe('NIX_CONFIG for later steps', () => {
  it('appends to the user’s NIX_CONFIG and does not repeat itself', () => {
    const settings = pullSettings('file:///c', ['k-1:abc='])
    const once = appendNixConfig('store = /x\nsubstituters =', settings)
    expect(once).toBe(`store = /x\nsubstituters =\n${settings}`)
    expect(appendNixConfig(once, settings)).toBe(once)
    expect(appendNixConfig(undefined, settings)).toBe(settings)
  })
})

// The daemon's setSubstituters: NixOS/nix 2.18 src/libstore/daemon.cc (strings, `s` or `s + "/"`),
// 2.35 src/libstore/daemon.cc (parsed StoreReferences, authority + "/").
describe('trusted-substituters, checked as the daemon checks them', () => {
  it('accepts X when X/ is trusted, but not X/ when only X is', () => {
    for (const structural of [false, true]) {
      expect(daemonAcceptsSubstituter('https://c.example', ['https://c.example/'], structural)).toBe(true)
      expect(daemonAcceptsSubstituter('https://c.example/', ['https://c.example'], structural)).toBe(false)
      expect(daemonAcceptsSubstituter('file:///c', ['file:///c'], structural)).toBe(true)
      expect(daemonAcceptsSubstituter('file:///c', ['file:///d'], structural)).toBe(false)
    }
  })
  it('compares parameters as a set from 2.34, as strings before', () => {
    const url = 's3://b?region=eu&endpoint=x'
    const trusted = ['s3://b?endpoint=x&region=eu']
    expect(daemonAcceptsSubstituter(url, trusted, false)).toBe(false)
    expect(daemonAcceptsSubstituter(url, trusted, true)).toBe(true)
    expect(daemonAcceptsSubstituter('s3://b?region=eu', trusted, true)).toBe(false)
  })
})

describe('Nix 2.3', () => {
  it('is told the exact nix.conf lines, which extend what is in force (no extra- settings on 2.3)', () => {
    const settings = new Map([['substituters', 'https://cache.nixos.org/'], ['trusted-public-keys', 'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=']])
    const message = nix23PullMessage('file:///c', ['k-1:abc='], settings)
    expect(message).toContain('\nsubstituters = https://cache.nixos.org/ file:///c\n')
    expect(message).toContain('\ntrusted-public-keys = cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY= k-1:abc=\n')
    expect(message).not.toContain('extra-')
  })
})
