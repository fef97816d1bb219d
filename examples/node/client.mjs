// The code under test: a tiny client of a users API (fetch, built into Node 18+).

export async function createUser(baseUrl, token, name, email) {
  const res = await fetch(`${baseUrl}/api/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ name, email }),
  });
  if (res.status !== 201) throw new Error(`create user: HTTP ${res.status}`);
  return (await res.json()).id;
}

// Fires an event without waiting for it, as real code often does: a test cannot know
// when it arrives, so it waits for it.
export function sendEventLater(baseUrl, kind) {
  setTimeout(() => {
    fetch(`${baseUrl}/api/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind }),
    }).catch(() => {});
  }, 10);
}
