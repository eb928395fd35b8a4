// JSON calls to our API with the session cookie and the CSRF token Django expects.

export class ApiRequestError extends Error {
  constructor(message, { status, code } = {}) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
  }
}

function cookie(name) {
  const prefix = `${name}=`;
  const entry = document.cookie.split("; ").find((part) => part.startsWith(prefix));
  return entry ? decodeURIComponent(entry.slice(prefix.length)) : "";
}

export async function apiPost(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        // Read on every call: signing in rotates the token.
        "X-CSRFToken": cookie("csrftoken"),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw unreachable();
  }
  return reply(response);
}

export async function apiGet(url) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    throw unreachable();
  }
  return reply(response);
}

function unreachable() {
  return new ApiRequestError("Could not reach the site. Check your connection and try again.");
}

// The JSON body, or an ApiRequestError carrying the API's error message and code.
async function reply(response) {
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = data?.error?.message || `The site answered ${response.status}. Try again.`;
    throw new ApiRequestError(message, { status: response.status, code: data?.error?.code });
  }
  return data;
}
