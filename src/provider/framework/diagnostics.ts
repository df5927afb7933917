/**
 * Diagnostics are how every user-facing problem crosses the framework boundary: resources add
 * them instead of throwing, and the adapter turns them into tfplugin6 diagnostics with
 * severity and attribute path.
 */

/** Steps into a value: attribute names (strings) and list indexes (numbers). */
export type AttributePath = readonly (string | number)[];

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  readonly severity: Severity;
  readonly summary: string;
  readonly detail: string;
  readonly path?: AttributePath;
}

export class Diagnostics {
  private readonly items: Diagnostic[] = [];

  addError(summary: string, detail = '', path?: AttributePath): void {
    this.items.push({ severity: 'error', summary, detail, path });
  }

  addWarning(summary: string, detail = '', path?: AttributePath): void {
    this.items.push({ severity: 'warning', summary, detail, path });
  }

  append(other: Diagnostics): void {
    this.items.push(...other.items);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  get all(): readonly Diagnostic[] {
    return this.items;
  }
}
