// A Yjs client over the stock socket.io-client (default parser): every `yjs` event carries one
// y-websocket-framed message, written and read with y-protocols/sync and lib0, as a browser
// front end would. Usage:
//   node tests/node/socketio_yjs_client.mjs --url http://host:port --token <t>
//                                           [--transports polling,websocket]
//                                           [--first-message-delay-ms n]
// Without --transports socket.io-client uses its defaults (long-polling, then the WebSocket
// upgrade). Prints {"event": "synced", "text": ..., "transport": ...} once synced, then serves
// commands (harness.mjs); the reply to "quit" also carries the transports used.

import { args, emit, log, requireWeb, runMain, serveYjsCommands, waitFor } from './harness.mjs'

const Y = requireWeb('yjs')
const syncProtocol = requireWeb('y-protocols/sync')
const encoding = requireWeb('lib0/encoding')
const decoding = requireWeb('lib0/decoding')
const { io } = requireWeb('socket.io-client')

const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const REMOTE = Symbol('remote')

runMain(async () => {
  const { url, token, transports } = args()
  // How long after connecting the client sends its sync step 1: 0 as a browser does; more
  // plays a client on a slow link (its step 1 arrives after the server's 100 ms grace).
  const delay = Number(args()['first-message-delay-ms'] ?? 0)
  const doc = new Y.Doc()
  const text = doc.getText('code')
  const options = { auth: { token }, reconnection: false }
  if (transports) options.transports = transports.split(',')
  const socket = io(url, options)
  const seen = new Set()
  let synced = false
  const errors = []

  const send = (encoder) => socket.emit('yjs', encoding.toUint8Array(encoder))

  const sendStep1 = () => {
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MESSAGE_SYNC)
    syncProtocol.writeSyncStep1(encoder, doc)
    send(encoder)
  }

  // Every engine.io connection (a new one after each reconnect): the transport it opened
  // with, and the one it upgraded to.
  socket.io.on('open', () => {
    const engine = socket.io.engine
    seen.add(engine.transport.name)
    log('opened with', engine.transport.name)
    engine.on('upgrade', (transport) => {
      seen.add(transport.name)
      log('upgraded to', transport.name)
    })
  })
  socket.on('connect', () => {
    // A Yjs client speaks first (within the server's 100 ms grace), or it is taken for JSON.
    if (delay > 0) setTimeout(sendStep1, delay)
    else sendStep1()
  })
  socket.on('disconnect', (reason) => log('disconnected:', reason))
  socket.on('connect_error', (error) => {
    log('connect_error', error.message)
    emit({ event: 'fatal', error: `connect_error: ${error.message}` })
    process.exit(1)
  })
  socket.on('error', (data) => {
    log('server error event', JSON.stringify(data))
    errors.push(data)
  })
  // Sent while the server takes this client for a JSON client (before its first `yjs`).
  let jsonEvents = 0
  socket.on('code_change', () => { jsonEvents++ })

  socket.on('yjs', (data) => {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    const decoder = decoding.createDecoder(bytes)
    const encoder = encoding.createEncoder()
    const type = decoding.readVarUint(decoder)
    if (type === MESSAGE_SYNC) {
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      const kind = syncProtocol.readSyncMessage(decoder, encoder, doc, REMOTE)
      if (kind === syncProtocol.messageYjsSyncStep2) synced = true
      if (encoding.length(encoder) > 1) send(encoder)
    } else if (type !== MESSAGE_AWARENESS) {
      log('ignored message type', type)
    }
  })

  doc.on('update', (update, origin) => {
    if (origin === REMOTE || !socket.connected) return // offline edits go in the next sync step 2
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, MESSAGE_SYNC)
    syncProtocol.writeUpdate(encoder, update)
    send(encoder)
  })

  if (!(await waitFor(() => synced, 8000))) throw new Error('no sync step 2 from the server')
  emit({ event: 'synced', text: text.toString(), transport: socket.io.engine.transport.name, clientID: doc.clientID })

  serveYjsCommands({
    text,
    async offline () {
      socket.disconnect()
      synced = false
    },
    async online () {
      socket.connect()
      if (!(await waitFor(() => synced, 8000))) throw new Error('no resync after reconnecting')
    },
    async close () {
      const used = [...seen]
      const final = socket.io.engine ? socket.io.engine.transport.name : null
      socket.disconnect()
      emit({ event: 'transports', seen: used, final, errors, jsonEvents })
    },
  })
})
