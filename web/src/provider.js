// Yjs over Socket.IO: every `yjs` event carries one y-websocket-framed message (sync or
// awareness), so the server speaks to this exactly as to y-websocket. Edits made while the
// socket is down stay in the document and reach the server in the sync on reconnect: the
// server's step 1 asks for everything it lacks.
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'

const MESSAGE_SYNC = 0
const MESSAGE_AWARENESS = 1
const MESSAGE_QUERY_AWARENESS = 3

export class SocketIOProvider {
  constructor (socket, doc) {
    this.socket = socket
    this.doc = doc
    this.awareness = new awarenessProtocol.Awareness(doc)
    this.synced = false
    this.onSynced = null

    socket.on('connect', () => {
      this.synced = false
      // The server takes a socket whose first message is not `yjs` for a JSON client,
      // so step 1 goes first, at once.
      this._send(MESSAGE_SYNC, (encoder) => syncProtocol.writeSyncStep1(encoder, doc))
      if (this.awareness.getLocalState() !== null) {
        this._sendAwareness([doc.clientID])
      }
    })
    socket.on('disconnect', () => {
      // Everyone else's cursor is stale until the server sends the room's awareness again.
      const others = [...this.awareness.getStates().keys()].filter((id) => id !== doc.clientID)
      awarenessProtocol.removeAwarenessStates(this.awareness, others, this)
    })
    socket.on('yjs', (data) => this._receive(new Uint8Array(data)))

    doc.on('update', (update, origin) => {
      if (origin !== this && socket.connected) {
        this._send(MESSAGE_SYNC, (encoder) => syncProtocol.writeUpdate(encoder, update))
      }
    })
    this.awareness.on('update', ({ added, updated, removed }, origin) => {
      if (origin === this) return
      this._sendAwareness(added.concat(updated, removed))
    })
    window.addEventListener('beforeunload', () => {
      awarenessProtocol.removeAwarenessStates(this.awareness, [doc.clientID], 'window unload')
    })
  }

  _send (type, write) {
    if (!this.socket.connected) return
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, type)
    write(encoder)
    this.socket.emit('yjs', encoding.toUint8Array(encoder))
  }

  _sendAwareness (clients) {
    this._send(MESSAGE_AWARENESS, (encoder) => encoding.writeVarUint8Array(
      encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)))
  }

  _receive (message) {
    const decoder = decoding.createDecoder(message)
    const type = decoding.readVarUint(decoder)
    if (type === MESSAGE_SYNC) {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this)
      if (encoding.length(encoder) > 1 && this.socket.connected) {
        this.socket.emit('yjs', encoding.toUint8Array(encoder))
      }
      if (kind === syncProtocol.messageYjsSyncStep2 && !this.synced) {
        this.synced = true
        if (this.onSynced) this.onSynced()
      }
    } else if (type === MESSAGE_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this)
    } else if (type === MESSAGE_QUERY_AWARENESS) {
      this._sendAwareness([...this.awareness.getStates().keys()])
    }
  }
}
