/** Reads diagnostics from `validate -json` and from the JSON-lines of `plan/apply -json`. */

export interface EngineDiagnostic {
  readonly severity: string;
  readonly summary: string;
  readonly detail: string;
  /** The configuration line the engine points at (from the attribute path). */
  readonly code?: string;
}

interface RawDiagnostic {
  severity: string;
  summary: string;
  detail?: string;
  snippet?: { code?: string };
}

function convert(raw: RawDiagnostic): EngineDiagnostic {
  return { severity: raw.severity, summary: raw.summary, detail: raw.detail ?? '', code: raw.snippet?.code };
}

export function validateDiagnostics(stdout: string): EngineDiagnostic[] {
  const parsed = JSON.parse(stdout) as { diagnostics?: RawDiagnostic[] };
  return (parsed.diagnostics ?? []).map(convert);
}

export function streamDiagnostics(stdout: string): EngineDiagnostic[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type?: string; diagnostic?: RawDiagnostic })
    .filter((entry) => entry.type === 'diagnostic' && entry.diagnostic !== undefined)
    .map((entry) => convert(entry.diagnostic as RawDiagnostic));
}
