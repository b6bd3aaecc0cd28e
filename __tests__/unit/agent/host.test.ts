import { afterEach, describe, expect, it } from '@jest/globals'
import { AgentHost } from '../../../src/agent/host.js'
import { WARNING_PREFIX } from '../../../src/agent/protocol.js'

const written: string[] = []
const write = process.stderr.write.bind(process.stderr)

function capture(): void {
  written.length = 0
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stderr.write
}

afterEach(() => {
  process.stderr.write = write
})

describe('the agent’s host', () => {
  it('masks a secret that contains another whole, whichever was registered first, as every host does', () => {
    const host = new AgentHost('/tmp')
    // The header's value before the header line that contains it (a URL's password before its userinfo is the same case).
    host.setSecret('Bearer tok')
    host.setSecret('Authorization: Bearer tok')
    capture()
    host.info('sent Authorization: Bearer tok')
    host.warning('refused Bearer tok')
    expect(written).toHaveLength(2)
    expect(written[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+ sent \*\*\*\n$/)
    expect(written[1]).toBe(`${WARNING_PREFIX}refused ***\n`)
  })

  it('drops what belongs to the steps: state, outputs and exports', () => {
    const host = new AgentHost('/tmp')
    host.saveState('k', 'v')
    host.exportVariable('NIX_BUILDTIME_CACHE_AGENT_TEST', 'x')
    expect(host.getState('k')).toBe('')
    expect(process.env.NIX_BUILDTIME_CACHE_AGENT_TEST).toBeUndefined()
  })
})
