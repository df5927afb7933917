/**
 * The entry point for apps built from the npm package: an `App` configured from the project's
 * own `cdktf.json` (`context` and `targetVersions`) exactly as `cdktn synth` would, so that
 * `tsc && node main.js` synthesizes without the cdktn CLI (which needs Node 22).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktn';

export interface ProjectAppOptions {
  /** The project directory holding cdktf.json (default: the current directory). */
  readonly projectDir?: string;
  /** Where to synthesize (default: CDKTF_OUTDIR when the cdktn CLI runs the app, else PROJECT/cdktf.out). */
  readonly outdir?: string;
}

interface CdktfJson {
  readonly context?: Record<string, unknown>;
  readonly targetVersions?: Record<string, string>;
}

/** Reads PROJECT/cdktf.json; a missing file is an error that names it (the app would synthesize for the wrong engines). */
export function readProjectContext(projectDir: string): Record<string, unknown> {
  const file = path.join(projectDir, 'cdktf.json');
  let config: CdktfJson;
  try {
    config = JSON.parse(fs.readFileSync(file, 'utf8')) as CdktfJson;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message;
    throw new Error(`${file}: ${reason} (projectApp() reads context and targetVersions from the project's cdktf.json)`);
  }
  return { ...(config.context ?? {}), ...(config.targetVersions ? { targetVersions: config.targetVersions } : {}) };
}

/** A cdktn App with the project's context; CDKTF_CONTEXT_JSON (set by the cdktn CLI) still wins, as in cdktn. */
export function projectApp(options: ProjectAppOptions = {}): App {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const outdir = options.outdir ?? (process.env.CDKTF_OUTDIR || path.join(projectDir, 'cdktf.out'));
  return new App({ context: readProjectContext(projectDir), outdir });
}
