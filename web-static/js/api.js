// The engine's HTTP API (docs/PROTOCOL.md §8). Every call uses the `jestry_session` cookie that POST /v1/login
// sets; the token in the login answer is never stored by this page.

/** An error answer from the API, or a network failure (status 0). `message` is meant for people. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * A feature this engine does not offer (yet): the endpoint answered 404 for a path it does not know, or 405.
 * Views show `message` instead of failing.
 */
export class FeatureUnavailableError extends Error {
  constructor(feature, cause) {
    super(`${feature} is not available on this Jestry server yet.`);
    this.name = 'FeatureUnavailableError';
    this.feature = feature;
    this.cause = cause;
  }
}

const networkMessage = 'Could not reach the Jestry server. Check your connection and try again.';

/** Sends a request and returns the raw Response for 2xx answers; throws ApiError otherwise. */
async function send(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', networkMessage);
  }
  if (response.ok) return response;
  let data = null;
  try { data = await response.json(); } catch { /* not JSON */ }
  const error = data?.error;
  throw new ApiError(response.status, error?.code ?? `http_${response.status}`,
    error?.message ?? `The server answered ${response.status} ${response.statusText}. Please try again.`);
}

async function json(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'invalid_response', 'The server sent an answer this page cannot read.');
  }
}

/** True when an endpoint without a resource id in its path does not exist on this engine. */
function isMissingEndpoint(error) {
  return error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501);
}

/** Runs `call`, turning "this endpoint does not exist" into FeatureUnavailableError. */
async function optional(feature, call) {
  try {
    return await call();
  } catch (error) {
    if (isMissingEndpoint(error)) throw new FeatureUnavailableError(feature, error);
    throw error;
  }
}

export const api = {
  signUp: ({ name, email, password, birthDate }) =>
    json('POST', '/v1/accounts', { name, email, password, birth_date: birthDate }),

  /** Returns the account; the server sets the session cookie. */
  signIn: async (email, password) => (await json('POST', '/v1/login', { email, password })).account,

  /** Ends the sign-in on the server. Throws FeatureUnavailableError when the engine has no logout endpoint. */
  signOut: () => optional('Signing out on the server', () => json('POST', '/v1/logout', {})),

  me: () => json('GET', '/v1/me'),

  tracks: async () => (await json('GET', '/v1/tracks')).tracks ?? [],

  sessions: async () => (await json('GET', '/v1/sessions')).sessions ?? [],

  session: (id) => json('GET', `/v1/sessions/${encodeURIComponent(id)}`),

  /** A session's written report, when the engine serves it separately; null when there is none. */
  sessionReport: async (id) => {
    try {
      return await json('GET', `/v1/sessions/${encodeURIComponent(id)}/report`);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
      throw error;
    }
  },

  recordingURL: (id) => `/v1/sessions/${encodeURIComponent(id)}/recording`,

  /**
   * Deletes a session. Resolves to 'deleted', or to 'gone' when the session was not there any more;
   * throws FeatureUnavailableError when the engine cannot delete sessions.
   */
  deleteSession: async (id) => {
    try {
      await send('DELETE', `/v1/sessions/${encodeURIComponent(id)}`);
      return 'deleted';
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return 'gone';
      if (isMissingEndpoint(error)) throw new FeatureUnavailableError('Deleting a session', error);
      throw error;
    }
  },

  /** The minute packs the payment processor sells: [{id, minutes}]. */
  products: () => optional('Minute packs', async () => (await json('GET', '/v1/billing/products')).products ?? []),

  /** Every change to the balance, oldest first: [{kind, amount_ms, reason, created_at, session_id}]. */
  ledger: () => optional('Your minute history', async () => (await json('GET', '/v1/billing/ledger')).entries ?? []),

  /** All the account's data as a Blob with a file name. */
  exportData: () => optional('Exporting your data', async () => {
    const response = await send('GET', '/v1/export');
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    const type = blob.type || 'application/json';
    const extension = type.includes('zip') ? 'zip' : 'json';
    const today = new Date().toISOString().slice(0, 10);
    return { blob, fileName: named ? decodeURIComponent(named[1]) : `jestry-export-${today}.${extension}` };
  }),

  /** Deletes the account and everything in it. */
  deleteAccount: (password) => optional('Deleting your account', () => json('DELETE', '/v1/account', { password })),
};
