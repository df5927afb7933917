import { SecretConflictError } from './errors';

/** The fields a batch must not repeat: names, and non-empty delivery targets. */
export interface BatchEntry {
  readonly name: string;
  readonly envName: string;
  readonly filePath: string;
}

const defaultPrefix = (index: number): string => `import item ${index + 1}: `;

/**
 * Rejects a batch that would conflict with itself (the same name, env_name or file_path twice),
 * before any backend is asked: a batch import is all or nothing on every backend.
 */
export function checkBatchDuplicates(batch: readonly BatchEntry[], prefix: (index: number, name: string) => string = defaultPrefix): void {
  const seen = { name: new Map<string, string>(), env_name: new Map<string, string>(), file_path: new Map<string, string>() };
  batch.forEach((entry, i) => {
    const keys: [keyof typeof seen, string][] = [
      ['name', entry.name],
      ['env_name', entry.envName],
      ['file_path', entry.filePath],
    ];
    for (const [field, value] of keys) {
      if (value === '') continue;
      const other = seen[field].get(value);
      if (other !== undefined) {
        throw new SecretConflictError(
          field === 'name'
            ? `${prefix(i, entry.name)}secret "${value}" appears twice in the batch`
            : `${prefix(i, entry.name)}${field} "${value}" is also used by secret "${other}" in the batch`,
          field,
        );
      }
      seen[field].set(value, entry.name);
    }
  });
}
