// Shared by the Node clients that tests/test_npm_clients.py drives.
//
// The npm packages live in web/node_modules (installed by `cd web && npm ci`). ES module
// resolution only looks in node_modules folders above the importing file, and tests/ is not
// under web/, so the packages are loaded with a require() rooted at web/package.json: every
// package resolves to its own published CommonJS build, and yjs is loaded exactly once
// (y-websocket and y-protocols require the same dist/yjs.cjs).
//
// Protocol with the Python side: one JSON object per line both ways. The client prints
// {"event": ...} lines on stdout; it reads {"cmd": ...} lines on stdin and answers each
// with exactly one line {"reply": <cmd>, ...}. Diagnostics go to stderr.

import { createRequire } from 'node:module'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const webDir = process.env.DUET_WEB_DIR || path.resolve(here, '..', '..', 'web')
export const requireWeb = createRequire(path.join(webDir, 'package.json'))

export const emit = (object) => {
  process.stdout.write(JSON.stringify(object) + '\n')
}

export const log = (...args) => {
  process.stderr.write(`[${path.basename(process.argv[1])}] ${args.join(' ')}\n`)
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Wait until check() is true (then true) or `ms` have passed (then false). */
export const waitFor = async (check, ms = 5000) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  return true
}

/** Parse `--name value` pairs from argv. */
export const args = () => {
  const parsed = {}
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`)
    parsed[argv[i].slice(2)] = argv[i + 1]
  }
  return parsed
}

/** Every code point of a string is whole: no lone UTF-16 surrogate. */
export const wellFormed = (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)

/**
 * Apply one edit to a Y.Text in the browser's terms: indices are UTF-16 code units, as
 * String.prototype.indexOf counts them. Anchors are found in the current text, so the
 * result does not depend on which remote edits have arrived yet.
 *   {op: "insert", text, index} | {op: "insert", text, before: s} | {op: "insert", text, after: s}
 *   {op: "insert", text, at: "end"} | {op: "delete", find: s} | {op: "delete", index, length}
 */
export const applyEdit = (ytext, edit) => {
  const current = ytext.toString()
  const find = (needle) => {
    const index = current.indexOf(needle)
    if (index < 0) throw new Error(`${JSON.stringify(needle)} not in ${JSON.stringify(current)}`)
    return index
  }
  if (edit.op === 'insert') {
    let index
    if (edit.at === 'end') index = current.length
    else if (edit.before !== undefined) index = find(edit.before)
    else if (edit.after !== undefined) index = find(edit.after) + edit.after.length
    else index = edit.index
    ytext.insert(index, edit.text)
  } else if (edit.op === 'delete') {
    if (edit.find !== undefined) ytext.delete(find(edit.find), edit.find.length)
    else ytext.delete(edit.index, edit.length)
  } else {
    throw new Error(`unknown edit ${JSON.stringify(edit)}`)
  }
}

/** A small seeded PRNG (mulberry32), so a failing random run can be replayed. */
export const prng = (seed) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * `count` random edits at code-point boundaries (never inside a surrogate pair), each a
 * separate transaction, `pauseMs` apart so they interleave with the other side's.
 */
export const randomEdits = async (ytext, { seed, count, pieces, pauseMs = 2 }) => {
  const random = prng(seed)
  for (let i = 0; i < count; i++) {
    const text = ytext.toString()
    const boundaries = [0]
    for (const char of text) boundaries.push(boundaries[boundaries.length - 1] + char.length)
    const at = boundaries[Math.floor(random() * boundaries.length)]
    if (random() < 0.25 && at < text.length) {
      const width = text.codePointAt(at) > 0xffff ? 2 : 1
      ytext.delete(at, width)
    } else {
      ytext.insert(at, pieces[Math.floor(random() * pieces.length)])
    }
    if (pauseMs) await sleep(pauseMs)
  }
}

/**
 * The command loop for a Yjs client. `client` has `text` (a Y.Text), and `offline()`,
 * `online()`, `close()` returning promises.
 */
export const serveYjsCommands = (client) => {
  const lines = readline.createInterface({ input: process.stdin })
  let queue = Promise.resolve()
  const handle = async (command) => {
    const text = () => client.text.toString()
    switch (command.cmd) {
      case 'edit':
        for (const edit of command.edits) applyEdit(client.text, edit)
        return { text: text() }
      case 'random':
        await randomEdits(client.text, command)
        return { text: text() }
      case 'wait': {
        const matched = await waitFor(() => text() === command.text, command.ms ?? 5000)
        return { matched, text: text(), wellFormed: wellFormed(text()) }
      }
      case 'settle': {
        // Until the text has not changed for `quietMs`.
        let last = text()
        let since = Date.now()
        await waitFor(() => {
          if (text() !== last) {
            last = text()
            since = Date.now()
          }
          return Date.now() - since >= (command.quietMs ?? 300)
        }, command.ms ?? 5000)
        return { text: text(), wellFormed: wellFormed(text()) }
      }
      case 'offline':
        await client.offline()
        return {}
      case 'online':
        await client.online()
        return { text: text() }
      case 'quit':
        await client.close()
        return { text: text() }
      default:
        throw new Error(`unknown command ${command.cmd}`)
    }
  }
  lines.on('line', (line) => {
    if (!line.trim()) return
    queue = queue.then(async () => {
      const command = JSON.parse(line)
      try {
        emit({ reply: command.cmd, ok: true, ...(await handle(command)) })
      } catch (error) {
        log(error.stack)
        emit({ reply: command.cmd, ok: false, error: String(error) })
      }
      if (command.cmd === 'quit') process.exit(0)
    })
  })
  lines.on('close', () => {
    queue.then(() => process.exit(0))
  })
}

/** Fail loudly (the Python side reads the `fatal` event) instead of hanging. */
export const runMain = (main) => {
  main().catch((error) => {
    log(error.stack || String(error))
    emit({ event: 'fatal', error: String(error) })
    process.exit(1)
  })
}
