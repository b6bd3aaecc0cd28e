// What the release workflow (.github/workflows/release.yml) asks before it releases, kept out of
// the workflow's shell so that it is tested (__tests__/repo/release.test.ts):
//   node scripts/release-check.mjs tag vX.Y.Z      the tag is package.json's version; prints
//                                                  version=X.Y.Z and major=vX, and appends them
//                                                  to $GITHUB_OUTPUT when it is set
//   node scripts/release-check.mjs notes X.Y.Z [FILE]
//                                                  prints that version's CHANGELOG.md entry, or
//                                                  writes it to FILE
//   node scripts/release-check.mjs major X.Y.Z     reads the repository's tags on stdin; prints vX
//                                                  if X.Y.Z is the newest release of major X (so
//                                                  the major tag moves to it), else nothing
// A refusal is one ::error:: line on stdout (never redirected, so the runner sees it) and exit
// code 1.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/

function refuse(message) {
  console.log(`::error::${message}`)
  process.exit(1)
}

function checkTag(tag) {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
  const m = /^v(\d+\.\d+\.\d+)$/.exec(tag ?? '')
  if (!m) refuse(`Tag ${tag} is not a release tag: releases are tagged vX.Y.Z.`)
  if (m[1] !== version) refuse(`Tag ${tag} is not package.json's version (${version}): set the version, commit, and tag that commit v${version}.`)
  const outputs = `version=${version}\nmajor=v${version.split('.')[0]}\n`
  process.stdout.write(outputs)
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, outputs)
}

/** The body of `## [X.Y.Z] - date` (Keep a Changelog), without the link definitions at the end. */
function notes(version, file) {
  if (!SEMVER.test(version ?? '')) refuse(`${version} is not a version (X.Y.Z).`)
  const lines = readFileSync(join(root, 'CHANGELOG.md'), 'utf8').split('\n')
  const heading = new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\](?: - \\d{4}-\\d{2}-\\d{2})?\\s*$`)
  const start = lines.findIndex((l) => heading.test(l))
  if (start < 0) refuse(`CHANGELOG.md has no entry "## [${version}] - YYYY-MM-DD".`)
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((l) => /^## /.test(l))
  const body = (end < 0 ? rest : rest.slice(0, end))
    .filter((l) => !/^\[[^\]]+\]: \S+$/.test(l))
    .join('\n')
    .trim()
  if (body === '') refuse(`CHANGELOG.md's entry for ${version} is empty.`)
  if (file) writeFileSync(file, `${body}\n`)
  else console.log(body)
}

function major(version, tags) {
  const m = SEMVER.exec(version ?? '')
  if (!m) refuse(`${version} is not a version (X.Y.Z).`)
  const same = [version, ...tags.map((t) => /^v(\d+\.\d+\.\d+)$/.exec(t.trim())?.[1]).filter(Boolean)]
    .map((v) => v.split('.').map(Number))
    .filter(([x]) => x === Number(m[1]))
  const newest = same.reduce((a, b) => (a[1] !== b[1] ? (a[1] > b[1] ? a : b) : a[2] >= b[2] ? a : b))
  if (newest.join('.') === version) console.log(`v${m[1]}`)
}

const [command, arg, file] = process.argv.slice(2)
if (command === 'tag') checkTag(arg)
else if (command === 'notes') notes(arg, file)
else if (command === 'major') major(arg, readFileSync(0, 'utf8').split('\n'))
else refuse('usage: release-check.mjs tag vX.Y.Z | notes X.Y.Z [FILE] | major X.Y.Z < tags')
