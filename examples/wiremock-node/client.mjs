// The code under test: a tiny client of a users API.
export async function getUser(baseUrl, id) {
  const res = await fetch(`${baseUrl}/api/users/${id}`, { headers: { Accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`users API answered ${res.status}`);
  return res.json();
}

export async function renameUser(baseUrl, id, name) {
  const res = await fetch(`${baseUrl}/api/users/${id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`users API answered ${res.status}`);
  return res.json();
}
