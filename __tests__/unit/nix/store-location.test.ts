import { describe, expect, it } from '@jest/globals'
import { parseNixConfig, resolveStore } from '../../../src/nix/store-location.js'

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
  // Nix 2.34+ and Determinate 3.22 render the store setting as a StoreReference
  // (NixOS/nix src/libstore/store-reference.cc render(); test data
  // src/libstore-tests/data/store-reference/local_1.txt, local_3.txt, local_shorthand_2.txt).
  it('finds a chroot store in every rendering Nix 2.3 to 2.35 prints for it', () => {
    const chroot = { realStoreDir: '/r/nix/store', dbPath: '/r/nix/var/nix/db/db.sqlite', storeDir: '/nix/store', viaDaemon: false }
    for (const uri of ['/r', 'local?root=/r', 'local:///r', 'local://?root=/r', 'local:///r?trusted=true', '/r?trusted=true']) {
      expect([uri, resolveStore(uri)]).toEqual([uri, expect.objectContaining(chroot)])
    }
    expect(resolveStore('local://?root=/foo bar/baz').realStoreDir).toBe('/foo bar/baz/nix/store')
    expect(resolveStore('local://?root=/a%20b+c').realStoreDir).toBe('/a b+c/nix/store')
    expect(resolveStore('local://')).toMatchObject({ realStoreDir: '/nix/store', dbPath: '/nix/var/nix/db/db.sqlite', viaDaemon: false })
  })
  it('honours the store, state and real parameters as LocalFSStoreConfig does', () => {
    expect(resolveStore('local?store=/s&state=/st')).toMatchObject({ storeDir: '/s', realStoreDir: '/s', dbPath: '/st/db/db.sqlite' })
    expect(resolveStore('local://?root=/r&real=/phys')).toMatchObject({ storeDir: '/nix/store', realStoreDir: '/phys', dbPath: '/r/nix/var/nix/db/db.sqlite' })
    expect(resolveStore('auto', { NIX_STORE_DIR: '/s', NIX_STATE_DIR: '/st' })).toMatchObject({ realStoreDir: '/s', dbPath: '/st/db/db.sqlite' })
    // With a root, the physical store is <root>/nix/store whatever the logical directory.
    expect(resolveStore('/r', { NIX_STORE_DIR: '/s' })).toMatchObject({ storeDir: '/s', realStoreDir: '/r/nix/store' })
  })
  it('knows the daemon in all its spellings, with or without a root', () => {
    expect(resolveStore('unix://?root=/r')).toMatchObject({ realStoreDir: '/r/nix/store', viaDaemon: true })
    expect(resolveStore('unix:///run/nix.sock')).toMatchObject({ realStoreDir: '/nix/store', viaDaemon: true })
    expect(resolveStore('daemon?root=/r')).toMatchObject({ realStoreDir: '/r/nix/store', viaDaemon: true })
  })
  it('resolves auto as Nix does: direct when writable, else the daemon, else the chroot fallback', () => {
    const probe = (writable: string[], exists: string[]) => ({ writable: (d: string) => writable.includes(d), exists: (p: string) => exists.includes(p) })
    expect(resolveStore('auto', {}, probe(['/nix/var/nix'], [])).viaDaemon).toBe(false)
    expect(resolveStore('auto', {}, probe([], ['/nix/var/nix/daemon-socket/socket'])).viaDaemon).toBe(true)
    const fallback = resolveStore('auto', { HOME: '/home/u' }, probe([], ['/home/u/.local/share/nix/root/nix/store']), 'linux')
    expect(fallback).toMatchObject({ realStoreDir: '/home/u/.local/share/nix/root/nix/store', viaDaemon: false })
  })
  it('parses nix show-config output', () => {
    const c = parseNixConfig('store = /a b\nsubstituters = \ntrusted-users = root @wheel\n')
    expect(c.get('store')).toBe('/a b')
    expect(c.get('substituters')).toBe('')
    expect(c.get('trusted-users')).toBe('root @wheel')
  })
})
