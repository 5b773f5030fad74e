// The seed's JSON client over the stock socket.io-client (default parser): sends the whole
// text as `code_change`, receives `code_change` / `language_change`. Usage:
//   node tests/node/socketio_json_client.mjs --url http://host:port --token <t>
//                                            [--transports polling,websocket]
// Prints {"event": "ready", "code": ..., "language": ...} after the server's first
// code_change and language_change, then reads commands, one JSON object a line:
//   {"cmd": "set", "code": s}                        emit code_change with the whole text
//   {"cmd": "language", "language": s}               emit language_change
//   {"cmd": "wait", "code": s, "ms": n}              until the last code_change carries s
//   {"cmd": "quit"}
// and answers each with {"reply": cmd, ok, code, language, ...}.

import readline from 'node:readline'

import { args, emit, log, requireWeb, runMain, waitFor } from './harness.mjs'

const { io } = requireWeb('socket.io-client')

runMain(async () => {
  const { url, token, transports } = args()
  const options = { auth: { token }, reconnection: false }
  if (transports) options.transports = transports.split(',')
  const socket = io(url, options)
  const state = { code: null, language: null, codeChanges: 0, errors: [], yjs: 0 }
  const seen = new Set()

  socket.io.on('open', () => {
    const engine = socket.io.engine
    seen.add(engine.transport.name)
    engine.on('upgrade', (transport) => seen.add(transport.name))
  })
  socket.on('connect_error', (error) => {
    emit({ event: 'fatal', error: `connect_error: ${error.message}` })
    process.exit(1)
  })
  socket.on('code_change', (data) => {
    state.code = data.code
    state.codeChanges++
  })
  socket.on('language_change', (data) => { state.language = data.language })
  socket.on('error', (data) => {
    log('server error event', JSON.stringify(data))
    state.errors.push(data)
  })
  socket.on('yjs', () => { state.yjs++ })

  // The server greets a JSON client with code_change, then language_change.
  const greeted = () => state.code !== null && state.language !== null
  if (!(await waitFor(greeted, 8000))) throw new Error('no first code_change + language_change')
  emit({ event: 'ready', code: state.code, language: state.language })

  const report = () => ({
    code: state.code,
    language: state.language,
    codeChanges: state.codeChanges,
    errors: state.errors,
    yjsMessages: state.yjs,
    transport: socket.io.engine ? socket.io.engine.transport.name : null,
    seen: [...seen],
  })
  const handle = async (command) => {
    switch (command.cmd) {
      case 'set':
        socket.emit('code_change', { code: command.code })
        return {}
      case 'language':
        socket.emit('language_change', { language: command.language })
        return {}
      case 'wait':
        return { matched: await waitFor(() => state.code === command.code, command.ms ?? 5000) }
      case 'quit':
        socket.disconnect()
        return {}
      default:
        throw new Error(`unknown command ${command.cmd}`)
    }
  }
  let queue = Promise.resolve()
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    if (!line.trim()) return
    queue = queue.then(async () => {
      const command = JSON.parse(line)
      try {
        emit({ reply: command.cmd, ok: true, ...(await handle(command)), ...report() })
      } catch (error) {
        emit({ reply: command.cmd, ok: false, error: String(error), ...report() })
      }
      if (command.cmd === 'quit') process.exit(0)
    })
  })
})
