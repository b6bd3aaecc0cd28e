import { describe, expect, it } from '@jest/globals'
import { parseNixConfig, resolveStore } from '../src/nix/store-location.js'

describe('store location', () => {
  it('finds a chroot store given as a path', () => {
    const s = resolveStore('/tmp/x/store')
    expect(s.realStoreDir).toBe('/tmp/x/store/nix/store')
    expect(s.dbPath).toBe('/tmp/x/store/nix/var/nix/db/db.sqlite')
    expect(s.storeDir).toBe('/nix/store')
  })
  it('finds a chroot store given as local?root=', () => {
    expect(resolveStore('local?root=/r').realStoreDir).toBe('/r/nix/store')
  })
  it('reads the default store in place, and knows a daemon store', () => {
    expect(resolveStore('auto')).toMatchObject({ realStoreDir: '/nix/store', dbPath: '/nix/var/nix/db/db.sqlite', viaDaemon: false })
    expect(resolveStore('daemon').viaDaemon).toBe(true)
    expect(resolveStore('unix:///run/d.sock?root=/r')).toMatchObject({ realStoreDir: '/r/nix/store', viaDaemon: true })
    expect(resolveStore('auto', { NIX_REMOTE: 'daemon' }).viaDaemon).toBe(true)
  })
  it('parses nix show-config output', () => {
    const c = parseNixConfig('store = /a b\nsubstituters = \ntrusted-users = root @wheel\n')
    expect(c.get('store')).toBe('/a b')
    expect(c.get('substituters')).toBe('')
    expect(c.get('trusted-users')).toBe('root @wheel')
  })
})
