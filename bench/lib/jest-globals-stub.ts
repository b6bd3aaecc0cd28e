// Stands in for `@jest/globals` when the bench bundles __tests__/helpers. The helpers call
// afterAll() inside a try/catch and fall back to a process exit hook, so throwing is enough.
export function afterAll(): never {
  throw new Error('not running under jest')
}
