/** Why the store failed, in words an admin can act on (the driver's codes mean little to most). */

const SQLITE: [RegExp, string][] = [
  [/^SQLITE_FULL/, 'the disk is full: free some space'],
  [
    /^SQLITE_READONLY/,
    'the database is read-only: give the bridge write permission on the file and its folder, or mount the filesystem read-write',
  ],
  [
    /^SQLITE_(CANTOPEN|PERM|AUTH)/,
    'the file cannot be opened for writing: check the permissions of the file and its folder',
  ],
  [/^SQLITE_IOERR/, 'the disk reports an I/O error (full, removed, or failing)'],
  [/^SQLITE_CORRUPT|^SQLITE_NOTADB/, 'the file is damaged or not a database'],
  [/^SQLITE_BUSY/, 'another process holds a lock on the file'],
];

const SYSTEM: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space',
  EACCES: 'permission denied: check the permissions of the file and its folder',
  EPERM: 'permission denied: check the permissions of the file and its folder',
  EROFS: 'the filesystem is read-only',
  ECONNREFUSED: 'PostgreSQL refuses connections: is it running, on that host and port?',
  ECONNRESET: 'PostgreSQL closed the connection (restarting?)',
  ENOTFOUND: 'the database host name does not resolve',
  ETIMEDOUT: 'PostgreSQL does not answer (a firewall, or the wrong host?)',
};

const POSTGRES: Record<string, string> = {
  '53100': 'PostgreSQL says its disk is full: free some space on the database server',
  '25006': 'PostgreSQL is read-only here (a standby?): point the bridge at the primary',
  '57P01': 'PostgreSQL is shutting down',
  '57P02': 'PostgreSQL is restarting',
  '57P03': 'PostgreSQL is starting up, or in recovery',
  '28P01': 'PostgreSQL refused the password in the database URL',
  '3D000': 'the database in the URL does not exist: create it',
};

/** A short cause with its fix, for logs, `/health` and start-up errors. */
export function describeStoreError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string') {
    for (const [pattern, text] of SQLITE) if (pattern.test(code)) return `${text} (${message})`;
    const known = SYSTEM[code] ?? POSTGRES[code];
    if (known) return `${known} (${message})`;
  }
  if (/Connection terminated|connection ended/i.test(message))
    return `PostgreSQL closed the connection (${message})`;
  return message;
}
