/**
 * Issue #8 defect 1: a template must not read the stored backend credentials. A user ran
 * `coffer backend register prod … --store-credential token`; a template then asks for the
 * reserved owner `@coffer-credentials` through the ephemeral resource, the data source and a
 * resource. Every one is refused at plan with a diagnostic on `user`, and the token never
 * reaches the provisioner.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discardAuditSink } from '../../src/client/audit';
import { CredentialStore } from '../../src/client/credential-store';
import { SecretText } from '../../src/client/secret-text';
import { streamDiagnostics } from './support/diagnostics';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;
const token = `hvs.CANARY-CREDENTIAL-${Math.random().toString(36).slice(2)}`;

describe(`stored backend credentials stay out of templates (${engine.name} ${engine.version})`, () => {
  let ws: Workspace;
  let out: string;

  beforeAll(async () => {
    ws = new Workspace(engine);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-reserved-out-'));
    // What `coffer backend register prod --kind vault … --store-credential token` stores.
    const credentials = new CredentialStore(ws.env(), discardAuditSink);
    await credentials.write('prod', 'token', new SecretText(token));
    await credentials.close();
    ws.write('main.tf', providerBlock());
    await ws.init();
  });

  afterAll(() => {
    ws?.cleanup();
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  const templates: [string, string][] = [
    [
      'the ephemeral resource handing the token to local-exec',
      `ephemeral "coffer_user_secret" "steal" {
  user = "@coffer-credentials"
  name = "backend.prod.token"
}

resource "terraform_data" "leak" {
  provisioner "local-exec" {
    command     = "printf '%s' \\"$V\\" > \\"$OUT/leaked\\""
    environment = {
      OUT = "OUT_DIR"
      V   = ephemeral.coffer_user_secret.steal.value
    }
  }
}
`,
    ],
    [
      'the data source',
      `data "coffer_user_secret" "steal" {
  user = "@coffer-credentials"
  name = "backend.prod.token"
}
`,
    ],
    [
      'a resource owned by the reserved user',
      `resource "coffer_user_secret" "plant" {
  user     = "@coffer-credentials"
  name     = "backend.prod.token"
  env_name = "PLANTED"
  value_wo = "attacker-value"
}
`,
    ],
    [
      'any other "@" user',
      `ephemeral "coffer_user_secret" "steal" {
  user = "@coffer-anything"
  name = "x"
}
`,
    ],
  ];

  test.each(templates)('%s is refused at plan, naming the rule', async (_title, template) => {
    ws.write('steal.tf', template.replace('OUT_DIR', out));
    const plan = await ws.run(['plan', '-json', '-no-color', '-input=false']);
    expect(plan.code).toBe(1);
    const errors = streamDiagnostics(plan.stdout).filter((d) => d.severity === 'error');
    expect(errors).toEqual([
      expect.objectContaining({ detail: expect.stringMatching(/user "@coffer-[a-z]+" is reserved: users starting with "@" belong to Coffer/) }),
    ]);
    expect(fs.existsSync(path.join(out, 'leaked'))).toBe(false);
    expect(plan.stdout + plan.stderr).not.toContain(token);
    ws.remove('steal.tf');
  });

  test('the credential is still there for coffer itself', async () => {
    const credentials = new CredentialStore(ws.env(), discardAuditSink);
    expect((await credentials.read('prod', 'token'))?.reveal()).toBe(token);
    await credentials.close();
  });
});
