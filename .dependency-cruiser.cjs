// The layer rules of src/ (CONTRIBUTING.md, "Architecture"): each folder imports only from the
// folders below it in LAYERS, or from itself. Type-only imports count too. Run by `npm test`.
/** From the top down; folders on one line are peers, and peers do not import each other. */
const LAYERS = [
  ['entry'],
  ['cli', 'action'],
  ['job'],
  ['report', 'agent'],
  ['executors', 'pull'],
  ['plan'],
  ['nix', 'config'],
  ['format'],
  ['runtime']
]

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])))
const all = [...rank.keys()]

/** One rule per folder: nothing at its own level or above, other than itself. */
const layerRules = all.map((folder) => {
  const notBelow = all.filter((other) => other !== folder && rank.get(other) <= rank.get(folder))
  return {
    name: `layer-${folder}`,
    comment: `src/${folder}/ may import only from folders below it: ${all.filter((o) => rank.get(o) > rank.get(folder)).join(', ') || 'none'}`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${notBelow.join('|')})/` }
  }
})

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'src-root-is-empty',
      comment: 'Every module lives in a layer folder.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: {}
    },
    {
      name: 'no-unknown-folder',
      comment: 'A new folder under src/ needs a place in LAYERS.',
      severity: 'error',
      from: { path: `^src/(?!(${all.join('|')})/)` },
      to: {}
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true }
    },
    {
      name: 'src-not-to-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(__tests__|bench|scripts)/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a type that points up is a layer that points up.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'], conditionNames: ['import', 'require', 'node', 'default'] }
  }
}
