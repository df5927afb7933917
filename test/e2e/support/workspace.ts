/**
 * A user's working directory for one e2e scenario: HCL files, a private CLI config that
 * installs cofferhq/coffer from the test mirror (offline), a private COFFER_HOME, and helpers
 * to run the real engine and read `show -json`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from './engines';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StateResource {
  readonly address: string;
  readonly type: string;
  readonly name: string;
  readonly values: Record<string, unknown>;
  readonly sensitive_values?: Record<string, unknown>;
}

export class Workspace {
  readonly dir: string;
  readonly home: string;
  private readonly cliConfig: string;
  private readonly root: string;

  private extraEnv: Record<string, string>;

  constructor(
    readonly engine: Engine,
    extraEnv: Record<string, string> = {},
  ) {
    this.extraEnv = { ...extraEnv };
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `coffer-e2e-${engine.name}-`));
    this.dir = path.join(this.root, 'work');
    this.home = path.join(this.root, 'coffer-home');
    fs.mkdirSync(this.dir);
    const mirror = process.env.COFFER_E2E_MIRROR;
    if (!mirror) throw new Error('COFFER_E2E_MIRROR is not set: run the e2e tests through jest (global setup)');
    this.cliConfig = path.join(this.root, 'cli.tfrc');
    fs.writeFileSync(
      this.cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]\n  }\n}\n`,
    );
  }

  /** Adds environment for every later engine run (e.g. a backend started after the workspace). */
  setEnv(env: Record<string, string>): void {
    this.extraEnv = { ...this.extraEnv, ...env };
  }

  /** The provider source address as the engine's users write it. */
  get source(): string {
    return 'cofferhq/coffer';
  }

  env(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      TF_CLI_CONFIG_FILE: this.cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      TF_INPUT: '0',
      COFFER_HOME: this.home,
      ...this.extraEnv,
      ...overrides,
    };
  }

  write(file: string, content: string): void {
    fs.writeFileSync(path.join(this.dir, file), content);
  }

  remove(file: string): void {
    fs.rmSync(path.join(this.dir, file), { force: true });
  }

  run(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.engine.binary, [...args], { cwd: this.dir, env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
    });
  }

  /** Runs and fails the test with the engine's own output when the exit code is not expected. */
  async ok(args: readonly string[], env: Record<string, string> = {}, expectedCodes: readonly number[] = [0]): Promise<RunResult> {
    const result = await this.run(args, env);
    if (!expectedCodes.includes(result.code)) {
      throw new Error(`${this.engine.name} ${args.join(' ')} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
    }
    return result;
  }

  init(): Promise<RunResult> {
    return this.ok(['init', '-no-color', '-input=false']);
  }

  apply(extra: readonly string[] = []): Promise<RunResult> {
    return this.ok(['apply', '-auto-approve', '-no-color', '-input=false', ...extra]);
  }

  /** `plan -detailed-exitcode`: 0 = no changes, 2 = changes. */
  async plan(extra: readonly string[] = []): Promise<RunResult> {
    return this.ok(['plan', '-no-color', '-input=false', '-detailed-exitcode', ...extra], {}, [0, 2]);
  }

  async show(): Promise<{ values?: { root_module?: { resources?: StateResource[] } } }> {
    const result = await this.ok(['show', '-json', '-no-color']);
    return JSON.parse(result.stdout) as { values?: { root_module?: { resources?: StateResource[] } } };
  }

  async resources(): Promise<StateResource[]> {
    return (await this.show()).values?.root_module?.resources ?? [];
  }

  async resource(address: string): Promise<StateResource | undefined> {
    return (await this.resources()).find((r) => r.address === address);
  }

  /** Every file the engine wrote (state, plans, lock; not the test's own .tf files), for canary searches. */
  allFilesText(): string {
    const texts: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'providers') walk(full);
        } else if (entry.isFile() && !entry.name.endsWith('.tf')) texts.push(fs.readFileSync(full).toString('latin1'));
      }
    };
    walk(this.dir);
    return texts.join('\n');
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** The required_providers block every scenario starts with. */
export function providerBlock(extra = ''): string {
  return `terraform {\n  required_providers {\n    coffer = {\n      source = "cofferhq/coffer"\n    }\n  }\n}\n\nprovider "coffer" {${extra}}\n`;
}
