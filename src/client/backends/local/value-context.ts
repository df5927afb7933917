/** Additional authenticated data: a ciphertext only opens on the record and version it was made for. */
export function valueContext(user: string, id: string, valueVersion: number): string {
  return `coffer-local-value/v1\0${user}\0${id}\0${valueVersion}`;
}
