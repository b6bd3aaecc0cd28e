// The layer rules of src/ (CONTRIBUTING.md, "Architecture"): each folder imports only from the
// folders below it in LAYERS, or from itself. Type-only imports count too. Run by `npm test`.
/** From the top down; folders on one line are peers, and peers do not import each other. */
const LAYERS = [
  ['entry'],
  ['cli', 'action'],
  ['job'],
  ['report', 'agent', 'gc'],
  ['executors', 'pull'],
  ['plan'],
  ['nix', 'config'],
  ['format'],
  ['runtime']
]

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])))
const all = [...rank.keys()]

/** A module directly in src/, and one outside every folder of LAYERS (src/'s root included). */
const ROOT_FILE = '^src/[^/]+$'
const UNKNOWN_PLACE = `^src/(?!(${all.join('|')})/)`

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
    // A rule names a module only through a dependency it has (from), one it is (to), or none at
    // all (orphan): each place rule comes in all three, so a stray module is found however it is
    // wired.
    {
      name: 'src-root-is-empty',
      comment: 'Every module lives in a layer folder.',
      severity: 'error',
      from: { path: ROOT_FILE },
      to: {}
    },
    {
      name: 'src-root-is-empty-imported',
      comment: 'Every module lives in a layer folder (this one is imported).',
      severity: 'error',
      from: {},
      to: { path: ROOT_FILE }
    },
    {
      name: 'src-root-is-empty-orphan',
      comment: 'Every module lives in a layer folder (this one imports nothing and nothing imports it).',
      severity: 'error',
      from: { orphan: true, path: ROOT_FILE },
      to: {}
    },
    {
      name: 'no-unknown-folder',
      comment: 'A new folder under src/ needs a place in LAYERS.',
      severity: 'error',
      from: { path: UNKNOWN_PLACE },
      to: {}
    },
    {
      name: 'no-unknown-folder-imported',
      comment: 'A new folder under src/ needs a place in LAYERS (this module of it is imported).',
      severity: 'error',
      from: {},
      to: { path: UNKNOWN_PLACE }
    },
    {
      name: 'no-unknown-folder-orphan',
      comment: 'A new folder under src/ needs a place in LAYERS (this module of it imports nothing and nothing imports it).',
      severity: 'error',
      from: { orphan: true, path: UNKNOWN_PLACE },
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
