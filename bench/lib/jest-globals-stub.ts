// Stands in for `@jest/globals` when the bench and the demo bundle __tests__/helpers. The helpers
// call afterAll() inside a try/catch and fall back to a process exit hook, so throwing is enough;
// beforeAll() belongs to the test files' preamble (useGraphWorld), which nothing outside jest calls.
export function afterAll(): never {
  throw new Error('not running under jest')
}

export function beforeAll(): never {
  throw new Error('not running under jest')
}
