// Loaded with `node --import` in front of dist/cli.js: writes the largest size V8's young
// generation (new space) reached to the file named by YOUNG_GENERATION_REPORT, at exit.
import { writeFileSync } from 'node:fs'
import { getHeapSpaceStatistics } from 'node:v8'

let largest = 0
const sample = () => {
  for (const s of getHeapSpaceStatistics()) if (s.space_name === 'new_space') largest = Math.max(largest, s.space_size)
}
setInterval(sample, 20).unref()
process.on('exit', () => {
  sample()
  writeFileSync(process.env.YOUNG_GENERATION_REPORT ?? '/dev/null', String(largest))
})
