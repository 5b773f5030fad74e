// The REST API, with the seed's error shape turned into an Error carrying `code`.
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

export async function api (method, path, { token, body } = {}) {
  const headers = {}
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  let response
  try {
    response = await fetch(`/api/v1${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch (error) {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached; check your connection.')
  }
  if (response.status === 204) return null
  let payload = null
  try {
    payload = await response.json()
  } catch (error) {
    throw new ApiError(response.status, 'INTERNAL_ERROR', `Unexpected answer (${response.status})`)
  }
  if (!response.ok || payload.success === false) {
    throw new ApiError(response.status, payload.code || 'INTERNAL_ERROR', payload.error || 'Request failed')
  }
  return payload
}
