// The derivation graph for the "bytes pushed" comparison, as Nix text (no nixpkgs; builders
// are busybox sh, as in __tests__/helpers/graph.ts). 2,000+ derivations:
//
//   upstream     32  in the fake upstream cache (signed by another key): 8 compilers, each
//                    referencing 3 of 24 libraries at run time (the libraries chain too), a few MB
//                    each. Packages use 6 of the compilers at build time only, so a job
//                    substitutes those and drags in their runtime closure.
//   base        100  built by an earlier job, before the main step (pre-existing).
//   sources     150  fixed-output sources (flat files), read at build time only.
//   tools        60  build-only tools.
//   packages   1680  6 layers of 280. Each reads a tool, a source, an upstream compiler and one
//                    package of the layer below (its `dev` output when it has one) at build time
//                    only, and references two packages of the layer below (base libraries for
//                    layer 0) at run time. Every fourth has two outputs, out and dev (dev
//                    references out, and is needed only to build against it).
//   top           1  the job's installable: builds on the whole last layer, references 40.
//   extras       40  built in the same job but outside top's closure (tests, docs).
//
// Attributes: upstreamAll, preexisting, job (top and extras), topDrv, and groups.* (output paths
// by group: upstream, base, closure, extras) so the bench knows the ideal push set without
// asking Nix the questions the action asks.
import { createHash } from 'node:crypto'
import { NIX_PRELUDE } from '../../__tests__/helpers/graph.js'

export const GRAPH = {
  upstreamLibs: 24,
  upstreamCompilers: 8,
  compilersUsed: 6,
  base: 100,
  sources: 150,
  tools: 60,
  layers: 6,
  width: 280,
  topRuntimeRefs: 40,
  extras: 40
} as const

export const UPSTREAM_KEY = 'upstream-bench-1'

export function derivationCount(): number {
  const g = GRAPH
  return g.upstreamLibs + g.upstreamCompilers + g.base + g.sources + g.tools + g.layers * g.width + 1 + g.extras
}

const ref = (attr: string): string => '${' + attr + '}'
const pkgId = (layer: number, j: number): string => `p${layer}_${j}`
const isMulti = (j: number): boolean => j % 4 === 0

/** `seq 1 n` output: the fixed-output sources' contents, known before building. */
function seqText(n: number): string {
  let s = ''
  for (let i = 1; i <= n; i++) s += `${i}\n`
  return s
}
const sourceLines = (i: number): number => 1000 + 37 * i

export function graphNix(): string {
  const g = GRAPH
  const out: string[] = []
  const bind = (name: string, expr: string): void => {
    out.push(`  ${name} = ${expr};`)
  }
  // Payload: some text (compresses well) and some random bytes (does not).
  const payload = (dir: string, lines: number, randomBytes: number): string =>
    `\${bb} seq 1 ${lines} > ${dir}/table.txt\n    \${bb} head -c ${randomBytes} /dev/urandom > ${dir}/blob`

  for (let i = 0; i < g.upstreamLibs; i++) {
    const dep = i % 3 === 0 ? '' : ` ${ref(`ulib${i - 1}`)}`
    bind(
      `ulib${i}`,
      `mk "upstream-lib-${i}" ''
    \${bb} mkdir -p $out/lib
    echo${dep} > $out/lib/deps
    ${payload('$out/lib', 150_000 + 10_000 * i, 1_500_000)}
  '' {}`
    )
  }
  for (let c = 0; c < g.upstreamCompilers; c++) {
    const libs = [3 * c, 3 * c + 1, 3 * c + 2].map((l) => ref(`ulib${l}`)).join(' ')
    bind(
      `ucc${c}`,
      `mk "upstream-compiler-${c}" ''
    \${bb} mkdir -p $out/bin $out/share
    echo '\${bb} true ${libs}' > $out/bin/compile
    ${payload('$out/share', 60_000, 500_000)}
  '' {}`
    )
  }
  for (let i = 0; i < g.base; i++) {
    bind(
      `base${i}`,
      `mk "base-lib-${i}" ''
    \${bb} mkdir -p $out/lib
    ${payload('$out/lib', 1500 + i * 7, 4096)}
  '' {}`
    )
  }
  for (let i = 0; i < g.sources; i++) {
    const hash = createHash('sha256').update(seqText(sourceLines(i))).digest('hex')
    bind(
      `src${i}`,
      `mk "source-${i}.txt" "\${bb} seq 1 ${sourceLines(i)} > $out" { outputHashMode = "flat"; outputHashAlgo = "sha256"; outputHash = "${hash}"; }`
    )
  }
  for (let i = 0; i < g.tools; i++) {
    bind(
      `tool${i}`,
      `mk "build-tool-${i}" ''
    \${bb} mkdir -p $out/bin
    echo '\${bb} true' > $out/bin/run
    ${payload('$out/bin', 800 + i, 2048)}
  '' {}`
    )
  }
  for (let k = 0; k < g.layers; k++) {
    for (let j = 0; j < g.width; j++) {
      const n = k * g.width + j
      const runtime =
        k === 0
          ? [ref(`base${j % g.base}`), ref(`base${(j + 1) % g.base}`)]
          : [ref(pkgId(k - 1, j)), ref(pkgId(k - 1, (j + 1) % g.width))]
      let buildOnly = ''
      if (k > 0) {
        const jd = (j + 2) % g.width
        const dep = pkgId(k - 1, jd)
        buildOnly = isMulti(jd)
          ? `\${bb} cat ${ref(`${dep}.dev`)}/include/api.h > /dev/null`
          : `\${bb} head -c 100 ${ref(dep)}/share/table.txt > /dev/null`
      }
      const dev = isMulti(j)
        ? `\n    \${bb} mkdir -p $dev/include\n    echo "#define DATA \\"$out/share\\"" > $dev/include/api.h\n    \${bb} seq 1 ${300 + j} >> $dev/include/api.h`
        : ''
      bind(
        pkgId(k, j),
        `mk "pkg-${k}-${j}" ''
    \${bb} mkdir -p $out/share $out/nix-support
    /bin/sh ${ref(`tool${n % g.tools}`)}/bin/run
    /bin/sh ${ref(`ucc${n % g.compilersUsed}`)}/bin/compile
    \${bb} wc -c < ${ref(`src${n % g.sources}`)} > $out/share/source-size
    ${buildOnly}
    echo ${runtime.join(' ')} > $out/nix-support/runtime-deps
    ${payload('$out/share', 1500 + ((j * 37) % 3000), (j * 131) % 16384)}${dev}
  '' ${isMulti(j) ? '{ outputs = [ "out" "dev" ]; }' : '{}'}`
      )
    }
  }
  const last = Array.from({ length: g.width }, (_, j) => pkgId(g.layers - 1, j))
  bind(
    'top',
    `mk "app" ''
    \${bb} mkdir -p $out/bin
    echo ${last.map(ref).join(' ')} | \${bb} wc -c > /dev/null
    echo ${last.slice(0, g.topRuntimeRefs).map(ref).join(' ')} > $out/bin/app
  '' {}`
  )
  for (let i = 0; i < g.extras; i++) {
    bind(
      `extra${i}`,
      `mk "extra-check-${i}" ''
    \${bb} mkdir -p $out
    \${bb} head -c 200 ${ref(pkgId(g.layers - 1, i))}/share/table.txt > $out/report
  '' {}`
    )
  }

  const list = (prefix: string, n: number): string => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ')
  const packages = Array.from({ length: g.layers * g.width }, (_, n) => pkgId(Math.floor(n / g.width), n % g.width)).join(' ')
  return `# Generated by bench/workloads/graph-nix.ts.
let
${NIX_PRELUDE}  outs = ds: builtins.concatMap (d: map (o: d.\${o}.outPath) (d.outputs or [ "out" ])) ds;
${out.join('\n')}
  upstreamAll = [ ${list('ucc', g.upstreamCompilers)} ];
  preexisting = [ ${list('base', g.base)} ];
  extras = [ ${list('extra', g.extras)} ];
in {
  inherit upstreamAll preexisting;
  job = [ top ] ++ extras;
  topDrv = top.drvPath;
  groups = {
    upstream = outs [ ${list('ucc', g.upstreamCompilers)} ${list('ulib', g.upstreamLibs)} ];
    base = outs preexisting;
    closure = outs ([ top ${list('src', g.sources)} ${list('tool', g.tools)} ${packages} ]);
    extras = outs extras;
  };
}
`
}
