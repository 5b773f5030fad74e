// The stock y-websocket WebsocketProvider (as a browser uses it) in Node, with `ws` as its
// WebSocket. Usage:
//   node tests/node/y_websocket_client.mjs --server ws://host:port/yjs --room <id> --token <t>
// Prints {"event": "synced", "text": ...} once synced, then serves commands (harness.mjs).

import { args, emit, log, requireWeb, runMain, serveYjsCommands, waitFor } from './harness.mjs'

const Y = requireWeb('yjs')
const { WebsocketProvider } = requireWeb('y-websocket')
const WebSocket = requireWeb('ws')

runMain(async () => {
  const { server, room, token } = args()
  const doc = new Y.Doc()
  const text = doc.getText('code')
  const provider = new WebsocketProvider(server, room, doc, {
    params: { token },
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  })
  provider.on('status', ({ status }) => log('status', status))
  provider.on('connection-close', (event) => log('closed', event && event.code))
  const synced = () => new Promise((resolve) => {
    if (provider.synced) resolve()
    else provider.once('sync', (isSynced) => isSynced && resolve())
  })
  await synced()
  emit({ event: 'synced', text: text.toString(), language: doc.getMap('meta').get('language') })

  serveYjsCommands({
    text,
    async offline () {
      provider.disconnect()
      if (!(await waitFor(() => provider.wsconnected === false && provider.ws === null))) {
        throw new Error('provider did not disconnect')
      }
    },
    async online () {
      provider.connect()
      // `synced` flips back to true once the server's sync step 2 has arrived.
      if (!(await waitFor(() => provider.synced))) throw new Error('provider did not resync')
    },
    async close () {
      provider.destroy()
      doc.destroy()
    },
  })
})
