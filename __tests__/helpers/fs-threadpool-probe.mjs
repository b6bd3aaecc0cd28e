// Loaded with `node --import` in front of dist/cli.js: counts the file system requests that went
// through libuv's thread pool (fs.promises and callback calls; synchronous calls make none) and
// writes the count to the file named by FS_THREADPOOL_REPORT, at exit.
import { createHook } from 'node:async_hooks'
import { writeFileSync } from 'node:fs'

let requests = 0
createHook({
  init(_id, type) {
    if (type === 'FSREQPROMISE' || type === 'FSREQCALLBACK') requests++
  }
}).enable()
process.on('exit', () => writeFileSync(process.env.FS_THREADPOOL_REPORT ?? '/dev/null', String(requests)))
